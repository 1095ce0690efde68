"""Text rendering of an ``EvalResult`` (kept apart so scoring stays about numbers)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from classifier._matching import BODY_LABELS, POINT_LABELS
from classifier.ongoing import ALERT_AFTER_S

if TYPE_CHECKING:
    from classifier.scoring import EvalResult


def _f(v: float, digits: int = 3) -> str:
    return "  -  " if not math.isfinite(v) else f"{v:.{digits}f}"


def _pct(v: float) -> str:
    return "  -  " if not math.isfinite(v) else f"{100 * v:.1f} %"


def _confidence_line(r: EvalResult) -> str:
    # the headline targets' uncertainty: recordings differ far more than events
    hi = {"twitch precision": lambda m: m.precision("fasciculation", high_snr=True),
          "recall": lambda m: m.recall("fasciculation", high_snr=True),
          "cramp recall": lambda m: m.recall("cramp"),
          "precision": lambda m: m.precision("cramp")}
    ci = r.bootstrap_ci(hi)
    parts = [f"{name} {lo:.2f}-{up:.2f}" if math.isfinite(lo) and math.isfinite(up) else f"{name} n/a"
             for name, (lo, up) in ci.items()]
    return (f"95 % CI, bootstrap over the {r.n_recordings} recordings (SNR>={r.snr_min:g} for twitches): "
            + ", ".join(parts[:2]) + "; " + ", ".join(parts[2:]))


def format_result(r: EvalResult) -> str:
    from classifier.scoring import CONF_CURVE, CONF_CURVE_LABELS, ISOLATION_S, SNR_BINS, TAU_CURVE_S

    lines = [
        f"recordings: {r.n_recordings}, signal {r.duration_s / 3600:.2f} h, rest {r.rest_s / 3600:.2f} h",
        "",
        f"{'label':<14}{'truth':>7}{'pred':>7}{'TP':>7}{'prec':>8}{'recall':>8}{'F1':>8}"
        f"   {'SNR>=' + format(r.snr_min, 'g') + ': prec':>14}{'recall':>8}",
    ]
    for lab in r.labels:
        lines.append(
            f"{lab:<14}{r.n_truth[lab]:>7}{r.n_pred[lab]:>7}{r.tp[lab]:>7}"
            f"{_f(r.precision(lab)):>8}{_f(r.recall(lab)):>8}{_f(r.f1(lab)):>8}"
            f"   {_f(r.precision(lab, high_snr=True)):>14}{_f(r.recall(lab, high_snr=True)):>8}"
        )
    lines.append(f"macro-F1 {_f(r.macro_f1)}")
    if r.n_recordings >= 5:
        lines.append(_confidence_line(r))
    for lab in sorted(r.rest_truth):
        lines.append(
            f"{lab} recall at rest (SNR>={r.snr_min:g}, outside true cramps/voluntary): {_f(r.recall_at_rest(lab))} "
            f"of {r.rest_truth[lab]}; isolated (no other twitch/beat/pop within "
            f"{ISOLATION_S * 1000:.0f} ms): {_f(r.recall_isolated(lab))} of {r.iso_truth[lab]}"
        )
        shares = r.missed_shares(lab)
        if any(v > 0 for v in shares.values()):
            causes = {"another discharge near": f"another twitch/beat/pop within {ISOLATION_S * 1000:.0f} ms"}
            lines.append(f"{lab} missed (SNR>={r.snr_min:g}, share of {r.hi_truth[lab]}): "
                         + ", ".join(f"{_pct(v)} {causes.get(c, c)}" for c, v in shares.items()))

    for lab in BODY_LABELS:
        if not r.n_truth[lab]:
            continue
        t = r.timing(lab)
        lines += [
            "",
            f"{lab} timing (pred - truth, {int(t['onset_n'])} matched): "
            f"onset median |err| {_f(t['onset_median_abs_s'], 2)} s, p95 {_f(t['onset_p95_abs_s'], 2)} s, "
            f"bias {_f(t['onset_bias_s'], 2)} s, SD {_f(t['onset_sd_s'], 2)} s",
            f"{'':>{len(lab) + 1}}offset median |err| {_f(t['offset_median_abs_s'], 2)} s, "
            f"p95 {_f(t['offset_p95_abs_s'], 2)} s, bias {_f(t['offset_bias_s'], 2)} s, "
            f"SD {_f(t['offset_sd_s'], 2)} s",
            f"{'':>{len(lab) + 1}}within 0.5/1/2 s: onset {_pct(t['onset_within_0.5s'])} / "
            f"{_pct(t['onset_within_1s'])} / {_pct(t['onset_within_2s'])}, offset "
            f"{_pct(t['offset_within_0.5s'])} / {_pct(t['offset_within_1s'])} / {_pct(t['offset_within_2s'])}",
            f"{'':>{len(lab) + 1}}splits {r.splits[lab]}, merges {r.merges[lab]} of {r.n_truth[lab]} "
            f"({_pct(r.split_merge_rate(lab))})",
        ]

    lines += ["", "key confusions:"]
    for a, b, what in (
        ("voluntary", "cramp", "voluntary called cramp"),
        ("ecg", "fasciculation", "ECG beats called fasciculation"),
        ("pop", "fasciculation", "pops called fasciculation"),
        ("motion", "fasciculation", "motion called fasciculation"),
        ("cramp", "voluntary", "cramps called voluntary"),
    ):
        if r.n_truth[a]:
            lines.append(f"  {what}: {r.confusion[(a, b)]} of {r.n_truth[a]} ({_pct(r.confused_as(a, b))})")

    if r.rest_s > 0:
        lines += ["", f"false alarms per hour of rest ({r.rest_s / 3600:.2f} h):"]
        for lab in r.labels:
            if r.n_pred[lab]:
                lines.append(f"  {lab:<14}{r.rest_false_alarms[lab]:>6}  {_f(r.false_alarms_per_hour(lab), 2)} /h")

    if r.rate_windows:
        n = sum(1 for t, _ in r.rate_windows if t >= 1)
        lines += [
            "",
            f"fasciculation rate error, 2-min windows: median |rel err| {_pct(r.rate_error())} "
            f"over {n} windows with truth; {_pct(r.rate_error(10))} over windows with >= 10 true",
            f"  at rest (twitches inside cramp/voluntary truths left out of both counts): "
            f"{_pct(r.rate_error(at_rest=True))}; {_pct(r.rate_error(10, at_rest=True))} over windows with >= 10 true",
        ]

    snr_labels = [lab for lab in r.labels if lab in POINT_LABELS and r.n_truth[lab]]
    if snr_labels:
        lines += ["", "recall by true SNR (peak / noise RMS): n, recall"]
        lines.append(f"{'label':<14}" + "".join(f"{b:>16}" for b in SNR_BINS + ("n/a",)))
        for lab in snr_labels:
            rec = r.recall_by_snr(lab)
            cells = [f"{rec[b][0]:>6} {_f(rec[b][1]):>9}" if b in rec else f"{'':>16}" for b in SNR_BINS + ("n/a",)]
            lines.append(f"{lab:<14}" + "".join(f"{c:>16}" for c in cells))
        lines += ["", "tolerance curve (point-like labels): tau -> precision / recall"]
        for lab in snr_labels:
            cells = []
            for tau in TAU_CURVE_S:
                k = round(tau * 1000)
                tp = r.tau_curve[(k, lab, "tp")]
                p = tp / r.tau_curve[(k, lab, "pred")] if r.tau_curve[(k, lab, "pred")] else math.nan
                rc = tp / r.tau_curve[(k, lab, "truth")] if r.tau_curve[(k, lab, "truth")] else math.nan
                cells.append(f"{k} ms {_f(p)} / {_f(rc)}")
            lines.append(f"  {lab:<14}" + "   ".join(cells))

    curve = [lab for lab in CONF_CURVE_LABELS if r.conf_curve[(0, lab, "truth")]]
    if curve:
        lines += ["", f"operating points: only detections with confidence >= c kept (SNR>={r.snr_min:g}): "
                  "c -> precision / recall"]
        for lab in curve:
            cells = []
            for c in CONF_CURVE:
                k = round(c * 100)
                tp, pred, true = (r.conf_curve[(k, lab, x)] for x in ("tp", "pred", "truth"))
                cells.append(f"{c:.1f} {_f(tp / pred if pred else math.nan, 2)} / {_f(tp / true if true else math.nan, 2)}")
            lines.append(f"  {lab:<14}" + "   ".join(cells))

    if r.doublet_truth:
        lines += [
            "",
            f"doublets: {r.doublet_truth} true second discharges, {r.doublet_found} found as fasciculation "
            f"({_pct(r.doublet_found / r.doublet_truth)}), {r.doublet_tagged} tagged doublet "
            f"({_pct(r.doublet_tagged / r.doublet_truth)}); {r.doublet_tags} doublet tags in all, "
            f"{_pct(r.doublet_tagged / r.doublet_tags if r.doublet_tags else float('nan'))} of them on a true one",
        ]

    if r.cramp_alert_s or r.cramp_unalerted or r.decision_s or r.preview_n:
        lines += ["", "streaming latency (science.md 3.6 item 9; targets: twitch decision <= 0.25 s, cramp alert <= 2 s):"]
        if r.cramp_alert_s or r.cramp_unalerted:
            a = np.asarray(r.cramp_alert_s, dtype=float)
            n = a.size + r.cramp_unalerted
            lines.append(
                f"  cramp alert (sustained activity for {ALERT_AFTER_S:g} s, still going on), {n} cramp(s): "
                + (f"median {np.median(a):.2f} s after the onset, p95 {np.percentile(a, 95):.2f} s, "
                   f"{_pct(np.mean(a <= 2.0) * a.size / n)} within 2 s" if a.size else "none alerted")
                + (f"; {r.cramp_unalerted} never alerted" if r.cramp_unalerted else "")
            )
        if r.preview_n or r.preview_truth:
            v = np.asarray(r.preview_latency_s, dtype=float)
            lines.append(
                f"  provisional twitch call: {v.size} of {r.preview_truth} true twitches >= {r.snr_min:g}x noise "
                f"({_pct(v.size / r.preview_truth if r.preview_truth else float('nan'))})"
                + (f", median {np.median(v):.2f} s after the peak, p95 {np.percentile(v, 95):.2f} s, "
                   f"{_pct(np.mean(v <= 0.25))} within 0.25 s" if v.size else "")
            )
            lines.append(
                f"    {r.preview_n} calls, {_pct(r.preview_right / r.preview_n if r.preview_n else float('nan'))} "
                f"on a true twitch, {_pct(r.preview_confirmed / r.preview_n if r.preview_n else float('nan'))} "
                "confirmed by the final decision (the others are withdrawn then)"
            )
        for lab, vals in sorted(r.decision_s.items()):
            v = np.asarray(vals, dtype=float)
            ref = "its peak" if lab in POINT_LABELS else "its onset"
            lines.append(f"  final {lab} decision: median {np.median(v):.2f} s after {ref}, p95 "
                         f"{np.percentile(v, 95):.2f} s ({v.size} events)")

    rows = ["none"] + [lab for lab in r.labels if r.n_truth[lab]]
    cols = [lab for lab in r.labels if r.n_pred[lab]] + ["missed"]
    width = max([14] + [len(c) + 2 for c in cols])
    lines += ["", "confusion matrix (rows: truth, columns: predicted)"]
    lines.append(f"{'':<14}" + "".join(f"{c:>{width}}" for c in cols))
    for row in rows:
        lines.append(f"{row:<14}" + "".join(f"{r.confusion[(row, c)]:>{width}}" for c in cols))
    return "\n".join(lines)


def format_by_scenario(results: Mapping[str, EvalResult]) -> str:
    """One line per scenario: where a device's twitch and cramp errors come from.

    A merged score hides a single scenario's trouble: with a change tried
    and not taken, held-out 250 Hz twitch precision fell from 0.96 to 0.93
    because the false twitches of the ``rest_benign`` recordings went from
    36 to 118 (62 of them on one channel of one recording), while the other
    scenarios hardly moved.

    Parameters
    ----------
    results : mapping of scenario name to EvalResult
        One device's scores per scenario (``run_evaluation``'s ``progress``
        gives each recording's).

    Returns
    -------
    str
        A table: twitches >= 5x noise (precision / recall, and the false ones
        per hour of rest), cramps (found of true, false), per scenario.
    """
    header = (f"{'scenario':<18} {'twitches >= 5x: prec / recall':>30} {'false /h at rest':>17} "
              f"{'cramps found':>13} {'false':>6}")
    lines = [header]
    for scenario, r in results.items():
        n_cramps = r.n_truth["cramp"]
        found = r.tp["cramp"]
        lines.append(
            f"{scenario:<18} {_f(r.precision('fasciculation', high_snr=True)).strip():>19} / "
            f"{_f(r.recall('fasciculation', high_snr=True)).strip():<8} "
            f"{_f(r.false_alarms_per_hour('fasciculation'), 1).strip():>17} "
            f"{f'{found} of {n_cramps}' if n_cramps else '-':>13} {r.n_pred['cramp'] - found:>6}"
        )
    return "\n".join(lines)
