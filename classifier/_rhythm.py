"""Faint pieces of heartbeats that keep a long, steady heart rhythm.

At 200-250 Hz a strong ECG's QRS comes through the 20 Hz high-pass as two or
three brief pieces (the R, the S, a side lobe) tens of ms apart, and which
channels each piece reaches flickers from beat to beat. ``ecg_train`` needs a
train on the same channels, and ``heartbeat_part`` a larger beat beside the
piece, so many such pieces were called twitches: on tuning seeds 1-30 at 200
Hz, 511 of the 711 false twitches lay within 0.1 s of a heartbeat, and the five
recordings of one seed with a strong ECG gave 302 false twitches near beats.

Here the brief bursts that share a channel with a spike are grouped into
"complexes" (gaps under ``COMPLEX_GAP_S``, at most ``COMPLEX_SPAN_S`` long:
one heartbeat each), and the spike counts as part of a heartbeat when its
complex is one of ``RHYTHM_MIN_BEATS`` or more similar complexes a heart period
apart (a beat may be missing now and then) in the last ``RHYTHM_BACK_S`` s and
the next seconds. A heart keeps that up for minutes; twitches come at random
(science.md 1.1, 1.6), so they do not.
The time allowed per period (``RHYTHM_TOLERANCE``) is wide because a complex's
first piece is the R in one beat and the S in the next, and RR varies (HRV
SDNN 20-80 ms, science.md 3.3).
"""

from __future__ import annotations

import bisect
import functools
import math
import statistics
from collections.abc import Iterable, Sequence

from classifier._context import RR_MAX_S, RR_MIN_S, WINDOW_S, beat_like
from classifier._rules import feature, t_peak
from dsp import Burst

#: Brief bursts closer than this (s) belong to one complex (one heartbeat).
COMPLEX_GAP_S = 0.08
#: A complex longer than this (s) is not one heartbeat's QRS.
COMPLEX_SPAN_S = 0.2
#: How far back the rhythm is looked for, s (the past is kept, ``RETAIN_S``).
RHYTHM_BACK_S = 10.0
#: How far before a spike's peak the bursts ``rhythm_part`` needs begin, s:
#: the rhythm's first complex may start a span before ``RHYTHM_BACK_S``.
RHYTHM_CONTEXT_S = RHYTHM_BACK_S + COMPLEX_SPAN_S
#: Beats (complexes) a rhythm needs: with 10 s back and ~3 s ahead, 10 of
#: the 11-16 beats at 50-75 per minute, more of them at faster rates.
RHYTHM_MIN_BEATS = 10
#: Each next complex lies within this fraction of the median period of the
#: expected time.
RHYTHM_TOLERANCE = 0.2
#: Beats in a row a rhythm may skip: a faint beat may reach none of these
#: channels. On tuning seeds 1-30, allowing one skip and asking for 10 beats
#: instead of 8 raised twitch precision (200 Hz 0.908 -> 0.915, 250 Hz 0.924
#: -> 0.930) at the same recall.
RHYTHM_MAX_SKIP = 1
#: Complexes of one rhythm are within this size ratio of each other (one
#: heart's beats are near-identical on the same electrodes, science.md 1.6).
RHYTHM_SIZE_RATIO = 1.6
#: Only a spike no larger than this many times the rhythm's typical complex
#: is a piece of a beat; a larger one is a twitch that fell on a beat.
RHYTHM_PART_RATIO = 1.6
#: Only spikes under this peak/noise ratio are judged here. The pieces are
#: faint (at 200 Hz on tuning seeds, 443 of the 484 false twitches near a
#: heartbeat were under 8x noise), while large twitches of one busy unit can
#: by chance keep a steady run for a few seconds: in a first version (8 beats,
#: no skips) 22 true twitches, most of them 20-70x noise, were lost that way
#: and 12x kept them. With 10 beats it matters less (recall 0.628 without the
#: limit, 0.629 with it); at 8x, precision fell from 0.915 to 0.911.
RHYTHM_PART_MAX_SNR = 12.0


def _candidates(burst: Burst, context: Sequence[Burst], lo: float, hi: float) -> Iterable[tuple[float, Burst]]:
    chans = set(burst.channels)
    for b in context:
        for x in (b, *b.parts):
            if x is burst:
                continue
            t = t_peak(x)
            if lo <= t <= hi and beat_like(x) and chans.intersection(x.channels):
                yield t, x


def _complexes(burst: Burst, context: Sequence[Burst], ahead_s: float) -> tuple[list[list[tuple[float, Burst]]], int]:
    """Brief bursts on ``burst``'s channels grouped into complexes, and the index of ``burst``'s own."""
    t0 = t_peak(burst)
    lo, hi = t0 - RHYTHM_CONTEXT_S, t0 + ahead_s + COMPLEX_SPAN_S
    items = sorted([*_candidates(burst, context, lo, hi), (t0, burst)], key=lambda tb: tb[0])
    groups: list[list[tuple[float, Burst]]] = []
    me = -1
    for t, b in items:
        if not groups or t - groups[-1][-1][0] > COMPLEX_GAP_S:
            groups.append([])
        groups[-1].append((t, b))
        if b is burst:
            me = len(groups) - 1
    return groups, me


def heart_rhythm(burst: Burst, context: Sequence[Burst], ahead_s: float = WINDOW_S) -> tuple[int, float, float]:
    """The steady heart rhythm whose beat ``burst`` falls in, from the brief
    bursts of ``context`` on its channels, ``RHYTHM_BACK_S`` s back to
    ``ahead_s`` s ahead of its peak.

    Returns
    -------
    beats : int
        Complexes in the longest such rhythm through ``burst``'s own (0 if none).
    rr_s : float
        Its median period, s (NaN if none).
    size_uv : float
        The median largest |peak| of its other complexes, µV (NaN if none);
        ``burst`` itself is left out, so a twitch that falls on a beat is
        measured against the beats, not against itself.
    """
    groups, me = _complexes(burst, context, ahead_s)
    times = [g[0][0] for g in groups]
    short = [g[-1][0] - g[0][0] <= COMPLEX_SPAN_S for g in groups]
    sizes = [max((abs(b.peak_uv) for _, b in g if b is not burst), default=math.nan) for g in groups]
    if not short[me]:
        return 0, math.nan, math.nan

    def member(ref: float, k: int) -> bool:
        return short[k] and sizes[k] > 0 and max(sizes[k], ref) <= RHYTHM_SIZE_RATIO * min(sizes[k], ref)

    best: tuple[int, float, float] = (0, math.nan, math.nan)
    lo = bisect.bisect_left(times, times[me] - RR_MAX_S)
    hi = bisect.bisect_right(times, times[me] + RR_MAX_S)
    for j in range(lo, hi):
        rr = abs(times[j] - times[me])
        if j == me or not RR_MIN_S <= rr <= RR_MAX_S or not member(sizes[j], j):
            continue
        beats, periods = {me, j}, [rr]
        for step in (1, -1):
            beats.update(_walk(times, max(me, j) if step > 0 else min(me, j), step, periods,
                               functools.partial(member, sizes[j])))
        if len(beats) > best[0]:
            others = [sizes[i] for i in beats if i != me and sizes[i] > 0]
            best = (len(beats), statistics.median(periods), statistics.median(others) if others else math.nan)
    return best


def _walk(times: list[float], k: int, step: int, periods: list[float], member) -> list[int]:
    """Complexes one period after another from complex ``k`` (``step`` +1:
    later, -1: earlier), skipping at most ``RHYTHM_MAX_SKIP`` in a row; each
    found one's period is appended to ``periods``."""
    found = []
    while True:
        period = statistics.median(periods)
        for n_periods in range(1, RHYTHM_MAX_SKIP + 2):
            want = times[k] + step * n_periods * period
            a = bisect.bisect_left(times, want - RHYTHM_TOLERANCE * period)
            b = bisect.bisect_right(times, want + RHYTHM_TOLERANCE * period)
            near = [i for i in range(a, b) if (i - k) * step > 0 and member(i)]
            if near:
                break
        else:
            return found
        nxt = min(near, key=lambda i: abs(times[i] - want))
        periods.append(abs(times[nxt] - times[k]) / n_periods)
        found.append(nxt)
        k = nxt


def rhythm_part(burst: Burst, context: Sequence[Burst], ahead_s: float = WINDOW_S) -> bool:
    """True when spike ``burst`` is a faint piece of a heartbeat that keeps a
    steady rhythm (``heart_rhythm``), no larger than that rhythm's beats."""
    if not feature(burst, "peak_snr") < RHYTHM_PART_MAX_SNR:
        return False
    beats, _, size = heart_rhythm(burst, context, ahead_s)
    return beats >= RHYTHM_MIN_BEATS and abs(burst.peak_uv) <= RHYTHM_PART_RATIO * size
