"""Decisions that need neighbouring bursts: ECG trains, artefact overlap, doublets.

A burst's context is every burst whose offset lies in
``[burst.offset_s - RETAIN_S, burst.offset_s + HOLD_S]``. The streaming
``Classifier`` holds a burst until it has seen everything up to
``offset_s + HOLD_S`` (bursts arrive in order of their offset, as a detector
emits a burst when it ends), so the offline and the streaming classifier see
the same context and make the same decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from classifier._rules import t_peak
from dsp import Burst

#: Heart rates 40-150 bpm give RR 0.4-1.5 s (science.md §1.6, §3.3: HR 50-110).
RR_MIN_S = 0.4
RR_MAX_S = 1.5
#: Successive RR intervals of one train may differ by this fraction of their
#: mean. Resting HRV (SDNN 20-80 ms at RR ~0.8 s) keeps successive differences
#: within a few percent; FPs are Poisson, so chance regular triplets are rare.
RR_TOLERANCE = 0.08
#: ECG beats on one channel set have near-identical shape and size (§1.6).
AMPLITUDE_RATIO_MAX = 1.6
#: Look-behind/ahead for a train: two RR intervals either side.
WINDOW_S = 2 * RR_MAX_S * (1 + RR_TOLERANCE) + 0.05
#: How long the streaming classifier waits after a burst ends before deciding.
HOLD_S = WINDOW_S + 0.5
#: How far back the context reaches (the longest cramp is ~10 min, §1.2).
RETAIN_S = 900.0
#: Second discharge of a doublet follows the first by 10-110 ms ([R4], §1.1).
DOUBLET_MIN_S = 0.010
DOUBLET_MAX_S = 0.110


def same_site(a: Burst, b: Burst) -> bool:
    """True when two bursts are on the same place: one's strongest channel is in the other."""
    return a.channels[0] in b.channels or b.channels[0] in a.channels


def _similar(a: Burst, b: Burst) -> bool:
    if not same_site(a, b):
        return False
    pa, pb = abs(a.peak_uv), abs(b.peak_uv)
    if pa <= 0 or pb <= 0:
        return False
    return max(pa, pb) / min(pa, pb) <= AMPLITUDE_RATIO_MAX


def _regular(rr1: float, rr2: float) -> bool:
    return (
        RR_MIN_S <= rr1 <= RR_MAX_S
        and RR_MIN_S <= rr2 <= RR_MAX_S
        and abs(rr1 - rr2) <= RR_TOLERANCE * 0.5 * (rr1 + rr2)
    )


def _extend(times: Sequence[float], idx: int, prev: int, step: int) -> int:
    """Count further beats continuing the train from ``idx`` (coming from ``prev``)."""
    count = 0
    while True:
        rr = abs(times[idx] - times[prev])
        best, best_err = -1, math.inf
        j = idx + step
        while 0 <= j < len(times):
            gap = abs(times[j] - times[idx])
            if gap > RR_MAX_S * (1 + RR_TOLERANCE):
                break
            if _regular(rr, gap) and abs(gap - rr) < best_err:
                best, best_err = j, abs(gap - rr)
            j += step
        if best < 0:
            return count
        count += 1
        prev, idx = idx, best


def ecg_train(burst: Burst, context: Sequence[Burst]) -> tuple[int, float]:
    """Length and mean RR (s) of the regular train ``burst`` belongs to, or ``(0, nan)``.

    A train is at least three similar spikes on the same channels with RR
    intervals in 0.4-1.5 s that differ by at most ``RR_TOLERANCE`` (science.md
    §1.6: ECG is periodic, fasciculations are not).
    """
    t0 = t_peak(burst)
    peers = sorted(
        (t_peak(b), b)
        for b in context
        if b.kind == "spike" and abs(t_peak(b) - t0) <= WINDOW_S and (b is burst or _similar(burst, b))
    )
    times = [t for t, _ in peers]
    if len(times) < 3:
        return 0, math.nan
    me = next(i for i, (_, b) in enumerate(peers) if b is burst)
    best_len, best_rr = 0, math.nan
    # Try every partner spike one RR away on either side, then grow the train
    # both ways; the longest train wins.
    for j in range(len(times)):
        if j == me:
            continue
        rr = abs(times[j] - times[me])
        if not RR_MIN_S <= rr <= RR_MAX_S:
            continue
        lo, hi = (j, me) if j < me else (me, j)
        after = _extend(times, hi, lo, +1)
        before = _extend(times, lo, hi, -1)
        length = 2 + after + before
        if length >= 3 and length > best_len:
            best_len, best_rr = length, rr
    return best_len, best_rr


def inside_artifact(burst: Burst, context: Sequence[Burst]) -> str:
    """Kind of a guard-flagged artefact on a shared channel containing the burst's peak, or ``""``."""
    t = t_peak(burst)
    chans = set(burst.channels)
    for b in context:
        if b.kind == "artifact" and b.onset_s <= t <= b.offset_s and chans.intersection(b.channels):
            return b.artifact
    return ""


def motion_overlap(burst: Burst, context: Sequence[Burst]) -> bool:
    """True when a motion artefact on a shared channel overlaps ``burst`` in time."""
    chans = set(burst.channels)
    return any(
        b.kind == "artifact"
        and b.artifact == "motion"
        and b.onset_s < burst.offset_s
        and b.offset_s > burst.onset_s
        and chans.intersection(b.channels)
        for b in context
    )
