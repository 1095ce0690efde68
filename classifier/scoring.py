"""Event-based scoring of a classifier against ground truth (science.md §3.6).

``score_events(truth, predicted, fs=..., rest_duration_s=...)`` scores one
recording into an ``EvalResult``; ``EvalResult.merge`` adds recordings up and
``EvalResult.format()`` renders the tables. Everything stored is a count or a
list of per-event numbers, so merged results are exact, not averages of
averages.

Scoring labels are the event class, or the artefact subtype for artefacts
(``ecg``, ``pop``, ``motion``, ...). Matching is class-agnostic and one-to-one
(``classifier._matching``), so a well-located event with the wrong class shows
in the confusion matrix as a confusion, not as a miss plus a false alarm.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from classifier._matching import (
    BODY_LABELS,
    POINT_LABELS,
    label,
    match,
    peak_time,
    splits_and_merges,
    tolerance_s,
)
from dsp import Event

#: Truth SNR bins (peak / noise RMS) for recall by SNR (§3.6 item 10).
SNR_EDGES = (3.0, 5.0, 10.0)
SNR_BINS = ("<3", "3-5", "5-10", ">=10")
#: A point-like truth with no other within this many s is "isolated".
ISOLATION_S = 0.05
#: Why a point-like truth was missed, in the order they are tested: it
#: peaks inside a cramp or voluntary truth (buried in many units); another
#: twitch, heartbeat or pop peaks within ISOLATION_S (the two waveforms sum
#: into one); it was matched but called something else; nothing reported it.
MISS_CAUSES: tuple[str, ...] = ("during a contraction", "another discharge near", "called another class",
                                "not reported")
#: Extra peak tolerances for the tolerance curve (§3.6 item 2), s.
TAU_CURVE_S = (0.010, 0.025, 0.050)
#: Confidence cut-offs of the operating-point curve (science.md 3.6 item 4).
CONF_CURVE = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)
#: Labels the confidence curve is kept for.
CONF_CURVE_LABELS = ("fasciculation", "cramp")


def _snr(event: Event) -> float:
    try:
        v = float(event.features.get("snr", math.nan))
    except (TypeError, ValueError):
        return math.nan
    return v


def _snr_bin(snr: float) -> str:
    if not math.isfinite(snr):
        return "n/a"
    return SNR_BINS[int(np.searchsorted(SNR_EDGES, snr, side="right"))]


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


@dataclass
class EvalResult:
    """Scores of one or more recordings (add them up with ``EvalResult.merge``).

    Attributes
    ----------
    n_recordings : int
    duration_s, rest_s : float
        Signal scored and the part of it counted as rest, s.
    n_truth, n_pred, tp : Counter
        Per label: true events, predicted events, and matches whose predicted
        label equals the true one.
    confusion : Counter
        ``(truth_label, pred_label)`` counts; ``truth_label == "none"`` for an
        unmatched detection, ``pred_label == "missed"`` for an unmatched truth.
    onset_err_s, offset_err_s : dict of str to list of float
        Per extended truth label, predicted minus true onset/offset of matched
        pairs, s.
    splits, merges : Counter
        Split and merged truths per body label (cramp, voluntary).
    rest_false_alarms : Counter
        Per predicted label, detections not matched to a truth of that label,
        in recordings scored with a rest duration.
    rate_windows : list of (int, int)
        Per 2-min window: (true fasciculations with SNR >= ``rate_min_snr``,
        predicted fasciculations).
    rest_rate_windows : list of (int, int)
        The same counting only fasciculations that peak outside every cramp
        and voluntary truth (the twitches a surface recording can show).
    snr_recall : Counter
        ``(label, snr_bin)`` -> [n_truth, n_hit] stored as two Counters.
    hi_truth, hi_pred, hi_tp : Counter
        As ``n_truth``/``n_pred``/``tp`` for events at SNR >= ``snr_min``.
    tau_curve : Counter
        ``(tau_ms, label, "tp"|"truth"|"pred")`` counts for point-like labels.
    conf_curve : Counter
        ``(confidence_pct, label, "tp"|"truth"|"pred")`` at SNR >= ``snr_min``
        when only detections with confidence >= the cut-off are kept.
    doublet_truth, doublet_found, doublet_tagged : int
        True doublet second discharges; of them matched to a fasciculation; and
        matched to one tagged ``"doublet"``.
    """

    n_recordings: int = 0
    duration_s: float = 0.0
    rest_s: float = 0.0
    snr_min: float = 5.0
    n_truth: Counter = field(default_factory=Counter)
    n_pred: Counter = field(default_factory=Counter)
    tp: Counter = field(default_factory=Counter)
    confusion: Counter = field(default_factory=Counter)
    onset_err_s: dict = field(default_factory=dict)
    offset_err_s: dict = field(default_factory=dict)
    splits: Counter = field(default_factory=Counter)
    merges: Counter = field(default_factory=Counter)
    rest_false_alarms: Counter = field(default_factory=Counter)
    rate_windows: list = field(default_factory=list)
    rest_rate_windows: list = field(default_factory=list)
    snr_truth: Counter = field(default_factory=Counter)
    snr_hit: Counter = field(default_factory=Counter)
    hi_truth: Counter = field(default_factory=Counter)
    hi_pred: Counter = field(default_factory=Counter)
    hi_tp: Counter = field(default_factory=Counter)
    tau_curve: Counter = field(default_factory=Counter)
    conf_curve: Counter = field(default_factory=Counter)
    doublet_truth: int = 0
    doublet_found: int = 0
    doublet_tagged: int = 0
    #: Predicted events tagged ``"doublet"``, all of them.
    doublet_tags: int = 0
    rest_truth: Counter = field(default_factory=Counter)
    rest_hit: Counter = field(default_factory=Counter)
    iso_truth: Counter = field(default_factory=Counter)
    iso_hit: Counter = field(default_factory=Counter)
    #: ``(label, cause)`` -> point-like truths at SNR >= ``snr_min`` that were
    #: not found as that label, by the first cause that applies (``MISS_CAUSES``).
    hi_missed: Counter = field(default_factory=Counter)
    #: Streaming latency (science.md 3.6 item 9), s: per cramp truth, its first
    #: ongoing-activity alert after its onset; cramps that got none.
    cramp_alert_s: list = field(default_factory=list)
    cramp_unalerted: int = 0
    #: Per label, final-decision time minus the true onset (peak for point-like
    #: labels) of correctly classified events, s.
    decision_s: dict = field(default_factory=dict)
    #: Provisional twitch calls of a streaming run (``Classifier.preview``):
    #: how many, how many fell on a true fasciculation (one-to-one, within
    #: the peak tolerance), how many a final fasciculation confirmed; per true
    #: fasciculation at SNR >= snr_min, whether one came and when (s after
    #: its peak).
    preview_n: int = 0
    preview_right: int = 0
    preview_confirmed: int = 0
    preview_truth: int = 0
    preview_latency_s: list = field(default_factory=list)
    #: The single recordings' results this one adds up (for bootstrap CIs).
    recordings: list = field(default_factory=list, repr=False, compare=False)

    # --- combining ---------------------------------------------------------
    @staticmethod
    def merge(results: Sequence[EvalResult]) -> EvalResult:
        """Add up the scores of several recordings into one result."""
        out = EvalResult()
        for r in results:
            out.n_recordings += r.n_recordings
            out.duration_s += r.duration_s
            out.rest_s += r.rest_s
            out.snr_min = r.snr_min
            for name in ("n_truth", "n_pred", "tp", "confusion", "splits", "merges", "rest_false_alarms",
                         "snr_truth", "snr_hit", "hi_truth", "hi_pred", "hi_tp", "tau_curve", "conf_curve", "rest_truth",
                         "rest_hit", "iso_truth", "iso_hit", "hi_missed"):
                getattr(out, name).update(getattr(r, name))
            for name in ("onset_err_s", "offset_err_s", "decision_s"):
                mine = getattr(out, name)
                for k, v in getattr(r, name).items():
                    mine.setdefault(k, []).extend(v)
            for name in ("rate_windows", "rest_rate_windows", "cramp_alert_s", "preview_latency_s"):
                getattr(out, name).extend(getattr(r, name))
            for name in ("cramp_unalerted", "doublet_truth", "doublet_found", "doublet_tagged", "doublet_tags",
                         "preview_n", "preview_right", "preview_confirmed", "preview_truth"):
                setattr(out, name, getattr(out, name) + getattr(r, name))
            out.recordings.extend(r.recordings or [r])
        return out

    def bootstrap_ci(
        self, metrics: dict[str, Callable[[EvalResult], float]], *, n: int = 400, level: float = 0.95, seed: int = 0
    ) -> dict[str, tuple[float, float]]:
        """Percentile bootstrap confidence intervals over recordings (science.md §3.6 item 10).

        Recordings, not events, are resampled with replacement (events within a
        recording are not independent); each resample is merged and every
        metric computed on it. NaN bounds with fewer than 2 recordings or no
        finite resampled value.

        Parameters
        ----------
        metrics : dict of str to callable
            Name -> function of an ``EvalResult`` giving a number.
        n : int
            Resamples.
        level : float
            Coverage of the interval, 0..1.
        seed : int
            Seed of the resampling (the same seed gives the same intervals).
        """
        recs = self.recordings or [self]
        if len(recs) < 2:
            return {name: (math.nan, math.nan) for name in metrics}
        rng = np.random.default_rng(seed)
        vals: dict[str, list[float]] = {name: [] for name in metrics}
        for _ in range(n):
            merged = EvalResult.merge([recs[i] for i in rng.integers(0, len(recs), len(recs))])
            for name, fn in metrics.items():
                v = fn(merged)
                if math.isfinite(v):
                    vals[name].append(v)
        tail = 100.0 * (1.0 - level) / 2.0
        return {
            name: (tuple(float(q) for q in np.percentile(v, [tail, 100.0 - tail])) if v else (math.nan, math.nan))
            for name, v in vals.items()
        }

    # --- metrics -----------------------------------------------------------
    @property
    def labels(self) -> list[str]:
        """Every label seen in truth or prediction, physiological classes first."""
        seen = set(self.n_truth) | set(self.n_pred)
        first = [c for c in ("fasciculation", "cramp", "voluntary") if c in seen]
        return first + sorted(seen - set(first))

    def precision(self, lab: str, *, high_snr: bool = False) -> float:
        """Event precision of ``lab`` (NaN when nothing was predicted)."""
        if high_snr:
            return _ratio(self.hi_tp[lab], self.hi_pred[lab])
        return _ratio(self.tp[lab], self.n_pred[lab])

    def recall(self, lab: str, *, high_snr: bool = False) -> float:
        """Event recall of ``lab`` (NaN when there was no such truth)."""
        if high_snr:
            return _ratio(self.hi_tp[lab], self.hi_truth[lab])
        return _ratio(self.tp[lab], self.n_truth[lab])

    def recall_at_rest(self, lab: str) -> float:
        """Recall of point-like ``lab`` truths at SNR >= ``snr_min`` outside any cramp or voluntary truth.

        Twitches during a contraction are buried in it; this separates the
        detector's miss rate at rest from that ceiling.
        """
        return _ratio(self.rest_hit[lab], self.rest_truth[lab])

    def missed_shares(self, lab: str) -> dict[str, float]:
        """Per cause in ``MISS_CAUSES``, the share of ``lab``'s truths at SNR
        >= ``snr_min`` that were missed for it; the shares add up to 1 - recall."""
        return {c: _ratio(self.hi_missed[(lab, c)], self.hi_truth[lab]) for c in MISS_CAUSES}

    def recall_isolated(self, lab: str) -> float:
        """As ``recall_at_rest``, over truths with no other point-like truth
        (twitch, heartbeat, pop) within ``ISOLATION_S``.

        Two discharges a few ms apart on shared electrodes sum into one
        waveform; no detector can count both, and one-to-one matching
        scores the second as missed. This separates that ceiling too.
        """
        return _ratio(self.iso_hit[lab], self.iso_truth[lab])

    def f1(self, lab: str, *, high_snr: bool = False) -> float:
        p, r = self.precision(lab, high_snr=high_snr), self.recall(lab, high_snr=high_snr)
        if not (math.isfinite(p) and math.isfinite(r)) or p + r == 0:
            return math.nan if not (math.isfinite(p) and math.isfinite(r)) else 0.0
        return 2 * p * r / (p + r)

    @property
    def macro_f1(self) -> float:
        """Mean F1 over labels that have both truth and predictions defined."""
        vals = [self.f1(c) for c in self.labels if self.n_truth[c]]
        vals = [0.0 if not math.isfinite(v) else v for v in vals]
        return float(np.mean(vals)) if vals else math.nan

    def timing(self, lab: str) -> dict[str, float]:
        """Onset/offset error statistics of matched ``lab`` truths, s and fractions."""
        out: dict[str, float] = {}
        for which, errs in (("onset", self.onset_err_s.get(lab, [])), ("offset", self.offset_err_s.get(lab, []))):
            e = np.asarray(errs, dtype=float)
            out[f"{which}_n"] = float(e.size)
            out[f"{which}_median_abs_s"] = float(np.median(np.abs(e))) if e.size else math.nan
            out[f"{which}_p95_abs_s"] = float(np.percentile(np.abs(e), 95)) if e.size else math.nan
            out[f"{which}_bias_s"] = float(np.mean(e)) if e.size else math.nan
            out[f"{which}_sd_s"] = float(np.std(e)) if e.size else math.nan
            for lim in (0.5, 1.0, 2.0):
                out[f"{which}_within_{lim:g}s"] = float(np.mean(np.abs(e) <= lim)) if e.size else math.nan
        return out

    def split_merge_rate(self, lab: str) -> float:
        """(splits + merges) / true events of a body label."""
        return _ratio(self.splits[lab] + self.merges[lab], self.n_truth[lab])

    def false_alarms_per_hour(self, lab: str) -> float:
        """Detections of ``lab`` not matching a true ``lab``, per hour of rest."""
        return _ratio(self.rest_false_alarms[lab], self.rest_s / 3600.0)

    def confused_as(self, truth_lab: str, pred_lab: str) -> float:
        """Fraction of true ``truth_lab`` events matched to a ``pred_lab`` detection."""
        return _ratio(self.confusion[(truth_lab, pred_lab)], self.n_truth[truth_lab])

    def rate_error(self, min_truth: int = 1, *, at_rest: bool = False) -> float:
        """Median absolute relative error of the fasciculation count per window.

        With ``at_rest``, twitches during cramp and voluntary truths are left
        out of both counts: inside a contraction a twitch is buried in the
        activity of many units, and a rate per minute of rest is what
        emgwatch reports.
        """
        windows = self.rest_rate_windows if at_rest else self.rate_windows
        errs = [abs(p - t) / t for t, p in windows if t >= min_truth]
        return float(np.median(errs)) if errs else math.nan

    def recall_by_snr(self, lab: str) -> dict[str, tuple[int, float]]:
        """``{snr_bin: (n_truth, recall)}`` for one label."""
        out = {}
        for b in SNR_BINS + ("n/a",):
            n = self.snr_truth[(lab, b)]
            if n:
                out[b] = (n, self.snr_hit[(lab, b)] / n)
        return out

    # --- text --------------------------------------------------------------
    def format(self) -> str:
        """Readable text tables of every score."""
        from classifier._report import format_result

        return format_result(self)


#: An alert belongs to a cramp when its run began no earlier than this before the cramp, s.
ALERT_LEAD_S = 1.0


def _latency(r: EvalResult, truth, predicted, pairs, t_lab, p_lab, alerts, emitted_s) -> None:
    for i, e in enumerate(truth):
        if t_lab[i] != "cramp" or alerts is None:
            continue
        times = [a.at_s for a in alerts if a.channel in e.channels and e.onset_s - ALERT_LEAD_S <= a.onset_s <= e.offset_s]
        if times:
            r.cramp_alert_s.append(min(times) - e.onset_s)
        else:
            r.cramp_unalerted += 1
    if emitted_s is None:
        return
    for i, j in pairs:
        if t_lab[i] == p_lab[j]:
            ref = peak_time(truth[i]) if t_lab[i] in POINT_LABELS else truth[i].onset_s
            r.decision_s.setdefault(t_lab[i], []).append(float(emitted_s[j]) - ref)


def _score_previews(r: EvalResult, truth, predicted, previews, previewed_s, tau: float, snr_min: float) -> None:
    if len(previewed_s) != len(previews):
        raise ValueError(f"score_events: {len(previews)} previews but {len(previewed_s)} preview times")
    r.preview_n = len(previews)
    finals = sorted(peak_time(e) for e in predicted if label(e) == "fasciculation")
    for e in previews:
        t = peak_time(e)
        k = bisect.bisect_left(finals, t - tau)
        r.preview_confirmed += int(k < len(finals) and finals[k] <= t + tau)
    for i, j in match(truth, previews, tau):
        if label(truth[i]) != "fasciculation":
            continue
        r.preview_right += 1
        if not _snr(truth[i]) < snr_min:
            r.preview_latency_s.append(float(previewed_s[j]) - peak_time(truth[i]))
    r.preview_truth = sum(1 for e in truth if label(e) == "fasciculation" and not _snr(e) < snr_min)


def _rate_windows(truth: Sequence[Event], pred: Sequence[Event], duration_s: float, window_s: float,
                  rate_min_snr: float, body: Sequence[Event] = ()) -> list[tuple[int, int]]:
    def outside(t: float) -> bool:
        return not any(b.onset_s <= t <= b.offset_s for b in body)

    t_fp = np.array([t for e in truth if label(e) == "fasciculation" and not (_snr(e) < rate_min_snr)
                     and outside(t := 0.5 * (e.onset_s + e.offset_s))])
    p_fp = np.array([t for e in pred if label(e) == "fasciculation" and outside(t := 0.5 * (e.onset_s + e.offset_s))])
    n_win = int(duration_s // window_s)
    edges = np.arange(n_win + 1) * window_s
    if n_win == 0:
        return []
    tc = np.histogram(t_fp, bins=edges)[0] if t_fp.size else np.zeros(n_win, int)
    pc = np.histogram(p_fp, bins=edges)[0] if p_fp.size else np.zeros(n_win, int)
    return [(int(a), int(b)) for a, b in zip(tc, pc)]


def score_events(
    truth: Sequence[Event],
    predicted: Sequence[Event],
    *,
    fs: float,
    rest_duration_s: float | None,
    duration_s: float | None = None,
    tau_s: float = 0.025,
    snr_min: float = 5.0,
    rate_window_s: float = 120.0,
    rate_min_snr: float = 3.0,
    alerts: Sequence | None = None,
    emitted_s: Sequence[float] | None = None,
    previews: Sequence[Event] | None = None,
    previewed_s: Sequence[float] | None = None,
) -> EvalResult:
    """Score one recording's predicted events against its true events.

    Parameters
    ----------
    truth, predicted : sequence of Event
        True and predicted events. Truth SNR (peak / noise RMS) is read from
        ``features["snr"]``, peak times from ``features["t_peak_s"]`` (else
        the midpoint).
    fs : float
        Sampling rate, Hz (the peak tolerance is at least 3 samples).
    rest_duration_s : float or None
        Seconds of the recording that count as rest, for false alarms per hour;
        None when the recording has no rest to score.
    duration_s : float, optional
        Recording length, s, for the rate windows; default: the last event end.
    tau_s : float
        Peak-time tolerance for point-like events, s (default 25 ms).
    snr_min : float
        SNR threshold of the high-SNR precision/recall (the issue's 5x noise RMS).
    rate_window_s : float
        Window of the fasciculation rate error, s (default 2 min).
    rate_min_snr : float
        True fasciculations below this SNR are left out of the rate truth
        (the simulator's "detectable" flag uses 3x noise, §3.5).
    alerts : sequence of classifier.ongoing.OngoingAlert
        Ongoing-activity alerts of a streaming run, for the cramp alert
        latency; None when the run was not streamed.
    emitted_s : sequence of float, optional
        Per predicted event, the stream time its final decision was made, for
        the decision latency.
    previews, previewed_s : sequence of Event, sequence of float, optional
        Provisional twitch calls of a streaming run and the stream time of
        each, for the preview latency and how often previews were right.

    Returns
    -------
    EvalResult
    """
    fs = float(fs)
    if not (math.isfinite(fs) and fs > 0):
        raise ValueError(f"score_events: fs must be a positive rate in Hz, got {fs!r}")
    if rest_duration_s is not None and not (math.isfinite(rest_duration_s) and rest_duration_s >= 0):
        raise ValueError(f"score_events: rest_duration_s must be None or >= 0 s, got {rest_duration_s!r}")
    truth, predicted = list(truth), list(predicted)
    for name, seq in (("truth", truth), ("predicted", predicted)):
        for k, e in enumerate(seq):
            if not isinstance(e, Event):
                raise TypeError(f"score_events: {name}[{k}] is a {type(e).__name__}, expected dsp.Event")
    if duration_s is None:
        duration_s = max([e.offset_s for e in truth + predicted], default=0.0)
    tau = tolerance_s(fs, tau_s)
    pairs = match(truth, predicted, tau)
    r = EvalResult(n_recordings=1, duration_s=float(duration_s), snr_min=snr_min)
    t_lab = [label(e) for e in truth]
    p_lab = [label(e) for e in predicted]
    r.n_truth.update(t_lab)
    r.n_pred.update(p_lab)
    matched_t = {i: j for i, j in pairs}
    matched_p = {j: i for i, j in pairs}
    for i, j in pairs:
        r.confusion[(t_lab[i], p_lab[j])] += 1
        if t_lab[i] == p_lab[j]:
            r.tp[t_lab[i]] += 1
        if t_lab[i] not in POINT_LABELS:
            r.onset_err_s.setdefault(t_lab[i], []).append(predicted[j].onset_s - truth[i].onset_s)
            r.offset_err_s.setdefault(t_lab[i], []).append(predicted[j].offset_s - truth[i].offset_s)
    for i, lab in enumerate(t_lab):
        if i not in matched_t:
            r.confusion[(lab, "missed")] += 1
    for j, lab in enumerate(p_lab):
        if j not in matched_p:
            r.confusion[("none", lab)] += 1
    body = [e for e in truth if label(e) in BODY_LABELS]
    point_times = sorted(peak_time(e) for e in truth if label(e) in POINT_LABELS)
    # High-SNR scores: a truth counts when its SNR >= snr_min (unknown SNR
    # counts); a detection counts when its matched truth does, or, unmatched,
    # when its own measured peak_snr does.
    for i, lab in enumerate(t_lab):
        s = _snr(truth[i])
        hi = not (s < snr_min)
        r.snr_truth[(lab, _snr_bin(s))] += 1
        hit = i in matched_t and p_lab[matched_t[i]] == lab
        r.snr_hit[(lab, _snr_bin(s))] += int(hit)
        if hi:
            r.hi_truth[lab] += 1
            r.hi_tp[lab] += int(hit)
            if lab not in POINT_LABELS:
                continue
            t = peak_time(truth[i])
            during = any(b.onset_s <= t <= b.offset_s for b in body)
            near = bisect.bisect_right(point_times, t + ISOLATION_S) - bisect.bisect_left(point_times, t - ISOLATION_S)
            if not during:
                r.rest_truth[lab] += 1
                r.rest_hit[lab] += int(hit)
                if near == 1:
                    r.iso_truth[lab] += 1
                    r.iso_hit[lab] += int(hit)
            if not hit:
                cause = ("during a contraction" if during else "another discharge near" if near > 1
                         else "called another class" if i in matched_t else "not reported")
                r.hi_missed[(lab, cause)] += 1
    for j, lab in enumerate(p_lab):
        r.hi_pred[lab] += int(_pred_is_hi(predicted[j], truth[matched_p[j]] if j in matched_p else None, snr_min))
    splits, merges = splits_and_merges(truth, predicted)
    r.splits.update({k: v for k, v in splits.items() if v})
    r.merges.update({k: v for k, v in merges.items() if v})
    if rest_duration_s is not None:
        r.rest_s = float(rest_duration_s)
        for lab in set(p_lab):
            r.rest_false_alarms[lab] = r.n_pred[lab] - r.tp[lab]
    _latency(r, truth, predicted, pairs, t_lab, p_lab, alerts, emitted_s)
    if previews is not None:
        _score_previews(r, truth, predicted, list(previews), list(previewed_s or []), tau, snr_min)
    r.rate_windows = _rate_windows(truth, predicted, float(duration_s), rate_window_s, rate_min_snr)
    r.rest_rate_windows = _rate_windows(truth, predicted, float(duration_s), rate_window_s, rate_min_snr, body)
    for i, e in enumerate(truth):
        if t_lab[i] == "fasciculation" and e.subtype == "doublet":
            r.doublet_truth += 1
            if i in matched_t and p_lab[matched_t[i]] == "fasciculation":
                r.doublet_found += 1
                r.doublet_tagged += int(predicted[matched_t[i]].subtype == "doublet")
    r.doublet_tags = sum(1 for e in predicted if _tagged_doublet(e))
    for tau_c in TAU_CURVE_S:
        key = round(tau_c * 1000)
        cp = match(truth, predicted, tolerance_s(fs, tau_c)) if tau_c != tau_s else pairs
        for lab in POINT_LABELS:
            r.tau_curve[(key, lab, "truth")] += r.n_truth[lab]
            r.tau_curve[(key, lab, "pred")] += r.n_pred[lab]
        for i, j in cp:
            if t_lab[i] == p_lab[j] and t_lab[i] in POINT_LABELS:
                r.tau_curve[(key, t_lab[i], "tp")] += 1
    _confidence_curve(r, truth, predicted, t_lab, p_lab, tau, snr_min, pairs)
    return r


def _tagged_doublet(e: Event) -> bool:
    """A predicted twitch tagged as a doublet's second discharge."""
    return e.trial_type == "fasciculation" and e.subtype == "doublet"


def _pred_is_hi(pred: Event, truth: Event | None, snr_min: float) -> bool:
    # a detection counts at high SNR when its matched truth does, or,
    # unmatched, when its own measured peak_snr does
    if truth is not None:
        return not (_snr(truth) < snr_min)
    try:
        own = float(pred.features.get("peak_snr", math.nan))
    except (TypeError, ValueError):
        own = math.nan
    return not (own < snr_min)


def _confidence_curve(r: EvalResult, truth: list[Event], predicted: list[Event], t_lab: list[str],
                      p_lab: list[str], tau: float, snr_min: float, pairs: list[tuple[int, int]]) -> None:
    """Operating points: the high-SNR counts when only detections at or above
    each confidence cut-off are kept (each cut-off matched afresh; ``pairs``,
    the match of all detections, serves the cut-offs that keep them all)."""
    hi_t = [not (_snr(e) < snr_min) for e in truth]
    for c in CONF_CURVE:
        key = round(c * 100)
        kept = [j for j, e in enumerate(predicted) if e.confidence >= c]
        cp = pairs if len(kept) == len(predicted) else match(truth, [predicted[j] for j in kept], tau)
        by_sub = {k: i for i, k in cp}
        for lab in CONF_CURVE_LABELS:
            r.conf_curve[(key, lab, "truth")] += r.hi_truth[lab]
        for k, j in enumerate(kept):
            lab = p_lab[j]
            if lab not in CONF_CURVE_LABELS:
                continue
            i = by_sub.get(k)
            r.conf_curve[(key, lab, "pred")] += int(_pred_is_hi(predicted[j], truth[i] if i is not None else None,
                                                                 snr_min))
            if i is not None and t_lab[i] == lab and hi_t[i]:
                r.conf_curve[(key, lab, "tp")] += 1
