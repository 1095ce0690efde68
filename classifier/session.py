"""Condense a session's events into a ``SessionSummary`` with plain-words caveats.

The caveats follow science.md §5.4: always say what the signal could not show
("a 200-250 Hz board misses small twitches"), and name channels whose signal
was noisy, clipped, flat or missing, so counts are read as lower bounds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

from classifier._rules import AMBIGUOUS_CRAMP_CONFIDENCE
from classifier.summary import SessionSummary
from dsp import Event

#: Below this rate the ADS1299 sinc³ filter keeps only 25-75 % of a MUAP (§1.4).
LOW_RATE_HZ = 500.0
#: Gel electrodes give 1-5 µV RMS; above 10 µV small twitches drown (§1.5).
NOISY_UV = 10.0
#: Fraction of the session a channel may be clipped/flat/lost before we say so.
BAD_FRACTION = 0.05


def _fmt_duration(seconds: float) -> str:
    # Whole minutes only from 2 min: "90 s" must not read "2 min".
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _quality_caveats(quality: Mapping[str, Mapping[str, float]], duration_s: float) -> list[str]:
    caveats: list[str] = []
    for ch, q in quality.items():
        def get(key: str) -> float:
            try:
                v = float(q.get(key, 0.0))
            except (TypeError, ValueError):
                return 0.0
            return v if math.isfinite(v) else 0.0

        if get("no_signal"):
            caveats.append(f"channel {ch} showed no signal (electrode off or not connected); nothing on it was analysed")
            continue
        noise = get("noise_uv")
        if noise > NOISY_UV:
            caveats.append(
                f"channel {ch} was noisy ({noise:.0f} µV background, good contact gives 1-5 µV): "
                "small twitches on it were missed"
            )
        limit = BAD_FRACTION * duration_s if duration_s > 0 else 0.0
        for key, what in (
            ("clipped_s", "was overloaded (clipped)"),
            ("flat_s", "was flat (electrode off?)"),
            ("dropout_s", "lost samples in transmission"),
        ):
            v = get(key)
            if v > 0 and v >= limit:
                caveats.append(f"channel {ch} {what} for {_fmt_duration(v)}; events in that time were not seen")
    return caveats


def summarize_session(
    events: Sequence[Event],
    *,
    duration_s: float,
    fs: float,
    channels: Sequence[str],
    device: str = "",
    quality: Mapping[str, Mapping[str, float]] | None = None,
) -> SessionSummary:
    """Count and describe what one session's events amount to.

    Parameters
    ----------
    events : sequence of Event
        Classified events of the session (from ``classify`` or ``Classifier``).
    duration_s : float
        Length of the analysed signal, s.
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
        Channel names analysed.
    device : str
        Device or format name ("cyton_250", "edf+", ...), or "".
    quality : dict of str to dict, optional
        Per-channel signal quality from ``dsp.Pipeline.quality()``: keys
        ``noise_uv`` (µV RMS), ``clipped_s``, ``flat_s``, ``dropout_s`` (s) and
        ``no_signal`` (truthy when the channel carried nothing).

    Returns
    -------
    SessionSummary
        Every field filled; ``caveats`` in plain words.

    Raises
    ------
    ValueError
        If ``duration_s`` is negative or not finite, or ``fs`` is not positive.
    """
    duration_s = float(duration_s)
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ValueError(f"summarize_session: duration_s must be a finite length >= 0 s, got {duration_s!r}")
    fs = float(fs)
    if not (math.isfinite(fs) and fs > 0):
        raise ValueError(f"summarize_session: fs must be a positive rate in Hz, got {fs!r}")
    channels = tuple(str(c) for c in ([channels] if isinstance(channels, str) else channels))
    fps = [e for e in events if e.trial_type == "fasciculation"]
    per_channel: Counter[str] = Counter(e.channels[0] for e in fps)
    minutes = duration_s / 60.0
    rates = {ch: (per_channel.get(ch, 0) / minutes if minutes > 0 else 0.0) for ch in channels}
    for ch, n in per_channel.items():  # an event on a channel not listed still counts
        if ch not in rates:
            rates[ch] = n / minutes if minutes > 0 else 0.0
    cramps = sorted((e for e in events if e.trial_type == "cramp"), key=lambda e: e.onset_s)
    artifacts: Counter[str] = Counter(e.subtype or "other" for e in events if e.trial_type == "artifact")

    caveats: list[str] = []
    if fs < LOW_RATE_HZ:
        caveats.append(
            f"a {fs:.0f} Hz board misses small twitches and blunts the rest: counts are a lower bound"
        )
    if duration_s < 120:
        caveats.append(
            f"the recording is short ({_fmt_duration(duration_s)}); twitch rates need about 2 minutes "
            "of rest to be meaningful"
        )
    if quality:
        caveats.extend(_quality_caveats(quality, duration_s))
    n_art = sum(artifacts.values())
    if n_art and duration_s > 0 and n_art / max(minutes, 1e-9) > 10:
        caveats.append(
            f"many artefacts ({n_art}, e.g. movement or loose electrodes): some twitches may be hidden"
        )
    unsure = [e for e in cramps if e.confidence <= AMBIGUOUS_CRAMP_CONFIDENCE]
    if unsure:
        caveats.append(
            f"{len(unsure)} of the {len(cramps)} cramp(s) could also have been a held voluntary contraction"
        )
    caveats.append("surface EMG shows twitches and cramps, not their cause; it cannot diagnose a disease")

    return SessionSummary(
        duration_s=duration_s,
        fs=fs,
        channels=channels,
        device=device,
        fasciculations=len(fps),
        fasciculation_rate_per_min=rates,
        doublets=sum(1 for e in fps if e.subtype == "doublet"),
        cramps=len(cramps),
        cramp_durations_s=tuple(e.duration_s for e in cramps),
        voluntary=sum(1 for e in events if e.trial_type == "voluntary"),
        voluntary_unsure=sum(1 for e in events if e.trial_type == "voluntary" and e.subtype == "weak_on_off"),
        artifacts=dict(artifacts),
        caveats=tuple(caveats),
    )
