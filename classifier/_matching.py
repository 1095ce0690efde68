"""Class-agnostic one-to-one matching of predicted to true events (science.md §3.6, items 1-3).

Labels: ``fasciculation``, ``cramp``, ``voluntary`` and, for artefacts, the
subtype (``ecg``, ``pop``, ``motion``, ...; plain ``artifact`` when none).
Point-like truths (fasciculation, ECG beat, pop) match a prediction whose peak
time is within ``tau`` of theirs; extended truths (cramp, voluntary, motion,
clipping, dropout, ...) match a prediction that overlaps them with
intersection-over-union >= 0.2. Candidate pairs are taken greedily, best
first, so each event is used at most once. Among point-like pairs, those
whose events share a channel come first: a detection on ch4 is the 27x
twitch on ch4 that peaked 2 ms from it, not a 2x heartbeat on ch7 that
peaked 1 ms from it (a truth's channels are those where it reaches 3x the
noise, or its strongest). A detection longer than a discharge goes to an
extended truth it overlaps before a point-like one under its peak.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from dsp import Event

#: Labels scored by peak time rather than by overlap (§3.6 item 2).
POINT_LABELS = frozenset({"fasciculation", "ecg", "pop"})
#: Physiological extended labels, where splits and merges are counted.
BODY_LABELS = ("cramp", "voluntary")
#: IoU needed to match an extended event (§3.6 item 3, after [R81]).
MIN_IOU = 0.2
#: Longest detection a point-like truth can match, s: a 36 s cramp whose
#: largest sample fell within 25 ms of a heartbeat was scored as that beat
#: (and its cramp as missed). A cluster of twitches lasts up to 5 s
#: (classifier._rules.SPIKY_CLUSTER_MAX_S).
POINT_MATCH_MAX_S = 5.0
#: Longest detection a point-like truth matches at full score, s: a
#: discharge with its after-swing, or a doublet, lasts well under this.
POINT_SIZED_S = 0.25


def label(event: Event) -> str:
    """Scoring label of an event: its class, or its artefact subtype."""
    if event.trial_type == "artifact":
        return event.subtype or "artifact"
    return event.trial_type


def peak_time(event: Event) -> float:
    """Peak time in s: ``features["t_peak_s"]`` if present and finite, else the midpoint."""
    try:
        t = float(event.features.get("t_peak_s", math.nan))
    except (TypeError, ValueError):
        t = math.nan
    return t if math.isfinite(t) else 0.5 * (event.onset_s + event.offset_s)


def tolerance_s(fs: float, tau_s: float = 0.025) -> float:
    """Peak-time tolerance: max(tau, 3 samples) in s (§3.6 item 2)."""
    return max(tau_s, 3.0 / fs)


def iou(a: Event, b: Event) -> float:
    """Intersection over union of two intervals (0 when disjoint)."""
    inter = min(a.offset_s, b.offset_s) - max(a.onset_s, b.onset_s)
    if inter <= 0:
        # Zero-length events that coincide still overlap completely.
        return 1.0 if inter == 0 and a.duration_s == 0 and b.duration_s == 0 else 0.0
    union = max(a.offset_s, b.offset_s) - min(a.onset_s, b.onset_s)
    return inter / union


def shares_channel(a: Event, b: Event) -> bool:
    """True when the events have a channel in common, or either names none."""
    return not a.channels or not b.channels or not set(a.channels).isdisjoint(b.channels)


def overlap_s(a: Event, b: Event) -> float:
    return max(0.0, min(a.offset_s, b.offset_s) - max(a.onset_s, b.onset_s))


def match(truth: Sequence[Event], pred: Sequence[Event], tau: float) -> list[tuple[int, int]]:
    """One-to-one matches ``(truth_index, pred_index)``, best pairs first.

    Parameters
    ----------
    truth, pred : sequence of Event
    tau : float
        Peak-time tolerance for point-like truths, s.
    """
    order = sorted(range(len(pred)), key=lambda j: pred[j].onset_s)
    onsets = [pred[j].onset_s for j in order]
    longest = max((p.duration_s for p in pred), default=0.0)
    pairs: list[tuple[float, int, int]] = []
    for i, t in enumerate(truth):
        point = label(t) in POINT_LABELS
        tp = peak_time(t)
        lo = (tp - tau if point else t.onset_s) - longest - tau
        hi = (tp + tau if point else t.offset_s) + tau
        for k in range(bisect.bisect_left(onsets, lo), bisect.bisect_right(onsets, hi)):
            j = order[k]
            p = pred[j]
            if point:
                dt = abs(peak_time(p) - tp)
                if dt <= tau and p.duration_s <= POINT_MATCH_MAX_S:
                    # Scores in 0.5..1 so a near-exact peak beats a loose
                    # overlap. Halved on no shared channel, so any pair on
                    # shared channels beats it, and halved for a detection
                    # longer than a discharge, so an overlap that explains
                    # all of it (a short cramp with a heartbeat under its
                    # peak) beats a point under it.
                    score = 1.0 - 0.5 * dt / tau if tau > 0 else 1.0
                    score *= (1.0 if shares_channel(t, p) else 0.5) * (1.0 if p.duration_s <= POINT_SIZED_S else 0.5)
                    pairs.append((score, i, j))
            else:
                v = iou(t, p)
                if v >= MIN_IOU:
                    pairs.append((v, i, j))
    pairs.sort(key=lambda s: (-s[0], s[1], s[2]))
    used_t: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i in used_t or j in used_p:
            continue
        used_t.add(i)
        used_p.add(j)
        out.append((i, j))
    return out


def splits_and_merges(truth: Sequence[Event], pred: Sequence[Event]) -> tuple[dict[str, int], dict[str, int]]:
    """Count split and merged truths per body label (cramp, voluntary), §3.6 item 3.

    A truth is *split* when two or more cramp/voluntary detections each lie
    mostly (>= 50 % of their length) inside it. A truth is *merged* when it lies
    mostly inside one detection that also mostly contains another cramp or
    voluntary truth.
    """
    body_t = [t for t in truth if label(t) in BODY_LABELS]
    body_p = [p for p in pred if label(p) in BODY_LABELS]
    splits = dict.fromkeys(BODY_LABELS, 0)
    merges = dict.fromkeys(BODY_LABELS, 0)
    for t in body_t:
        parts = sum(1 for p in body_p if overlap_s(t, p) >= 0.5 * max(p.duration_s, 1e-9))
        if parts >= 2:
            splits[label(t)] += 1
    for p in body_p:
        inside = [t for t in body_t if overlap_s(t, p) >= 0.5 * max(t.duration_s, 1e-9)]
        if len(inside) >= 2:
            for t in inside:
                merges[label(t)] += 1
    return splits, merges
