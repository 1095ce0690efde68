import math

import pytest

from classifier import EvalResult, score_events
from dsp import Event


def ev(on, off, cls, sub="", t_peak=None, **features):
    if t_peak is not None:
        features["t_peak_s"] = t_peak
    return Event(("ch1",), on, off, 50.0, cls, 1.0, subtype=sub, features=features)


def fp(t, **features):
    return ev(t - 0.007, t + 0.007, "fasciculation", t_peak=t, **features)


def test_point_events_match_within_25_ms_or_3_samples():
    truth = [fp(1.0), fp(2.0), fp(3.0)]
    pred = [fp(1.020), fp(2.030), fp(3.0)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    # 20 ms and 0 ms match, 30 ms does not: TP 2, P = R = 2/3.
    assert r.tp["fasciculation"] == 2
    assert r.precision("fasciculation") == pytest.approx(2 / 3)
    assert r.recall("fasciculation") == pytest.approx(2 / 3)
    assert r.f1("fasciculation") == pytest.approx(2 / 3)
    assert r.confusion[("fasciculation", "missed")] == 1 and r.confusion[("none", "fasciculation")] == 1
    # At 100 Hz, 3 samples = 30 ms, so the 30 ms pair matches as well.
    r100 = score_events(truth, pred, fs=100.0, rest_duration_s=None)
    assert r100.tp["fasciculation"] == 3


def test_matching_is_one_to_one_and_class_agnostic():
    truth = [fp(1.0), ev(4.95, 5.05, "artifact", "ecg", t_peak=5.0)]
    pred = [fp(1.002), fp(1.010), fp(5.004)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    assert r.tp["fasciculation"] == 1  # only one of the two near 1.0 s
    assert r.confusion[("ecg", "fasciculation")] == 1  # an ECG beat called a twitch, not a miss
    assert r.confusion[("ecg", "missed")] == 0
    assert r.confusion[("none", "fasciculation")] == 1
    assert r.confused_as("ecg", "fasciculation") == 1.0
    assert r.precision("fasciculation") == pytest.approx(1 / 3)
    assert r.recall("ecg") == 0.0


def test_a_detection_matches_the_truth_on_its_channels_before_a_nearer_one_elsewhere():
    # A 27x twitch on ch4 and a faint heartbeat on ch7 peak 1 ms apart; the
    # detection on ch4 is the twitch, though its peak is nearer the beat's.
    twitch = Event(("ch4", "ch3"), 9.993, 10.007, 300.0, "fasciculation", 1.0, features={"t_peak_s": 10.000})
    beat = Event(("ch7",), 9.95, 10.05, 20.0, "artifact", 1.0, subtype="ecg", features={"t_peak_s": 9.9985})
    found = Event(("ch4",), 9.992, 10.006, 280.0, "fasciculation", 0.9, features={"t_peak_s": 9.999})
    r = score_events([twitch, beat], [found], fs=1000.0, rest_duration_s=None)
    assert r.tp["fasciculation"] == 1
    assert r.confusion[("ecg", "fasciculation")] == 0
    assert r.confusion[("ecg", "missed")] == 1
    # with no channel in common the nearer peak still wins
    elsewhere = Event(("ch1",), 9.992, 10.006, 280.0, "fasciculation", 0.9, features={"t_peak_s": 9.999})
    r = score_events([twitch, beat], [elsewhere], fs=1000.0, rest_duration_s=None)
    assert r.confusion[("ecg", "fasciculation")] == 1
    # a short cramp found with its peak on a heartbeat is still that cramp
    cramp = Event(("ch3", "ch4"), 422.7, 426.9, 60.0, "cramp", 1.0)
    beat = Event(("ch3", "ch4", "ch5"), 423.86, 423.96, 30.0, "artifact", 1.0, subtype="ecg",
                 features={"t_peak_s": 423.91})
    found = Event(("ch3", "ch4"), 422.75, 427.16, 55.0, "cramp", 0.9, features={"t_peak_s": 423.908})
    r = score_events([cramp, beat], [found], fs=250.0, rest_duration_s=None)
    assert r.tp["cramp"] == 1 and r.confusion[("ecg", "missed")] == 1


def test_extended_events_match_at_iou_02_with_onset_offset_errors():
    truth = [ev(10.0, 40.0, "cramp"), ev(100.0, 130.0, "cramp")]
    pred = [ev(12.0, 42.0, "cramp"), ev(100.0, 104.0, "cramp")]  # IoU 28/32 and 4/30
    r = score_events(truth, pred, fs=250.0, rest_duration_s=None)
    assert r.tp["cramp"] == 1
    assert r.confusion[("cramp", "missed")] == 1 and r.confusion[("none", "cramp")] == 1
    t = r.timing("cramp")
    assert t["onset_median_abs_s"] == pytest.approx(2.0) and t["onset_bias_s"] == pytest.approx(2.0)
    assert t["offset_median_abs_s"] == pytest.approx(2.0)
    assert t["onset_within_2s"] == 1.0 and t["onset_within_1s"] == 0.0


def test_splits_and_merges():
    truth = [ev(10.0, 40.0, "cramp"), ev(60.0, 70.0, "voluntary"), ev(72.0, 80.0, "voluntary")]
    pred = [ev(10.0, 20.0, "cramp"), ev(22.0, 40.0, "cramp"), ev(59.0, 81.0, "voluntary")]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    assert r.splits["cramp"] == 1 and r.merges["cramp"] == 0
    assert r.merges["voluntary"] == 2 and r.splits["voluntary"] == 0
    assert r.split_merge_rate("cramp") == 1.0
    assert r.split_merge_rate("voluntary") == 1.0
    # The 22-40 s piece (IoU 0.6) is the match; 10-20 s (IoU 0.33) is left over.
    assert r.onset_err_s["cramp"] == [pytest.approx(12.0)]


def test_false_alarms_per_hour_of_rest():
    truth = [ev(100.0, 130.0, "cramp")]
    pred = [ev(100.0, 130.0, "cramp"), ev(500.0, 520.0, "cramp"), ev(900.0, 905.0, "cramp")]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=1800.0)
    assert r.rest_false_alarms["cramp"] == 2
    assert r.false_alarms_per_hour("cramp") == pytest.approx(4.0)
    no_rest = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    assert math.isnan(no_rest.false_alarms_per_hour("cramp"))


def test_missed_twitches_are_counted_by_cause():
    truth = [
        ev(10.0, 20.0, "cramp"), fp(15.0),  # buried in the cramp
        fp(30.0), fp(30.02),  # two units 20 ms apart: one detection
        fp(40.0),  # found, but called a pop
        fp(50.0),  # nothing reported it
        fp(60.0),  # found
        fp(70.0, snr=2.0),  # too faint to count
    ]
    pred = [ev(10.0, 20.0, "cramp"), fp(30.0), ev(39.99, 40.01, "artifact", "pop", t_peak=40.0), fp(60.0)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    shares = r.missed_shares("fasciculation")
    assert r.hi_truth["fasciculation"] == 6
    assert shares == pytest.approx({"during a contraction": 1 / 6, "another discharge near": 1 / 6,
                                    "called another class": 1 / 6, "not reported": 1 / 6})
    assert sum(shares.values()) == pytest.approx(1 - r.recall("fasciculation", high_snr=True))
    merged = EvalResult.merge([r, r])
    assert merged.missed_shares("fasciculation") == pytest.approx(shares)
    assert "fasciculation missed (SNR>=5, share of 12): 16.7 % during a contraction" in merged.format()


def test_rate_error_over_2_min_windows():
    truth = [fp(1.0 + 10 * k) for k in range(10)] + [fp(121.0 + 20 * k) for k in range(5)]
    truth.append(fp(5.0, snr=1.0))  # too faint to count in the rate truth
    pred = [fp(1.0 + 10 * k) for k in range(9)] + [fp(121.0 + 15 * k) for k in range(6)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None, duration_s=250.0)
    assert r.rate_windows == [(10, 9), (5, 6)]  # the last 10 s are not a full window
    assert r.rate_error() == pytest.approx(0.15)  # median of 0.1 and 0.2


def test_recall_of_isolated_twitches_leaves_out_coincident_pairs():
    # Two units fire 6 ms apart: one detection can match only one of them.
    truth = [fp(1.0), fp(1.006), fp(2.0), fp(3.0)]
    pred = [fp(1.003), fp(2.0)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    assert r.recall_at_rest("fasciculation") == pytest.approx(2 / 4)
    assert (r.iso_truth["fasciculation"], r.iso_hit["fasciculation"]) == (2, 1)
    assert r.recall_isolated("fasciculation") == pytest.approx(0.5)
    assert "isolated" in r.format()


def test_a_long_detection_is_not_matched_to_a_beat_under_its_peak():
    # The cramp detection's largest sample lies 5 ms from a heartbeat truth:
    # it is still the cramp's match, and the beat is missed.
    beat = ev(83.1, 83.2, "artifact", "ecg", t_peak=83.15)
    cramp = ev(66.0, 102.0, "cramp")
    pred = [ev(66.1, 102.1, "cramp", t_peak=83.155)]
    r = score_events([beat, cramp], pred, fs=250.0, rest_duration_s=None)
    assert r.tp["cramp"] == 1 and r.confusion[("ecg", "missed")] == 1


def test_rate_error_at_rest_leaves_out_twitches_buried_in_a_cramp():
    cramp = ev(30.0, 70.0, "cramp")
    rest = [fp(1.0 + 3 * k) for k in range(10)] + [fp(80.0 + 3 * k) for k in range(10)]
    buried = [fp(31.0 + 2 * k) for k in range(15)]
    pred = rest[:18] + [ev(30.2, 69.0, "cramp")]
    r = score_events(rest + buried + [cramp], pred, fs=1000.0, rest_duration_s=None, duration_s=120.0)
    assert r.rate_windows == [(35, 18)]
    assert r.rate_error() == pytest.approx(17 / 35)
    assert r.rest_rate_windows == [(20, 18)]
    assert r.rate_error(at_rest=True) == pytest.approx(0.1)
    merged = EvalResult.merge([r, r])
    assert merged.rest_rate_windows == [(20, 18), (20, 18)]


def test_recall_by_snr_and_high_snr_precision():
    truth = [fp(1.0, snr=2.0), fp(2.0, snr=4.0), fp(3.0, snr=7.0), fp(4.0, snr=12.0), fp(5.0, snr=20.0)]
    pred = [fp(1.0), fp(3.0), fp(4.0), fp(8.0, peak_snr=3.0), fp(9.0, peak_snr=9.0)]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    rec = r.recall_by_snr("fasciculation")
    assert rec["<3"] == (1, 1.0) and rec["3-5"] == (1, 0.0) and rec["5-10"] == (1, 1.0)
    assert rec[">=10"] == (2, 0.5)
    # SNR >= 5: truths at 7, 12, 20 (2 hit); detections: 3.0 and 4.0 s, plus the
    # unmatched one measuring 9x noise; the 3x one and the match to a 2x truth drop out.
    assert r.recall("fasciculation", high_snr=True) == pytest.approx(2 / 3)
    assert r.precision("fasciculation", high_snr=True) == pytest.approx(2 / 3)


def test_doublets_and_tolerance_curve():
    truth = [fp(1.0), ev(1.025, 1.039, "fasciculation", "doublet", t_peak=1.032)]
    pred = [fp(1.0), Event(("ch1",), 1.030, 1.044, 50.0, "fasciculation", 0.9, subtype="doublet",
                           features={"t_peak_s": 1.047})]
    stray = Event(("ch1",), 3.0, 3.014, 50.0, "fasciculation", 0.9, subtype="doublet", features={"t_peak_s": 3.007})
    r = score_events(truth, pred + [stray], fs=1000.0, rest_duration_s=None)
    assert (r.doublet_truth, r.doublet_found, r.doublet_tagged, r.doublet_tags) == (1, 1, 1, 2)
    assert "2 doublet tags in all, 50.0 % of them on a true one" in r.format()
    # Second discharge is 15 ms off: found at tau 25 and 50 ms, not at 10 ms.
    assert r.tau_curve[(10, "fasciculation", "tp")] == 1
    assert r.tau_curve[(25, "fasciculation", "tp")] == 2
    assert r.tau_curve[(50, "fasciculation", "tp")] == 2


def test_merge_adds_recordings_exactly():
    a = score_events([ev(10.0, 40.0, "cramp")], [ev(11.0, 40.0, "cramp")], fs=250.0, rest_duration_s=600.0)
    b = score_events([ev(10.0, 40.0, "cramp"), fp(50.0)], [ev(13.0, 41.0, "voluntary")], fs=250.0,
                     rest_duration_s=1200.0)
    m = EvalResult.merge([a, b])
    assert m.n_recordings == 2 and m.rest_s == 1800.0
    assert m.n_truth["cramp"] == 2 and m.tp["cramp"] == 1
    assert m.recall("cramp") == 0.5 and m.precision("cramp") == 1.0
    assert m.confused_as("cramp", "voluntary") == 0.5
    assert sorted(m.onset_err_s["cramp"]) == [1.0, 3.0]
    assert m.false_alarms_per_hour("voluntary") == pytest.approx(2.0)
    text = m.format()
    for needle in ("cramp", "recordings: 2", "confusion matrix", "missed", "none", "cramps called voluntary",
                   "onset median |err| 2.00 s"):
        assert needle in text


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="fs must be a positive rate"):
        score_events([], [], fs=0.0, rest_duration_s=None)
    with pytest.raises(ValueError, match="rest_duration_s must be None or >= 0"):
        score_events([], [], fs=250.0, rest_duration_s=-1.0)
    with pytest.raises(TypeError, match=r"predicted\[0\] is a str"):
        score_events([], ["cramp"], fs=250.0, rest_duration_s=None)


def test_recall_at_rest_leaves_out_twitches_inside_contractions():
    truth = [fp(1.0, snr=8.0), fp(2.0, snr=8.0), fp(15.0, snr=8.0), fp(16.0, snr=8.0), fp(3.0, snr=2.0),
             ev(10.0, 20.0, "cramp")]
    pred = [fp(1.0), fp(15.0), ev(10.0, 20.0, "cramp")]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)
    assert r.recall("fasciculation", high_snr=True) == pytest.approx(0.5)
    assert r.rest_truth["fasciculation"] == 2 and r.recall_at_rest("fasciculation") == pytest.approx(0.5)
    assert "recall at rest" in r.format()


def test_bootstrap_ci_resamples_recordings_and_brackets_the_estimate():
    # 12 recordings: in each, 10 true twitches; the detector finds all in half
    # of them and 5 in the other half (recall 0.75 overall)
    recs = []
    for k in range(12):
        truth = [fp(1.0 + i) for i in range(10)]
        pred = [fp(1.0 + i) for i in range(10 if k % 2 else 5)]
        recs.append(score_events(truth, pred, fs=1000.0, rest_duration_s=None))
    merged = EvalResult.merge(recs)
    assert merged.recall("fasciculation") == pytest.approx(0.75)
    assert len(merged.recordings) == 12
    # merging merged results keeps the single recordings
    assert len(EvalResult.merge([EvalResult.merge(recs[:5]), EvalResult.merge(recs[5:])]).recordings) == 12
    metric = {"recall": lambda m: m.recall("fasciculation")}
    lo, hi = merged.bootstrap_ci(metric, n=300, seed=1)["recall"]
    assert 0.5 <= lo < 0.75 < hi <= 1.0
    assert merged.bootstrap_ci(metric, n=300, seed=1)["recall"] == (lo, hi)  # seeded: reproducible
    # identical recordings leave nothing to resample: a zero-width interval
    same = EvalResult.merge([recs[1]] * 6).bootstrap_ci(metric, n=50)["recall"]
    assert same == (1.0, 1.0)
    # one recording: no interval
    assert all(math.isnan(v) for v in recs[0].bootstrap_ci(metric)["recall"])


def test_confidence_curve_keeps_only_detections_at_or_above_each_cut_off():
    truth = [fp(float(t), snr=8.0) for t in range(1, 7)]
    # 4 true detections at confidence 0.9, 0.7, 0.55, 0.3 and a false one at 0.95
    pred = [Event(("ch1",), t - 0.007, t + 0.007, 50.0, "fasciculation", c, features={"t_peak_s": t, "peak_snr": 9.0})
            for t, c in ((1.0, 0.9), (2.0, 0.7), (3.0, 0.55), (4.0, 0.3), (9.0, 0.95))]
    r = score_events(truth, pred, fs=1000.0, rest_duration_s=None)

    def pr(c):
        k = round(c * 100)
        tp, p, t = (r.conf_curve[(k, "fasciculation", x)] for x in ("tp", "pred", "truth"))
        return tp, p, t

    assert pr(0.0) == (4, 5, 6) == (r.hi_tp["fasciculation"], r.hi_pred["fasciculation"], r.hi_truth["fasciculation"])
    assert pr(0.5) == (3, 4, 6)
    assert pr(0.6) == (2, 3, 6)
    assert pr(0.8) == (1, 2, 6)
    assert pr(0.9) == (1, 2, 6)
    # merged results add the curves up
    assert EvalResult.merge([r, r]).conf_curve[(50, "fasciculation", "tp")] == 6


def test_scores_by_scenario_show_where_the_false_twitches_are():
    from classifier.evaluation import format_by_scenario

    snr = {"snr": 9.0, "peak_snr": 9.0}
    quiet = score_events([fp(1.0, **snr), fp(2.0, **snr)], [fp(1.0, **snr), fp(2.0, **snr)], fs=250.0,
                         rest_duration_s=3600.0)
    noisy = score_events([fp(1.0, **snr)], [fp(1.0, **snr), fp(5.0, **snr), fp(9.0, **snr)], fs=250.0,
                         rest_duration_s=3600.0)
    cramps = score_events([ev(10.0, 40.0, "cramp")], [ev(10.5, 39.0, "cramp"), ev(60.0, 70.0, "cramp")],
                          fs=250.0, rest_duration_s=None)
    lines = format_by_scenario({"rest_benign": noisy, "quiet": quiet, "night_calf_cramp": cramps}).splitlines()
    assert len(lines) == 4 and "false /h at rest" in lines[0]
    assert lines[1].split() == ["rest_benign", "0.333", "/", "1.000", "2.0", "-", "0"]
    assert lines[2].split() == ["quiet", "1.000", "/", "1.000", "0.0", "-", "0"]
    assert lines[3].split() == ["night_calf_cramp", "-", "/", "-", "-", "1", "of", "1", "1"]
