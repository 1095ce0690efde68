"""The plotted report (PNG, or HTML embedding the PNG) and the history plot.

A person should rather look at it than read it: the whole signal with events
shaded by class, a zoom on example events of each class, the twitch rate over
time, and the signal quality per channel.
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dsp import design_mains_comb, mains_lines
from emgwatch.analysis import ZOOM_PAD_S, AnalysisResult

CLASS_COLOURS = {
    "fasciculation": "#d62728",
    "cramp": "#1f77b4",
    "voluntary": "#2ca02c",
    "artifact": "#7f7f7f",
}


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")  # a report is a file: never open a window
    import matplotlib.pyplot as plt

    return plt


def _robust_span(mins: np.ndarray, maxs: np.ndarray) -> float:
    """A per-channel vertical span that ignores a few huge artefacts."""
    with np.errstate(all="ignore"):
        amp = np.nanpercentile(np.abs(np.concatenate([mins, maxs])), 99) if len(mins) else 1.0
    return float(amp) if np.isfinite(amp) and amp > 0 else 1.0


def _draw_overview(ax, result: AnalysisResult) -> None:
    t, mins, maxs = result.overview.arrays() if result.overview else (np.zeros(0), None, None)
    n_ch = len(result.channels)
    offsets = []
    for i, name in enumerate(result.channels):
        if len(t) == 0:
            break
        lo = mins[:, i] - np.nanmedian(mins[:, i] + maxs[:, i]) / 2
        hi = maxs[:, i] - np.nanmedian(mins[:, i] + maxs[:, i]) / 2
        span = _robust_span(lo, hi)
        off = (n_ch - 1 - i) * 2.2
        offsets.append(off)
        ax.fill_between(t, off + np.clip(lo / span, -1.1, 1.1), off + np.clip(hi / span, -1.1, 1.1),
                        color="#333333", linewidth=0.2, step="mid")
    for ev in result.events:
        colour = CLASS_COLOURS[ev.trial_type]
        width = max(ev.duration_s, result.duration_s / 1500)  # keep a 15 ms twitch visible
        for ch in ev.channels:
            if ch not in result.channels:
                continue
            i = result.channels.index(ch)
            off = (n_ch - 1 - i) * 2.2
            ax.fill_between([ev.onset_s, ev.onset_s + width], off - 1.1, off + 1.1, color=colour, alpha=0.35,
                            linewidth=0)
    ax.set_yticks([(n_ch - 1 - i) * 2.2 for i in range(n_ch)], list(result.channels))
    ax.set_xlabel("time (s)")
    ax.set_xlim(0 if len(t) == 0 else min(t[0], 0), max(result.duration_s, 1e-3))
    ax.set_title("Whole recording (each channel scaled to its own range; events shaded by class)")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, alpha=0.5, label=k) for k, c in CLASS_COLOURS.items()],
              loc="upper right", ncols=4, fontsize=8, framealpha=0.9)


def _display_filter(y: np.ndarray, fs: float, mains_hz: float) -> np.ndarray:
    """Zero-phase high-pass (a board's DC offset) and, where dsp found mains
    hum on the channel, its notches: the event as the detector saw it."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, min(20.0, 0.2 * fs), "highpass", fs=fs, output="sos")
    if math.isfinite(mains_hz) and mains_hz > 0:
        sos = np.vstack([sos, design_mains_comb(mains_lines(mains_hz, fs), fs)])
    return sosfiltfilt(sos, y, padlen=min(len(y) - 1, 3 * (2 * len(sos) + 1)))


def _fmt_len(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _draw_zoom(ax, result: AnalysisResult, trial_type: str) -> None:
    examples = result.zooms.get(trial_type, [])
    ax.set_title(f"{trial_type}: example" if examples else f"{trial_type}: none found", fontsize=10,
                 color=CLASS_COLOURS[trial_type])
    if not examples:
        ax.set_axis_off()
        return
    ev, data, t0 = examples[0]
    ch = ev.channels[0]
    i = result.channels.index(ch) if ch in result.channels else 0
    y = data[:, i].astype(np.float64)
    y = y - np.nanmedian(y)
    filtered = trial_type != "artifact" and len(y) > 8
    if filtered:
        y = _display_filter(np.nan_to_num(y), result.fs, result.quality.get(ch, {}).get("mains_hz", math.nan))
    t = t0 + np.arange(len(y)) / result.fs
    # The snippet carries ZOOM_PAD_S of settling signal on each side; show the middle.
    pad = min(ZOOM_PAD_S, 0.45 * (t[-1] - t[0]))
    keep = (t >= t[0] + pad) & (t <= t[-1] - pad)
    ax.plot(t[keep], y[keep], color="black", linewidth=0.6)
    ax.axvspan(ev.onset_s, max(ev.offset_s, ev.onset_s + 1 / result.fs), color=CLASS_COLOURS[trial_type],
               alpha=0.3, linewidth=0)
    ax.set_xlim(t[keep][0], t[keep][-1])  # a long cramp's shading must not stretch the zoom
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{ch} (µV{', filtered' if filtered else ''})")
    words = textwrap.shorten(ev.evidence, 150, placeholder=" ...")
    part = "" if t[keep][0] <= ev.onset_s else f", its end ({_fmt_len(ev.duration_s)} long)"
    ax.set_title(f"{trial_type} (conf. {ev.confidence:.2f}){part}", fontsize=10,
                 color=CLASS_COLOURS[trial_type])
    ax.text(0.0, -0.32, textwrap.fill(words, 48), transform=ax.transAxes, va="top", fontsize=7)


def _draw_rate(ax, result: AnalysisResult) -> None:
    twitches = [e for e in result.events if e.trial_type == "fasciculation"]
    minutes = max(result.duration_s / 60.0, 1e-9)
    bin_min = 1.0 if minutes >= 3 else max(minutes / 6, 1 / 6)
    edges = np.arange(0, minutes + bin_min, bin_min)
    if len(edges) < 2:
        edges = np.array([0, minutes])
    for name in result.channels:
        times = [e.onset_s / 60 for e in twitches if e.channels[0] == name]
        counts, _ = np.histogram(times, bins=edges)
        if counts.any():
            ax.step(edges[:-1], counts / bin_min, where="post", label=name)
    ax.set_xlabel("time (min)")
    ax.set_ylabel("twitches / min")
    ax.set_title("Twitch (fasciculation) rate per channel", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no twitches found", ha="center", va="center", transform=ax.transAxes)


def _draw_quality(ax, result: AnalysisResult) -> None:
    names = list(result.channels)
    noise = [float(result.quality.get(n, {}).get("noise_uv", np.nan)) for n in names]
    colours = ["#bbbbbb" if result.quality.get(n, {}).get("no_signal") else "#4c72b0" for n in names]
    ax.bar(range(len(names)), np.nan_to_num(noise), color=colours)
    ax.set_xticks(range(len(names)), names, rotation=30, fontsize=8)
    ax.set_ylabel("noise floor (µV RMS)")
    ax.set_title("Signal quality (lower is better; grey = no signal)", fontsize=10)
    for i, n in enumerate(names):
        q = result.quality.get(n, {})
        flags = [lbl for key, lbl in (("clipped_s", "clip"), ("flat_s", "flat"), ("dropout_s", "lost"))
                 if float(q.get(key, 0) or 0) > 0]
        if flags:
            ax.text(i, np.nan_to_num(noise[i]), ",".join(flags), ha="center", va="bottom", fontsize=7)


def render_report_png(result: AnalysisResult, advice: Sequence[Any]) -> bytes:
    """Render the report figure and return PNG bytes."""
    plt = _matplotlib()
    fig = plt.figure(figsize=(13, 12), dpi=90)
    grid = fig.add_gridspec(4, 4, height_ratios=[2.6, 1.4, 1.4, 0.6], hspace=0.9, wspace=0.35)
    s = result.summary
    fig.suptitle(
        f"emgwatch: {Path(result.source).name}  -  {result.duration_s:.0f} s, {result.fs:g} Hz  -  "
        f"{_count(s.fasciculations, 'twitch', 'twitches')}, {_count(s.cramps, 'cramp')}, "
        f"{s.voluntary} voluntary"
        + (f" ({s.voluntary_unsure} possibly a weak cramp breaking up)" if s.voluntary_unsure else "")
        + f", {_count(sum(s.artifacts.values()), 'artefact')}",
        fontsize=12,
    )
    _draw_overview(fig.add_subplot(grid[0, :]), result)
    for j, cls in enumerate(CLASS_COLOURS):
        _draw_zoom(fig.add_subplot(grid[1, j]), result, cls)
    _draw_rate(fig.add_subplot(grid[2, :2]), result)
    _draw_quality(fig.add_subplot(grid[2, 2:]), result)
    ax = fig.add_subplot(grid[3, :])
    ax.set_axis_off()
    notes = [b.title for b in advice][:4]
    ax.text(0, 1, textwrap.fill("Advice shown: " + "; ".join(notes), 150)
            + "\nemgwatch is informational and does not diagnose.\n"
            + textwrap.fill("Caveats: " + "; ".join(c.rstrip(".") for c in s.caveats[:3]) + ".", 150), va="top", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def write_report(result: AnalysisResult, advice: Sequence[Any], path: Path) -> None:
    """Write the report as ``.png`` or ``.html`` (chosen by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html", ".htm"):
        raise ValueError(f"{path}: a report is written as .png or .html, got {suffix or 'no suffix'!r}")
    png = render_report_png(result, advice)
    if suffix == ".png":
        path.write_bytes(png)
        return
    from classifier.knowledge import format_advice
    from emgwatch.text import format_analysis

    body = html.escape(format_analysis(result, advice, all_events=True))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>emgwatch report</title></head><body>"
        f"<h1>emgwatch report: {html.escape(Path(result.source).name)}</h1>"
        f"<img alt='report' style='max-width:100%' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
        f"<pre>{body}</pre><p>{html.escape(format_advice(advice).splitlines()[-1] if advice else '')}</p>"
        "</body></html>"
    )
    path.write_text(page, encoding="utf-8")


def plot_history(sessions: Sequence[Any], path: Path) -> None:
    """Twitches and cramps per day from the local history."""
    plt = _matplotlib()
    days: dict[Any, list[int]] = {}
    for s in sessions:
        d = s.analysed_at.date()
        tw, cr = days.setdefault(d, [0, 0])
        days[d] = [tw + s.fasciculations, cr + s.cramps]
    fig, ax = plt.subplots(figsize=(9, 4), dpi=90)
    if days:
        xs = sorted(days)
        ax.bar(xs, [days[x][0] for x in xs], color=CLASS_COLOURS["fasciculation"], label="twitches")
        ax2 = ax.twinx()
        ax2.plot(xs, [days[x][1] for x in xs], "o-", color=CLASS_COLOURS["cramp"], label="cramps")
        ax2.set_ylabel("cramps per day")
        ax.legend(loc="upper left")
        ax2.legend(loc="upper right")
    else:
        ax.text(0.5, 0.5, "no analyses yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("twitches per day")
    ax.set_title("emgwatch history (informational, not a diagnosis)")
    fig.autofmt_xdate()
    fig.savefig(path)
    plt.close(fig)


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
