"""Plain-text and JSON renderings of an analysis, for the terminal and for tools."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from emgwatch.analysis import AnalysisResult

_MAX_LISTED = 25


def _fmt_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _quality_line(name: str, q: dict[str, Any]) -> str:
    if q.get("no_signal"):
        return f"  {name:<12} no signal (flat line or electrode off)"
    parts = [f"noise {q.get('noise_uv', float('nan')):.1f} µV RMS"]
    mains = q.get("mains_hz")
    found = mains is not None and math.isfinite(float(mains)) and float(mains) > 0
    parts.append(f"mains {float(mains):g} Hz removed" if found else "no mains hum found")
    for key, label in (("clipped_s", "clipped"), ("flat_s", "flat"), ("dropout_s", "lost")):
        v = float(q.get(key, 0.0) or 0.0)
        if v > 0:
            parts.append(f"{label} {_fmt_duration(v)}")
    return f"  {name:<12} " + ", ".join(parts)


def format_analysis(result: AnalysisResult, advice: Sequence[Any], *, all_events: bool = False) -> str:
    """The terminal summary: recording facts, quality, events, advice."""
    from classifier.knowledge import format_advice

    s = result.summary
    lines = [f"emgwatch analyze: {result.source}"]
    lines.append(
        f"Recording   {_fmt_duration(result.duration_s)}, {len(result.channels)} channel(s) "
        f"({', '.join(result.channels)}), {result.fs:g} Hz" + (f", {result.device}" if result.device else "")
    )
    lines.append("Signal quality")
    lines.extend(_quality_line(name, result.quality.get(name, {})) for name in result.channels)
    counts = [
        f"{s.fasciculations} twitch(es) (fasciculations"
        + (f", {s.doublets} doublet(s)" if s.doublets else "")
        + f"; {s.fasciculations_per_min:.1f}/min)",
        f"{s.cramps} cramp(s)" + (f" (longest {_fmt_duration(s.longest_cramp_s)})" if s.cramps else ""),
        f"{s.voluntary} voluntary contraction(s)"
        + (f" ({s.voluntary_unsure} of them possibly a weak cramp breaking up)" if s.voluntary_unsure else ""),
        f"{sum(s.artifacts.values())} artefact(s)"
        + (" (" + ", ".join(f"{n} {k}" for k, n in sorted(s.artifacts.items())) + ")" if s.artifacts else ""),
    ]
    lines.append("Found       " + "; ".join(counts))
    events = result.events
    if events:
        lines.append("")
        lines.append(f"  {'onset':>9}  {'duration':>9}  {'class':<13}  {'channel':<14}  {'peak µV':>8}  "
                     f"{'conf':>4}  evidence")
        shown = events if all_events else events[:_MAX_LISTED]
        for ev in shown:
            kind = ev.trial_type + (f"/{ev.subtype}" if ev.subtype else "")
            lines.append(
                f"  {ev.onset_s:8.3f}s  {_fmt_duration(ev.duration_s):>9}  {kind:<13}  "
                f"{','.join(ev.channels)[:14]:<14}  {ev.peak_uv:8.1f}  {ev.confidence:4.2f}  {ev.evidence}"
            )
        if len(shown) < len(events):
            lines.append(f"  ... {len(events) - len(shown)} more (use --all-events, or --events FILE.tsv)")
    lines.append("")
    lines.append(format_advice(advice))
    return "\n".join(lines)


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 6)


def analysis_to_json(result: AnalysisResult, advice: Sequence[Any]) -> dict[str, Any]:
    """A JSON-ready dict; units are in the key names."""
    s = result.summary
    return {
        "source": result.source,
        "fs_hz": result.fs,
        "channels": list(result.channels),
        "duration_s": result.duration_s,
        "device": result.device,
        "quality": {
            name: {k: (_num(v) if isinstance(v, float) else v) for k, v in q.items()}
            for name, q in result.quality.items()
        },
        "summary": {
            "fasciculations": s.fasciculations,
            "fasciculations_per_min": _num(s.fasciculations_per_min),
            "fasciculation_rate_per_min": {k: _num(v) for k, v in s.fasciculation_rate_per_min.items()},
            "doublets": s.doublets,
            "cramps": s.cramps,
            "cramp_durations_s": [_num(d) for d in s.cramp_durations_s],
            "voluntary": s.voluntary,
            "voluntary_unsure": s.voluntary_unsure,
            "artifacts": dict(s.artifacts),
            "caveats": list(s.caveats),
        },
        "events": [
            {
                "onset_s": _num(e.onset_s),
                "duration_s": _num(e.duration_s),
                "trial_type": e.trial_type,
                "subtype": e.subtype,
                "channels": list(e.channels),
                "peak_uv": _num(e.peak_uv),
                "confidence": _num(e.confidence),
                "evidence": e.evidence,
                # what the decision was made from (dsp.features names, units in
                # the names); those that do not apply to the event are left out
                "features": {k: n for k, v in sorted(e.features.items()) if (n := _num(v)) is not None},
            }
            for e in result.events
        ],
        "advice": [
            {"title": b.title, "level": b.level, "lines": list(b.lines), "sources": list(b.sources)}
            for b in advice
        ],
    }
