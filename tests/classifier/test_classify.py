import random

import pytest

from classifier import Classifier, classify
from dsp import Burst

CH = ("calf_1", "calf_2", "calf_3", "calf_4")


def spike(t, ch=("calf_1",), peak=80.0, **features):
    f = {"peak_snr": 12.0, "t_peak_s": t + 0.006, "width_s": 0.006, "phases": 2, "lf_ratio": 0.05,
         "step_snr": 4.0}
    f.update(features)
    return Burst(tuple(ch), t, t + 0.014, peak, "spike", features=f)


def sustained(on, off, ch=("calf_1",), peak=300.0, **features):
    return Burst(tuple(ch), on, off, peak, "sustained", features=features)


def run(bursts):
    return classify(bursts, fs=1000.0, channels=CH)


def test_isolated_spike_is_a_fasciculation_with_evidence_and_features():
    (ev,) = run([spike(5.0)])
    assert ev.trial_type == "fasciculation" and ev.subtype == ""
    assert ev.confidence > 0.8
    assert "calf_1" in ev.evidence and "12x noise" in ev.evidence and "biphasic" in ev.evidence
    assert ev.features["t_peak_s"] == pytest.approx(5.006)
    assert ev.features["width_s"] == pytest.approx(0.006)


def test_low_snr_spike_gets_lower_confidence_and_faint_ones_no_event():
    (weak,) = run([spike(5.0, peak_snr=6.5)])
    (strong,) = run([spike(5.0, peak_snr=20.0)])
    assert weak.trial_type == "fasciculation"
    assert weak.confidence < 0.8 < 0.95 < strong.confidence
    # 5x noise is enough on two channels, not on one.
    assert len(run([spike(5.0, ch=("calf_1", "calf_2"), peak_snr=5.0)])) == 1
    assert run([spike(5.0, peak_snr=5.0)]) == []
    clf = Classifier(1000.0, CH)
    assert clf.feed([spike(5.0, peak_snr=3.5)]) + clf.flush() == []
    assert clf.n_absorbed == 1


def beat(t, ch=("calf_1",), peak=40.0, **features):
    """A spike with a QRS-like spectrum (mostly < 20 Hz energy, science.md 1.6)."""
    f = {"lf_ratio": 3.0, "zc_hz": 20.0, "width_s": 0.04, "phases": 3}
    f.update(features)
    return spike(t, ch=ch, peak=peak, **f)


def not_ecg(events):
    return events and all(e.subtype != "ecg" for e in events)


def test_regular_train_is_ecg_but_poisson_like_spikes_are_not():
    beats = [beat(10.0 + 0.85 * k + (0.01 if k % 2 else 0.0)) for k in range(6)]
    events = run(beats)
    assert [e.subtype for e in events] == ["ecg"] * 6
    assert all(e.trial_type == "artifact" for e in events)
    assert "per minute" in events[0].evidence
    # the rhythm it keeps is among the event's measurements
    assert all(e.features["ecg_beats"] >= 3 for e in events)
    assert all(e.features["ecg_rr_s"] == pytest.approx(0.85, abs=0.011) for e in events)
    # Irregular intervals (as from a Poisson process): every one a twitch.
    irregular = [spike(t) for t in (10.0, 10.5, 11.9, 12.3, 14.1, 15.6)]
    assert {e.trial_type for e in run(irregular)} == {"fasciculation"}
    assert not_ecg(run([beat(t) for t in (10.0, 10.5, 11.9, 12.3, 14.1, 15.6)]))


def test_regular_twitch_shaped_spikes_are_not_heartbeats():
    # Mostly > 20 Hz energy is a MUAP, not a QRS, in a short regular run.
    twitches = [spike(10.0 + 0.85 * k) for k in range(4)]
    assert {e.trial_type for e in run(twitches)} == {"fasciculation"}


def test_a_long_metronome_is_a_heartbeat_whatever_its_spectrum():
    # Five or more beats at the tight tolerance: twitches do not keep time
    # like that (Poisson-like, science.md 1.1), and a strong ECG's sharp QRS
    # passes the band-pass as a MUAP-like spike on a flickering channel set.
    beats = [spike(10.0 + 0.85 * k, ch=("calf_1", "calf_2") if k % 2 else ("calf_1",)) for k in range(9)]
    events = run(beats)
    # Every beat with two neighbours on each side is seen as part of the train.
    middle = [e for e in events if 10.0 + 0.85 * 2 - 0.1 <= e.onset_s <= 10.0 + 0.85 * 6 + 0.1]
    assert len(middle) == 5 and {(e.trial_type, e.subtype) for e in middle} == {("artifact", "ecg")}


def test_regular_spikes_of_very_different_size_are_not_ecg():
    beats = [beat(10.0 + 0.8 * k, peak=p) for k, p in enumerate((20.0, 90.0, 25.0, 150.0, 30.0))]
    assert not_ecg(run(beats))


def test_regular_spikes_on_different_channels_are_not_one_train():
    beats = [beat(10.0 + 0.8 * k, ch=(CH[k % 4],)) for k in range(5)]
    assert not_ecg(run(beats))


def test_regular_spikes_on_changing_channel_sets_are_not_ecg():
    # Heartbeats reach the same electrodes every beat; twitches of several
    # units sharing a strongest channel reach varying sets.
    # (A short run: five or more metronome beats are a heartbeat regardless.)
    sets = [("calf_1",), ("calf_1", "calf_2"), ("calf_1",), ("calf_1", "calf_3")]
    assert not_ecg(run([beat(10.0 + 0.8 * k, ch=c) for k, c in enumerate(sets)]))
    same = [beat(10.0 + 0.8 * k, ch=("calf_1", "calf_2")) for k in range(5)]
    assert {e.subtype for e in run(same)} == {"ecg"}


def test_three_spikes_need_a_tighter_rhythm_than_a_longer_train():
    # RR 0.80 then 0.85 s (6 % apart): chance timing of random events ...
    assert not_ecg(run([beat(t) for t in (10.0, 10.8, 11.65)]))
    # ... but within a train of five it is heart-rate variability.
    longer = [beat(t) for t in (10.0, 10.8, 11.65, 12.47, 13.3)]
    assert {e.subtype for e in run(longer)} == {"ecg"}
    tight = [beat(t) for t in (10.0, 10.8, 11.62)]
    assert {e.subtype for e in run(tight)} == {"ecg"}


def test_small_twitch_beside_a_wide_discharge_on_other_channels_is_its_own_event():
    big = spike(5.0, ch=("calf_1", "calf_2", "calf_3"), peak=400.0)
    other = spike(5.1, ch=("calf_4",), peak=30.0)  # not on the big one's channels
    ripple = spike(5.1, ch=("calf_3",), peak=30.0)
    events = run([big, other, ripple])
    assert sorted((round(e.onset_s, 3), e.channels) for e in events) == [(5.0, big.channels), (5.1, ("calf_4",))]


def test_doublet_within_10_to_110_ms_on_the_same_channel():
    events = run([spike(5.0), spike(5.032), spike(9.0), spike(9.300), spike(12.0), spike(12.04, ch=("calf_3",))])
    assert [e.subtype for e in events] == ["", "doublet", "", "", "", ""]
    assert "32 ms" in events[1].evidence and "doublet" in events[1].evidence
    assert events[1].features["doublet_gap_s"] == pytest.approx(0.032, abs=1e-9)
    assert not any("doublet_gap_s" in e.features or "ecg_beats" in e.features for e in events[2:])
    assert all(e.trial_type == "fasciculation" for e in events)
    # one unit fires one waveform: a discharge three times the size is another unit
    assert [e.subtype for e in run([spike(5.0), spike(5.032, peak=240.0)])] == ["", ""]


def test_pop_single_channel_step_and_motion_on_many_channels():
    (pop,) = run([spike(3.0, peak=3000.0, peak_snr=600.0, step_snr=700.0, lf_ratio=0.8)])
    assert (pop.trial_type, pop.subtype) == ("artifact", "pop")
    (motion,) = run([spike(3.0, ch=CH, peak=400.0, peak_snr=80.0, lf_ratio=0.8)])
    assert (motion.trial_type, motion.subtype) == ("artifact", "motion")
    assert "4 channels" in motion.evidence


def test_spike_inside_a_guard_flagged_artifact_is_part_of_it():
    guard = Burst(("calf_1",), 2.9, 3.5, 5000.0, "artifact", artifact="clipping")
    clf = Classifier(1000.0, CH)
    (ev,) = clf.feed([spike(3.0), guard]) + clf.flush()
    assert (ev.trial_type, ev.subtype, ev.onset_s) == ("artifact", "clipping", 2.9)
    assert "limit" in ev.evidence and clf.n_absorbed == 1
    # On another channel the spike is a twitch of its own.
    assert len(run([spike(3.0, ch=("calf_3",)), guard])) == 2


def test_ripples_and_split_groups_of_one_discharge_are_not_extra_twitches():
    big = spike(5.0, ch=("calf_1", "calf_2"), peak=300.0)
    ripples = [spike(5.0 + dt, ch=("calf_2",), peak=20.0) for dt in (0.035, 0.05, 0.2)]
    split = spike(5.008, ch=("calf_4",), peak=150.0)  # same discharge, other channels
    later = spike(5.6, ch=("calf_2",), peak=20.0)  # outside the 250 ms ripple window
    before = spike(4.88, ch=("calf_2",), peak=20.0)  # causal filters do not ring ahead
    doublet = spike(5.04, ch=("calf_1",), peak=250.0)  # same size: a real second discharge
    events = run([big, *ripples, split, later, before, doublet])
    assert sorted(round(e.onset_s, 3) for e in events) == [4.88, 5.0, 5.04, 5.6]
    assert next(e for e in events if e.onset_s == 5.04).subtype == "doublet"


def test_dense_spikes_and_spikes_inside_a_contraction_get_no_events():
    rng = random.Random(7)
    times = [10.0 + 0.25 * k + rng.uniform(-0.08, 0.08) for k in range(30)]  # ~4/s on one channel
    dense = [spike(t, ch=("calf_3",), peak=rng.uniform(60, 110)) for t in times]
    contraction = sustained(30.0, 33.0, ch=("calf_1",), fall_s=0.3, env_cv=0.3)
    inside = spike(31.0, ch=("calf_2",))
    events = run(dense + [contraction, inside])
    # Only the train's first and last seconds, with fewer neighbours, stay twitches.
    assert all(e.onset_s < 11.5 or e.onset_s > 15.5 for e in events if e.onset_s < 20)
    assert [e.trial_type for e in events if e.onset_s > 20] == ["voluntary"]


def test_brief_uneven_sustained_burst_is_twitches_and_its_spikes_are_kept():
    # 0.45 s with an on-off envelope (CV 0.8): a few twitches close together
    # that dsp joined, not a contraction; the spikes inside stay twitches.
    cluster = sustained(20.0, 20.45, peak=90.0, env_cv=0.8, lf_ratio=0.03, fall_s=0.1, peak_snr=20.0,
                        t_peak_s=20.2)
    inside = [spike(20.05, peak=60.0), spike(20.3, peak=70.0)]
    events = run([cluster, *inside])
    assert {e.trial_type for e in events} == {"fasciculation"}
    assert len(events) == 3
    # CV 0.55 is still uneven (twitch clusters at rest: median 0.53 on tuning
    # seeds; brief cramps and contractions <= 0.4).
    (mid,) = run([sustained(20.0, 20.45, peak=90.0, env_cv=0.55, lf_ratio=0.03, fall_s=0.1, peak_snr=20.0)])
    assert (mid.trial_type, mid.subtype) == ("fasciculation", "cluster")
    # The same length with a smooth envelope is a brief contraction.
    smooth = sustained(20.0, 20.45, peak=90.0, env_cv=0.3, lf_ratio=0.03, fall_s=0.1)
    assert [e.trial_type for e in run([smooth])] == ["voluntary"]
    # Over a second long it is a contraction however uneven.
    long_ = sustained(20.0, 21.5, peak=90.0, env_cv=0.8, lf_ratio=0.03, fall_s=0.1)
    assert [e.trial_type for e in run([long_])] == ["voluntary"]


def test_ringing_fades_so_a_late_copy_must_be_smaller_still():
    big = spike(5.0, peak=400.0)
    early = spike(5.05, peak=80.0)  # 5x smaller, 50 ms on: ringing
    late = spike(5.2, peak=60.0)  # 6.7x smaller 200 ms on: the ringing has halved twice since
    late_tiny = spike(5.22, peak=15.0)  # 27x smaller: still ringing
    at = {fs: [Burst(b.channels, b.onset_s, b.offset_s, b.peak_uv, b.kind, features={**b.features, "fs": fs})
               for b in (big, early, late, late_tiny)] for fs in (1000.0, 200.0)}
    assert sorted(round(e.onset_s, 3) for e in run(at[1000.0])) == [5.0, 5.2]
    # at 200 Hz the flat ratio is kept (it did better on the Ganglion's tuning seeds)
    assert sorted(round(e.onset_s, 3) for e in run(at[200.0])) == [5.0]


def test_spikes_on_a_floor_lifted_by_faint_activity_are_not_twitches():
    # A faint cramp lifts the floor 2.5x and its largest units poke out
    # steadily; a lifted floor without that stream (a drying electrode) does
    # not hide a twitch, nor does a steady stream on an unlifted floor.
    riding = [spike(10.0 + 0.9 * k, noise_rise=2.5, prior_spike_rate=60.0) for k in range(5)]
    assert run(riding) == []
    drying = [spike(10.0 + 0.9 * k, noise_rise=2.5, prior_spike_rate=3.0) for k in range(5)]
    steady = [spike(10.0 + 0.9 * k, noise_rise=1.3, prior_spike_rate=60.0) for k in range(5)]
    assert len(run(drying)) == 5 and len(run(steady)) == 5
    why = Classifier(1000.0, CH)
    why.feed(riding)
    why.flush()
    assert why.n_absorbed == 5


def test_busy_muscle_spikes_after_a_minute_of_activity_are_not_twitches():
    # 45 spikes over 6 s on several channels after a minute at 300/min, with
    # the level between them lifted: a contraction in progress whose
    # sustained burst dsp has not closed yet.
    rng = random.Random(3)
    times = sorted(rng.uniform(100.0, 113.0) for _ in range(120))
    amps = [rng.uniform(30, 150) for _ in times]
    busy = [spike(t, ch=(rng.choice(CH),), peak=a, prior_spike_rate=300.0, background_snr=2.0)
            for t, a in zip(times, amps)]
    events = run(busy)
    assert not [e for e in events if 103.5 < e.onset_s < 109.5]  # only the edges, with fewer neighbours
    assert len(events) < 40

    def recast(**features):
        return [Burst(b.channels, b.onset_s, b.offset_s, b.peak_uv, "spike", features={**b.features, **features})
                for b in busy]

    assert len(run(recast(prior_spike_rate=20.0))) > 2 * len(events)
    # Quiet between the spikes: many twitching units at rest, not a contraction.
    assert len(run(recast(background_snr=1.1))) > 2 * len(events)


def test_a_faint_background_unit_poking_out_now_and_then_is_not_twitches():
    # A steady unit at 7 Hz (science.md 1.3) crossing the threshold on a few
    # of its discharges: every second one, 10 faint spikes of one size on one
    # channel in 2.6 s.
    times = [20.0 + 2 * k / 7.0 for k in range(10)]
    faint = [spike(t, ch=("calf_3",), peak=14.0, peak_snr=6.0) for t in times]
    why = Classifier(1000.0, CH)
    assert why.feed(faint) + why.flush() == []
    assert why.n_absorbed == 10
    # As many clear spikes are twitches (a faint unit's rule needs fewer of
    # them than the density rule for clear ones) ...
    assert len(run([spike(t, ch=("calf_3",), peak=40.0, peak_snr=12.0) for t in times])) == 10
    # ... and so are four faint ones.
    assert len(run(faint[::3])) == 4


def test_a_unit_firing_steadily_is_a_contraction_not_twitches():
    # One unit at 12 pps for 0.7 s (a cramp's units fire at 6-25 pps,
    # science.md 1.2), after a calm minute and with a quiet level: too few
    # spikes for the density rule, but no fasciculating unit fires like that.
    steady = [spike(50.0 + k / 12.0, ch=("calf_2",), peak=90.0 + 5.0 * (k % 3)) for k in range(9)]
    why = Classifier(1000.0, CH)
    assert why.feed(steady) + why.flush() == []
    assert why.n_absorbed == 9
    # The same spikes spread over four sites: units twitching in turn.
    scattered = [spike(b.onset_s, ch=(CH[k % 4],), peak=b.peak_uv) for k, b in enumerate(steady)]
    assert len(run(scattered)) == 9
    # Slower, 4 pps: a unit fires that often only at its recruitment, so
    # these stay twitches too.
    assert len(run([spike(50.0 + k / 4.0, ch=("calf_2",), peak=90.0) for k in range(9)])) == 9


def test_spiky_or_brief_sustained_bursts_are_discharges_not_contractions():
    cluster = sustained(50.0, 50.6, ch=("calf_2",), env_cv=1.3, lf_ratio=0.02, t_peak_s=50.2)
    (ev,) = run([cluster])
    assert (ev.trial_type, ev.subtype) == ("fasciculation", "cluster") and ev.confidence <= 0.5
    # A smaller spike at the same moment is the same discharge on other channels.
    assert run([cluster, spike(50.195, ch=("calf_3",), peak=80.0)]) == [ev]
    # dsp reports a 100x-noise MUAP as a 150 ms "sustained" burst: one twitch.
    (big,) = run([sustained(70.0, 70.15, ch=("calf_1",), peak=400.0, env_cv=0.5, lf_ratio=0.01, peak_snr=100.0)])
    assert big.trial_type == "fasciculation" and "single large discharge" in big.evidence


def _cluster(parts, t_peak_s, peak=90.0):
    return Burst(("calf_1",), 20.0, 20.6, peak, "sustained", parts=tuple(parts),
                 features={"env_cv": 0.9, "lf_ratio": 0.03, "peak_snr": 22.0, "t_peak_s": t_peak_s})


def test_a_cluster_of_twitches_is_counted_twitch_by_twitch():
    # dsp hands over the spikes inside a brief spiky run as its parts: each
    # is a twitch, judged by the spike rules.
    parts = [spike(20.05, peak=60.0), spike(20.3, peak=90.0), spike(20.5, peak=70.0)]
    events = run([_cluster(parts, 20.306)])
    assert [(e.trial_type, e.subtype) for e in events] == [("fasciculation", "cluster")] * 3
    assert [e.features["t_peak_s"] for e in events] == pytest.approx([20.056, 20.306, 20.506])
    assert all("one of 3 twitches within 600 ms on calf_1" in e.evidence for e in events)
    # Where dsp found no part at the run's largest peak, the run's own event
    # stands for that discharge.
    events = run([_cluster([parts[0], parts[2]], 20.306)])
    assert [e.features["t_peak_s"] for e in sorted(events, key=lambda e: e.features["t_peak_s"])] == pytest.approx(
        [20.056, 20.306, 20.506])
    (whole,) = [e for e in events if e.features["t_peak_s"] == pytest.approx(20.306)]
    assert "the largest of 3 twitches" in whole.evidence
    # A part that is the same discharge as a larger spike elsewhere, or a
    # smaller spike that is a part's discharge, is counted once.
    big_twin = spike(20.049, ch=("calf_2",), peak=200.0)
    small_twin = spike(20.501, ch=("calf_3",), peak=30.0)
    events = run([_cluster(parts, 20.306), big_twin, small_twin])
    assert len(events) == 3
    assert [e.channels for e in sorted(events, key=lambda e: e.onset_s)] == [("calf_2",), ("calf_1",), ("calf_1",)]
    # A part is still a spike: too faint on one channel, it is no twitch.
    faint = spike(20.4, peak=25.0, peak_snr=4.0)
    assert len(run([_cluster([*parts, faint], 20.306)])) == 3


def test_the_parts_of_a_contraction_are_not_twitches():
    # A smooth 0.6 s burst is a brief contraction: its units are not twitches.
    parts = [spike(20.05 + k * 0.1, peak=60.0) for k in range(5)]
    smooth = Burst(("calf_1",), 20.0, 20.6, 90.0, "sustained", parts=tuple(parts),
                   features={"env_cv": 0.3, "lf_ratio": 0.03, "fall_s": 0.1})
    assert [e.trial_type for e in run([smooth])] == ["voluntary"]


def test_brief_slow_sustained_burst_is_motion_and_regular_ones_are_ecg():
    (motion,) = run([sustained(5.0, 5.2, ch=CH, lf_ratio=6.0, env_cv=0.1)])
    assert (motion.trial_type, motion.subtype) == ("artifact", "motion")
    beats = []
    for k in range(5):  # one heartbeat reaches dsp as a guard flag and a sustained burst
        t = 20.0 + 0.9 * k
        beats.append(Burst(CH, t, t + 0.05, 400.0, "artifact", artifact="motion", features={"t_peak_s": t + 0.02}))
        beats.append(sustained(t + 0.01, t + 0.15, ch=CH[:3], peak=380.0, lf_ratio=9.0, t_peak_s=t + 0.02))
    events = run(beats)
    assert {e.subtype for e in events} == {"ecg"} and len(events) == 10


def test_long_slow_fading_wobbly_activity_is_a_confident_cramp():
    (ev,) = run([sustained(10.0, 102.0, ch=("calf_1", "calf_2"), rise_s=1.5, fall_s=12.0, wobble=0.5,
                           env_cv=0.5, prior_spike_rate=12.0)])
    assert ev.trial_type == "cramp" and ev.confidence > 0.95
    assert "92 s" in ev.evidence and "calf_1, calf_2" in ev.evidence and "12 s fade" in ev.evidence


def test_cramp_on_one_channel_only_is_still_a_cramp():
    (ev,) = run([sustained(10.0, 50.0, ch=("calf_3",), rise_s=3.0, fall_s=6.0, wobble=0.4)])
    assert ev.trial_type == "cramp"


def test_quick_regular_contraction_with_motion_is_voluntary():
    motion = Burst(CH, 20.0, 20.6, 900.0, "artifact", artifact="motion")
    events = run([sustained(20.2, 26.0, ch=CH[:2], rise_s=0.4, fall_s=0.3, wobble=0.05, env_cv=0.12), motion])
    vol = next(e for e in events if e.trial_type != "artifact")
    assert vol.trial_type == "voluntary" and vol.confidence > 0.8
    assert "with movement" in vol.evidence


def piece(on, dur=0.4, **features):
    """A brief low-level contraction on calf_2, as a weak cramp's pieces come."""
    f = {"mean_snr": 3.0, "noise_rise": 1.5, "env_cv": 0.3, "rise_s": 0.1, "fall_s": 0.05, "lf_ratio": 0.1}
    f.update(features)
    return sustained(on, on + dur, ch=("calf_2",), peak=50.0, **f)


def test_brief_low_bursts_in_a_row_over_a_crept_floor_may_be_a_weak_cramp_breaking_up():
    starts = (20.0, 21.0, 22.2, 23.1)
    events = run([piece(t) for t in starts])
    assert [e.trial_type for e in events] == ["voluntary"] * 4
    assert all(e.subtype == "weak_on_off" and e.confidence <= 0.5 for e in events)
    assert "possibly a weak cramp breaking up" in events[1].evidence and "crept up 1.5x" in events[1].evidence
    # The same bursts stay plain voluntary contractions when the floor had not
    # crept, when they are strong, when one stands alone, or when they are far apart.
    for bursts in ([piece(t, noise_rise=1.0) for t in starts], [piece(t, mean_snr=10.0) for t in starts],
                   [piece(20.0)], [piece(t) for t in (20.0, 30.0, 40.0)]):
        assert all(e.trial_type == "voluntary" and e.subtype == "" for e in run(bursts))
    # streamed one at a time, the decision is the same
    clf = Classifier(1000.0, CH)
    streamed = [e for b in (piece(t) for t in starts) for e in clf.feed([b])] + clf.flush()
    assert [(e.subtype, e.confidence, e.evidence) for e in streamed] == [
        (e.subtype, e.confidence, e.evidence) for e in events]


def test_how_far_a_contraction_spreads_votes_on_a_wide_montage():
    # The rules' votes alone (the trained second opinion has its own tests).
    ch8 = tuple(f"leg_{i}" for i in range(8))
    feats = dict(rise_s=0.5, fall_s=1.5, wobble=0.3, env_cv=0.35, lf_ratio=0.04)
    confined = Burst(ch8[:2], 10.0, 16.0, 200.0, "sustained", features=feats)
    spread = Burst(ch8[:7], 10.0, 16.0, 200.0, "sustained", features=feats)
    (c,) = classify([confined], fs=1000.0, channels=ch8, cramp_model=None)
    (v,) = classify([spread], fs=1000.0, channels=ch8, cramp_model=None)
    assert c.trial_type == "cramp" and "confined to 2 of 8 channels" in c.evidence
    assert c.confidence <= 0.6 and "ambiguous" in c.evidence  # a few fingers' clench is confined too
    assert v.trial_type == "voluntary" and "on 7 of 8 channels" in v.evidence
    # A confined on-off envelope gets no confinement vote.
    switching = Burst(ch8[:2], 10.0, 16.0, 200.0, "sustained", features=dict(feats, env_cv=0.7))
    (sw,) = classify([switching], fs=1000.0, channels=ch8, cramp_model=None)
    assert sw.trial_type == "voluntary" and "confined" not in sw.evidence
    # On a 4-channel board the spread says nothing.
    (four,) = classify([Burst(ch8[:2], 10.0, 16.0, 200.0, "sustained", features=feats)], fs=1000.0,
                       channels=ch8[:4], cramp_model=None)
    assert four.trial_type == "voluntary" and "channels" not in four.evidence.split(", looks")[1]


def test_repeated_movements_merged_into_one_long_burst_are_not_a_long_contraction():
    # Fists every 5 s whose pauses did not end the burst (a real Myo file):
    # 55 s long, but an on-off envelope; the length is the series', so it
    # must not vote for a cramp. The same burst held steadily does.
    feats = {"rise_s": 0.4, "fall_s": 1.0, "wobble": 0.13, "env_cv": 0.96, "lf_ratio": 0.04}
    (series,) = run([sustained(5.0, 60.0, ch=CH, **feats)])
    assert series.trial_type == "voluntary" and series.confidence > 0.8
    assert "on-off pattern" in series.evidence and "55 s, longer" not in series.evidence
    (held,) = run([sustained(5.0, 60.0, ch=CH, **{**feats, "env_cv": 0.3})])
    assert "longer than a held contraction" in held.evidence


def test_held_contraction_is_never_a_confident_cramp():
    # A 25 s clench held steadily and released in 1.5 s: ambiguous at worst.
    (ev,) = run([sustained(5.0, 30.0, rise_s=0.6, fall_s=1.5, wobble=0.15, env_cv=0.3)])
    assert not (ev.trial_type == "cramp" and ev.confidence > 0.6)
    assert ev.confidence <= 0.6 and "ambiguous" in ev.evidence


def test_guard_artifact_keeps_its_kind():
    (ev,) = run([Burst(("calf_2",), 1.0, 4.0, 0.0, "artifact", artifact="flat")])
    assert (ev.trial_type, ev.subtype) == ("artifact", "flat") and "calf_2" in ev.evidence


def _mixed_bursts(seed):
    rng = random.Random(seed)
    bursts = [spike(rng.uniform(0, 120), ch=(rng.choice(CH),), peak=rng.uniform(20, 200)) for _ in range(60)]
    bursts += [spike(30.0 + 0.9 * k + rng.uniform(-0.01, 0.01), ch=("calf_2",), peak=50.0) for k in range(20)]
    t = 5.0
    for _ in range(4):
        d = rng.uniform(2, 40)
        bursts.append(sustained(t, t + d, ch=(rng.choice(CH),), fall_s=rng.uniform(0.2, 8), wobble=rng.random()))
        t += d + rng.uniform(1, 10)
    bursts.append(Burst(("calf_4",), 60.0, 61.0, 900.0, "artifact", artifact="motion"))
    bursts.append(spike(60.5, ch=("calf_4",)))
    bursts.append(spike(70.0))
    bursts.append(spike(70.03))
    return sorted(bursts, key=lambda b: (b.offset_s, b.onset_s))


@pytest.mark.parametrize("seed", range(6))
def test_streaming_in_any_split_equals_classify(seed):
    bursts = _mixed_bursts(seed)
    offline = run(bursts)
    assert len(offline) > 60
    rng = random.Random(100 + seed)
    clf = Classifier(1000.0, CH)
    streamed = []
    i = 0
    while i < len(bursts):
        n = rng.choice([0, 1, 1, 2, 5, 17])
        streamed += clf.feed(bursts[i:i + n])
        i += n
    streamed += clf.flush()
    assert streamed == offline


def test_streaming_holds_a_spike_until_its_ecg_window_has_passed():
    clf = Classifier(250.0, CH)
    assert clf.feed([spike(1.0)]) == []
    assert clf.feed([spike(3.0, ch=("calf_2",))]) == []  # 2 s later: a train could still form
    out = clf.feed([sustained(4.0, 6.0, ch=("calf_3",))])
    assert [e.onset_s for e in out] == [1.0]
    assert [e.onset_s for e in clf.flush()] == [3.0, 4.0]
    assert clf.flush() == []


def test_unknown_channel_and_bad_rate_are_clear_errors():
    with pytest.raises(ValueError, match=r"channel\(s\) \['thigh'\].*not among"):
        classify([spike(1.0, ch=("thigh",))], fs=1000.0, channels=CH)
    with pytest.raises(ValueError, match="fs must be a positive rate"):
        Classifier(0.0, CH)
    with pytest.raises(TypeError, match="expected dsp.Burst"):
        Classifier(1000.0, CH).feed(["not a burst"])


def test_a_muap_edge_flag_inside_a_contraction_is_not_movement():
    # dsp's motion guard trips for 24 ms on a unit's steep edge (no < 20 Hz
    # energy): that is no "with movement" vote; a slow flag still is.
    cramp = sustained(66.0, 102.0, ch=CH[:2], rise_s=0.4, fall_s=2.0, wobble=0.3, env_cv=0.27, lf_ratio=0.03,
                      zc_hz=65.0, mean_snr=17.0)
    edge = Burst(("calf_1",), 70.0, 70.024, 60.0, "artifact", artifact="motion", features={"lf_ratio": 0.05})
    slow = Burst(("calf_1",), 70.0, 70.024, 60.0, "artifact", artifact="motion", features={"lf_ratio": 4.0})
    with_edge = [e for e in run([edge, cramp]) if e.trial_type in ("cramp", "voluntary")][0]
    with_slow = [e for e in run([slow, cramp]) if e.trial_type in ("cramp", "voluntary")][0]
    assert "with movement" not in with_edge.evidence
    assert "with movement" in with_slow.evidence


def test_a_brief_motion_flag_without_slow_energy_gets_no_event():
    # Inside a contraction dsp's motion guard trips on single units' edges;
    # the user must not read "slow baseline movement for 24 ms" there.
    edge = Burst(("calf_1",), 50.0, 50.024, 10.0, "artifact", artifact="motion", features={"lf_ratio": 0.05})
    slow = Burst(("calf_1",), 60.0, 60.024, 10.0, "artifact", artifact="motion", features={"lf_ratio": 5.0})
    assert [e.onset_s for e in run([edge, slow])] == [60.0]


def test_brief_motion_flag_on_the_edge_of_a_big_twitch_is_dropped():
    edge = Burst(("calf_1",), 8.0, 8.024, 60.0, "artifact", artifact="motion", features={"t_peak_s": 8.01})
    twitch = spike(8.02, ch=("calf_1", "calf_2"), peak=300.0, peak_snr=80.0)
    assert [e.trial_type for e in run([edge, twitch])] == ["fasciculation"]
    # A real motion artefact (0.4 s) stays.
    slow = Burst(("calf_1",), 8.0, 8.4, 900.0, "artifact", artifact="motion")
    assert sorted(e.trial_type for e in run([slow, spike(9.0)])) == ["artifact", "fasciculation"]
    # A twitch inside its own brief edge flag keeps its event; inside real motion it is part of it.
    wide = Burst(("calf_1",), 8.0, 8.06, 60.0, "artifact", artifact="motion", features={"t_peak_s": 8.03})
    assert [e.trial_type for e in run([wide, spike(8.02)])] == ["fasciculation"]
    assert [e.trial_type for e in run([slow, spike(8.1)])] == ["artifact"]


def test_spikes_at_the_edge_of_a_contraction_belong_to_it():
    # (Only contractions that end within the hold time are known in time for
    # the spikes at their start; a fading edge is always covered.)
    contraction = sustained(20.0, 22.5, ch=("calf_1", "calf_2"), fall_s=0.4, env_cv=0.3)
    before = spike(19.7, ch=("calf_2",))
    after = spike(22.8, ch=("calf_1",))
    elsewhere = spike(19.7, ch=("calf_4",))
    events = run([before, after, elsewhere, contraction])
    assert sorted((e.trial_type, e.channels[0]) for e in events) == [
        ("fasciculation", "calf_4"), ("voluntary", "calf_1")]


def test_bursts_at_the_edge_of_a_data_gap_get_no_events():
    # A dropout longer than dsp bridges (0.25 s): the filters restart and ring.
    gap = Burst(CH, 39.6, 40.05, 0.0, "artifact", artifact="dropout")
    restart = spike(40.07, ch=("calf_1",))  # the filters restarting where samples return
    into_gap = spike(39.59, ch=("calf_3",))  # the step into the gap
    faint_tail = spike(40.15, ch=("calf_2",), peak_snr=6.0)  # filter ringing
    clear_tail = spike(40.15, ch=("calf_4",), peak_snr=12.0)  # a twitch 100 ms after the gap
    edge_step = sustained(39.2, 39.6, ch=("calf_2",), fall_s=0.1, env_cv=0.3)
    far = spike(41.0, ch=("calf_1",))
    events = run([edge_step, into_gap, gap, restart, faint_tail, clear_tail, far])
    assert sorted((e.trial_type, e.onset_s, e.channels[0]) for e in events) == [
        ("artifact", 39.6, "calf_1"), ("fasciculation", 40.15, "calf_4"), ("fasciculation", 41.0, "calf_1")]


def test_a_bridged_dropout_only_hides_the_first_samples_back():
    # A lost BLE packet (50 ms): dsp carries the filters through it, so there
    # is no ringing; only a spike starting within 10 ms of the data's return
    # is the step back into them.
    gap = Burst(CH, 40.0, 40.05, 0.0, "artifact", artifact="dropout", features={"bridged": 1.0})
    step_back = spike(40.06, ch=("calf_1",))
    later = spike(40.07, ch=("calf_3",))
    before = spike(39.99, ch=("calf_3",))
    faint_tail = spike(40.15, ch=("calf_2",), peak_snr=6.0)
    events = run([before, gap, step_back, later, faint_tail])
    assert sorted((e.trial_type, e.onset_s, e.channels[0]) for e in events) == [
        ("artifact", 40.0, "calf_1"), ("fasciculation", 39.99, "calf_3"), ("fasciculation", 40.07, "calf_3"),
        ("fasciculation", 40.15, "calf_2")]
    # A big discharge that dsp saw as a short sustained burst gets a spike's window.
    big = sustained(40.2, 40.45, ch=("calf_3",), peak_snr=40.0, lf_ratio=0.1, env_cv=0.5)
    assert [e.trial_type for e in run([gap, big])] == ["artifact", "fasciculation"]
    assert [e.trial_type for e in run([gap, sustained(40.06, 40.3, ch=("calf_3",), peak_snr=40.0,
                                                     lf_ratio=0.1, env_cv=0.5)])] == ["artifact"]


def test_a_gap_edge_is_judged_where_the_filters_saw_it():
    # dsp moves a spike back by the band-pass's delay (10 ms at 200 Hz) so it
    # sits where the discharge is; the filters' step back into the data
    # starts at the gap's end all the same, so it is judged 10 ms later.
    gap = Burst(CH, 40.0, 40.05, 0.0, "artifact", artifact="dropout", features={"bridged": 1.0})
    step_back = spike(40.036, ch=("calf_1",), delay_s=0.01, t_peak_s=40.052)
    twitch = spike(40.07, ch=("calf_3",), delay_s=0.01)  # 30 ms after the data came back
    events = run([gap, step_back, twitch])
    assert sorted((e.trial_type, e.channels[0]) for e in events) == [
        ("artifact", "calf_1"), ("fasciculation", "calf_3")]


def test_spikes_next_to_a_cluster_of_twitches_keep_their_events():
    # dsp flags spikes within 0.5 s of >= 1 s of sustained activity; when the
    # context shows that activity is a spiky cluster of discharges, not a
    # contraction, a spike beside it is still a twitch.
    cluster = sustained(10.0, 11.2, ch=("calf_1",), env_cv=1.2, lf_ratio=0.1, peak_snr=40.0)
    beside = spike(11.4, ch=("calf_3",), near_sustained=1.0)
    assert sorted(e.trial_type for e in run([cluster, beside])) == ["fasciculation", "fasciculation"]
    contraction = sustained(10.0, 11.2, ch=("calf_1",), env_cv=0.3, lf_ratio=0.1, fall_s=0.3)
    assert [e.trial_type for e in run([contraction, beside])] == ["voluntary"]
    # Without the run in view (a long cramp still going on) the flag stands.
    assert run([beside]) == []


def test_cramp_end_is_extended_by_the_fade_below_the_noise():
    # Plateau at 10x noise, 4 s measured from 80 % down to dsp's offset at
    # sqrt(2^2-1) = 1.73x noise: the fade goes on 4 * 1.73 / (8 - 1.73) = 1.1 s.
    (ev,) = run([sustained(10.0, 70.0, fall_s=4.0, mean_snr=10.0, wobble=0.4)])
    assert ev.trial_type == "cramp"
    assert ev.offset_s == pytest.approx(70.0 + 4.0 * 3**0.5 / (8.0 - 3**0.5), abs=1e-6)
    assert ev.features["fade_tail_s"] == pytest.approx(ev.offset_s - 70.0)
    assert "from its fade" in ev.evidence
    (vol,) = run([sustained(10.0, 13.0, fall_s=0.3, mean_snr=10.0)])
    assert vol.trial_type == "voluntary" and vol.offset_s == 13.0


def test_faint_slow_wave_is_heartbeat_like_not_a_twitch():
    (ev,) = run([spike(3.0, ch=("calf_1", "calf_2"), peak_snr=6.5, lf_ratio=0.4, zc_hz=15.0, phases=2)])
    assert (ev.trial_type, ev.subtype) == ("artifact", "ecg") and "heartbeat" in ev.evidence
    (fp,) = run([spike(3.0, ch=("calf_1", "calf_2"), peak_snr=6.5, lf_ratio=0.1, zc_hz=60.0, phases=2)])
    assert fp.trial_type == "fasciculation"


def test_huge_one_channel_jump_with_slow_energy_is_a_pop_even_as_a_sustained_burst():
    pop = sustained(86.1, 86.55, ch=("calf_4",), peak=3000.0, peak_snr=620.0, lf_ratio=0.87, env_cv=1.5)
    (ev,) = run([pop])
    assert (ev.trial_type, ev.subtype) == ("artifact", "pop")
    big_twitch = sustained(70.0, 70.15, ch=("calf_4",), peak=400.0, peak_snr=120.0, lf_ratio=0.02, env_cv=0.5)
    assert run([big_twitch])[0].trial_type == "fasciculation"


def test_slow_low_frequency_sustained_burst_is_motion_not_a_contraction():
    (ev,) = run([sustained(50.0, 51.2, ch=("calf_3",), lf_ratio=40.0, zc_hz=18.0, env_cv=0.6, fall_s=0.3)])
    assert (ev.trial_type, ev.subtype) == ("artifact", "motion") and "zero crossings" in ev.evidence
    # A real contraction with coupled movement keeps its 60-120 Hz content.
    (vol,) = run([sustained(50.0, 52.2, ch=("calf_3",), lf_ratio=40.0, zc_hz=95.0, env_cv=0.4, fall_s=0.3)])
    assert vol.trial_type == "voluntary"


def test_twitch_at_250_hz_may_carry_more_slow_energy_if_its_waveform_is_fast():
    # The device filters at 250 Hz cut a MUAP's upper band, raising its
    # < 20 Hz share; a fast waveform (>= 30 zero crossings/s) is still a twitch.
    def at(fs, zc):
        b = spike(5.0, lf_ratio=0.8, zc_hz=zc, fs=fs)
        return [(e.trial_type, e.subtype) for e in classify([b], fs=fs, channels=CH)]

    assert at(250.0, 42.0) == [("fasciculation", "")]
    assert at(250.0, 15.0) == [("artifact", "motion")]
    assert at(1000.0, 42.0) == [("artifact", "motion")]


def test_a_copy_four_times_smaller_after_a_twitch_is_ringing_not_a_doublet():
    first = spike(5.0, ch=("calf_1", "calf_2"), peak=200.0)
    ringing = spike(5.033, ch=("calf_1",), peak=45.0)  # 4.4x smaller, two 60 Hz periods later
    assert [e.onset_s for e in run([first, ringing])] == [5.0]
    second = spike(5.033, ch=("calf_1",), peak=120.0)  # a real second discharge is of similar size
    assert [e.subtype for e in run([first, second])] == ["", "doublet"]


def test_a_spike_dsp_saw_next_to_sustained_activity_is_part_of_it():
    # dsp flags spikes within 0.5 s of a >= 1 s sustained run on any channel
    # (a cramp's units on a neighbouring channel, or its ramp's first units).
    alone = spike(5.0, peak_snr=12.0)
    near = Burst(alone.channels, alone.onset_s, alone.offset_s, alone.peak_uv, "spike",
                 features={**alone.features, "near_sustained": 1.0})
    assert len(run([alone])) == 1
    clf = Classifier(1000.0, CH)
    assert clf.feed([near]) + clf.flush() == [] and clf.n_absorbed == 1


def test_a_clear_spike_on_quiet_channels_during_activity_elsewhere_is_a_twitch():
    # A cramp may hold part of one muscle while another part twitches: dsp's
    # near_sustained flag covers all channels, background_snr and noise_rise
    # the spike's own.
    def events(peak_snr, background, ch=("calf_3",), rise=1.0, here=0.0):
        return [e.trial_type for e in run([spike(5.0, ch=ch, peak_snr=peak_snr, near_sustained=1.0,
                                                 sustained_here=here, background_snr=background,
                                                 noise_rise=rise)])]

    assert events(14.0, 1.05) == ["fasciculation"]
    assert events(14.0, 2.5) == []  # its own channel is busy: crosstalk or the cramp's own units
    assert events(14.0, 1.05, rise=2.5) == []  # ... its floor has followed the crosstalk up
    assert events(14.0, 1.05, here=1.0) == []  # a first unit of activity on its own channels
    assert events(7.0, 1.05) == events(7.0, 1.05, ch=("calf_3", "calf_4")) == []  # not clear enough
    assert events(9.0, 1.6, ch=("calf_3", "calf_4")) == ["fasciculation"]
    assert events(14.0, float("nan")) == []  # unmeasured: the flag stands


def test_a_faint_one_channel_spike_on_a_busy_channel_is_ongoing_activity():
    # Faint activity under the sustained threshold (a weak cramp) lifts the
    # level around its units' spikes before the tracked floor follows it.
    def events(peak_snr, background, ch=("calf_2",)):
        return [e.trial_type for e in run([spike(5.0, ch=ch, peak_snr=peak_snr, background_snr=background)])]

    assert events(6.5, 1.1) == ["fasciculation"]
    assert events(6.5, 1.4) == []
    assert events(6.5, 1.4, ch=("calf_2", "calf_3")) == ["fasciculation"]  # corroborated on two
    assert events(9.0, 1.4) == ["fasciculation"]  # clear of it


def test_a_twitch_peaking_4_samples_apart_on_two_channels_is_one_event_at_250_hz():
    # At 250 Hz |y| peaks on different phases of one MUAP on neighbouring
    # channels, 16 ms (4 samples) apart: one twitch, not two. At 1 kHz
    # peaks 16 ms apart are separate discharges.
    def pair(fs):
        main = spike(5.0, ch=("calf_1",), peak=90.0, fs=fs)
        side = spike(5.016, ch=("calf_2", "calf_3"), peak=60.0, fs=fs)
        return classify([main, side], fs=fs, channels=CH)

    (one,) = pair(250.0)
    assert one.channels == ("calf_1",) and one.trial_type == "fasciculation"
    assert [e.channels for e in pair(1000.0)] == [("calf_1",), ("calf_2", "calf_3")]


def test_noise_correction_of_the_zero_crossing_rate_recovers_the_muscle_signals():
    import math

    import numpy as np
    from scipy import signal

    from classifier._rules import _noise_rho, muscle_zc_hz
    from dsp import design_bandpass
    from dsp.filters import init_filter_state, sos_filter

    fs = 1000.0
    sos = design_bandpass(fs)

    def band(x):
        y, _ = sos_filter(np.ascontiguousarray(x[:, None], dtype=np.float32), sos, init_filter_state(sos, 1))
        return y[2000:, 0].astype(np.float64)

    def zc_hz(y):  # as dsp.features: sign changes / 2 / duration
        s = np.sign(y[y != 0])
        return np.count_nonzero(s[1:] != s[:-1]) / 2.0 / (y.size / fs)

    rng = np.random.default_rng(5)
    noise = band(rng.normal(0, 1, 200_000))
    # white noise through the band-pass crosses zero as its response predicts
    assert zc_hz(noise) == pytest.approx(fs * math.acos(_noise_rho(fs)) / (2 * math.pi), rel=0.01)
    # a slower "muscle" signal (60-140 Hz) at 2.5 and 5x the noise RMS
    slow = band(signal.sosfilt(signal.butter(4, [60, 140], "bandpass", fs=fs, output="sos"),
                               rng.normal(0, 1, 200_000)))
    for k in (2.5, 5.0):
        m = slow * k * noise.std() / slow.std()
        mix = m + noise
        snr = mix.std() / noise.std()
        assert zc_hz(mix) > zc_hz(m) + 4.0  # the noise lifts the rate
        assert muscle_zc_hz(zc_hz(mix), snr, fs) == pytest.approx(zc_hz(m), rel=0.02)
    assert math.isnan(muscle_zc_hz(zc_hz(noise), 1.0, fs))  # no signal above the noise


def test_a_weak_fast_oscillating_short_burst_gets_the_cramp_vote_a_slow_one_does_not():
    # 5x noise: 114 crossings/s is ~107 of muscle alone once the noise's
    # share is out, 128 is ~123 (3 of 8 channels: confined)
    base = {"fall_s": 0.3, "env_cv": 0.4, "lf_ratio": 0.02, "mean_snr": 5.0, "rms_snr": 5.2, "fs": 1000.0}
    fast = sustained(10.0, 13.5, ch=CH[:3], zc_hz=128.0, **base)
    slow = sustained(10.0, 13.5, ch=CH[:3], zc_hz=114.0, **base)
    ch8 = CH + ("shin_1", "shin_2", "shin_3", "shin_4")
    # (The rules' vote alone: the trained model calls both voluntary.)
    (f,) = classify([fast], fs=1000.0, channels=ch8, cramp_model=None)
    (s,) = classify([slow], fs=1000.0, channels=ch8, cramp_model=None)
    assert "fast-oscillating" in f.evidence and "fast-oscillating" not in s.evidence
    assert f.trial_type == "cramp" and f.confidence <= 0.6  # short: ambiguous at most
    assert s.trial_type == "voluntary"


def test_the_fade_vote_judges_the_whole_fade_not_only_the_part_above_threshold():
    from classifier._rules import FADE_MIN_SNR, fade_s, fade_tail_s

    feats = {"fall_s": 0.8, "env_cv": 0.4, "lf_ratio": 0.02, "rms_snr": 5.3, "fs": 1000.0}
    weak = sustained(10.0, 14.0, ch=CH[:2], mean_snr=5.0, **feats)
    # at 5x noise the burst sinks under dsp's off threshold early in its fade
    assert fade_tail_s(weak) > 0.2
    assert fade_s(weak) == pytest.approx(0.8 + fade_tail_s(weak))
    (ev,) = run([weak])
    assert "stopped within" not in ev.evidence and "stopped in" in ev.evidence
    # barely above the noise the tail is not extrapolated
    faint = sustained(10.0, 14.0, ch=CH[:2], mean_snr=FADE_MIN_SNR - 0.5, **feats)
    assert fade_s(faint) == 0.8
    (ev,) = run([faint])
    assert "stopped within 800 ms" in ev.evidence


def test_a_floor_that_crept_up_before_the_onset_is_a_cramp_vote():
    # A 4 s burst on 3 of 8 channels at 250 Hz, stopping within 0.5 s: alone
    # it reads as a short voluntary contraction; a floor lifted 1.6x before
    # it began (a prodrome or a slow start) tips it to an ambiguous cramp.
    # (The rules' votes alone; the trained second opinion has its own tests.)
    base = {"fall_s": 0.5, "env_cv": 0.4, "lf_ratio": 0.02, "mean_snr": 3.5, "rms_snr": 3.5, "fs": 250.0}
    ch8 = CH + ("shin_1", "shin_2", "shin_3", "shin_4")
    rules = {"fs": 250.0, "channels": ch8, "cramp_model": None}
    (crept,) = classify([sustained(10.0, 14.0, ch=CH[:3], noise_rise=1.6, **base)], **rules)
    (sudden,) = classify([sustained(10.0, 14.0, ch=CH[:3], noise_rise=1.05, **base)], **rules)
    assert "crept up 1.6x" in crept.evidence and "crept" not in sudden.evidence
    assert crept.trial_type == "cramp" and crept.confidence <= 0.6
    assert sudden.trial_type == "voluntary"


def test_a_smaller_spike_right_after_a_heartbeat_is_part_of_it():
    # A regular train of large beats on calf_1 (RR 0.85 s): a smaller spike
    # 80 ms after one of them on the same channel is its T wave or QRS side
    # lobe; the same spike on another channel, or 300 ms later, is a twitch.
    # (Half the beat's size: too large to be its filter ringing.)
    beats = [spike(10.0 + 0.85 * k, peak=400.0, peak_snr=40.0, lf_ratio=2.0) for k in range(6)]
    after = 10.0 + 0.85 * 3
    part = spike(after + 0.08, peak=200.0)
    elsewhere = spike(after + 0.08, ch=("calf_3",), peak=200.0)
    later = spike(after + 0.3, peak=200.0)
    events = run(beats + [part, elsewhere, later])
    twitches = sorted((round(e.onset_s, 3), e.channels) for e in events if e.trial_type == "fasciculation")
    assert twitches == [(round(after + 0.08, 3), ("calf_3",)), (round(after + 0.3, 3), ("calf_1",))]
    assert sum(e.subtype == "ecg" for e in events) == 6


def _slow_wave_flags(times):
    # A strong ECG's P and T waves trip dsp's motion guard at every beat: a
    # ~0.7 s flag on every channel with the QRS as its band-passed peak.
    return [Burst(CH, t - 0.2, t + 0.5, 300.0, "artifact", artifact="motion",
                  features={"t_peak_s": t, "lf_ratio": 7.0}) for t in times]


def test_motion_flags_keeping_a_heart_rate_are_heartbeats_and_a_twitch_on_them_is_kept():
    beats = [10.0 + 1.1 * k + (0.04 if k % 2 else -0.02) for k in range(7)]  # RR 1.16, 1.04 s, ...
    t3 = beats[3]
    fast = {"peak": 60.0, "peak_snr": 12.0, "lf_ratio": 6.0, "zc_hz": 100.0, "fs": 1000.0}
    events = run(_slow_wave_flags(beats) + [spike(t3 + 0.35, ch=("calf_2",), **fast)])
    flags = [e for e in events if e.trial_type == "artifact"]
    # (The first flag sees only two beats after it within the train window.)
    assert len(flags) == 7 and all(e.subtype == "ecg" and "slow waves" in e.evidence for e in flags[1:])
    # The twitch's < 20 Hz energy is the heartbeat's: its fast waveform decides.
    (twitch,) = [e for e in events if e.trial_type == "fasciculation"]
    assert twitch.onset_s == pytest.approx(t3 + 0.35)
    # A slow spike there, one at the QRS, or one at 250 Hz (where the T wave's
    # steep parts look alike) is part of the heartbeat.
    for extra in (spike(t3 + 0.35, ch=("calf_2",), **{**fast, "zc_hz": 40.0}),
                  spike(t3 - 0.004, ch=("calf_2",), **fast),
                  spike(t3 + 0.35, ch=("calf_2",), **{**fast, "fs": 250.0})):
        events = run(_slow_wave_flags(beats) + [extra])
        assert [e.trial_type for e in events] == ["artifact"] * 7


def test_irregular_motion_flags_stay_movement_and_hide_the_spikes_in_them():
    times = [10.0, 10.5, 11.9, 12.6, 13.9, 14.5, 15.9]
    spikes = [spike(times[3] + 0.35, ch=("calf_2",), peak=60.0, peak_snr=12.0, lf_ratio=6.0, zc_hz=100.0,
                    fs=1000.0)]
    events = run(_slow_wave_flags(times) + spikes)
    assert [(e.trial_type, e.subtype) for e in events] == [("artifact", "motion")] * 7


def test_bursts_far_beyond_any_muscle_signal_are_not_twitches():
    huge = sustained(30.0, 31.2, ch=CH[:3], peak=30000.0, peak_snr=20000.0, env_cv=1.2, lf_ratio=0.3)
    spiky = spike(50.0, ch=CH[:2], peak=5000.0, peak_snr=5000.0)
    events = run([huge, spiky])
    assert [e.trial_type for e in events] == ["artifact", "artifact"]
    assert all("far beyond any muscle" in e.evidence for e in events)
    big_twitch = spike(70.0, ch=CH[:2], peak=300.0, peak_snr=250.0)
    assert run([big_twitch])[0].trial_type == "fasciculation"


def test_preview_calls_a_lone_spike_a_twitch_at_once_and_changes_no_final_decision():
    clf = Classifier(1000.0, CH)
    (early,) = clf.preview([spike(5.0)])
    assert (early.trial_type, early.subtype) == ("fasciculation", "provisional")
    assert early.confidence < 0.8 and "provisional" in early.evidence and "regular" not in early.evidence
    assert clf.preview([spike(7.0, peak_snr=3.5)]) == []  # too faint, as the final rule says
    final = clf.feed([spike(5.0), spike(7.0, peak_snr=3.5)]) + clf.flush()
    plain = run([spike(5.0), spike(7.0, peak_snr=3.5)])
    assert [(e.trial_type, e.confidence, e.evidence) for e in final] == [
        (e.trial_type, e.confidence, e.evidence) for e in plain]


def test_preview_knows_a_heartbeat_from_the_beats_before_it_but_not_after():
    clf = Classifier(1000.0, CH)
    calls = [clf.preview([spike(10.0 + 0.85 * k)]) for k in range(8)]
    # A metronome is a heartbeat from its fifth beat (LONG_TRAIN); before
    # that the past alone cannot tell, the final decision can.
    assert [len(c) for c in calls] == [1, 1, 1, 1, 0, 0, 0, 0]
    assert {e.subtype for e in run([spike(10.0 + 0.85 * k) for k in range(8)])[2:6]} == {"ecg"}


def test_preview_leaves_out_spikes_by_a_data_gap_or_inside_a_contraction():
    clf = Classifier(1000.0, CH)
    gap = Burst(("calf_1",), 5.02, 5.3, 0.0, "artifact", "dropout")
    assert clf.preview([spike(5.0, peak_snr=6.0), gap]) == []
    assert clf.preview([spike(8.0, near_sustained=1.0)]) == []
    assert clf.preview([spike(8.5, background_snr=2.0)]) == []  # the muscle's level is up around it
    assert len(clf.preview([spike(9.0)])) == 1


def test_preview_expects_the_next_beats_of_a_decided_heartbeat_train():
    clf = Classifier(1000.0, CH)
    beats = [spike(10.0 + 0.85 * k) for k in range(9)]
    decided = clf.feed(beats + [spike(30.0, ch=("calf_4",))])  # a later burst moves the clock past them
    ecg = [e for e in decided if e.subtype == "ecg"]
    assert ecg
    last = ecg[-1].features["t_peak_s"]
    on_beat = last + 3 * 0.85 - 0.006  # spike() peaks 6 ms after its onset
    assert clf.preview([spike(on_beat)]) == []
    assert clf.preview([spike(on_beat + 0.1)]) == []  # a T wave's place
    assert len(clf.preview([spike(on_beat + 0.4)])) == 1  # between beats
    assert len(clf.preview([spike(on_beat + 0.85, ch=("calf_4",))])) == 1  # not the heart's channel


def test_a_large_one_sided_jump_on_a_fast_board_is_a_pop_not_a_twitch():
    # An electrode pop through a board's high-pass decays on one side
    # (net_ratio near 1); a discharge's phases cancel.
    pop = spike(5.0, peak=600.0, peak_snr=60.0, net_ratio=0.8, fs=500.0, phases=3)
    (ev,) = run([pop])
    assert (ev.trial_type, ev.subtype) == ("artifact", "pop")
    assert "one side" in ev.evidence and "90% of its area" in ev.evidence
    (twitch,) = run([spike(5.0, peak=600.0, peak_snr=60.0, net_ratio=0.1, fs=500.0, phases=3)])
    assert twitch.trial_type == "fasciculation"
    # Where noise can tip the balance (< 20x), and on boards too slow to show
    # a discharge's two phases, the shape is not trusted.
    (faint,) = run([spike(5.0, peak_snr=12.0, net_ratio=0.8, fs=500.0)])
    (slow,) = run([spike(5.0, peak=600.0, peak_snr=60.0, net_ratio=0.8, fs=200.0)])
    assert faint.trial_type == slow.trial_type == "fasciculation"
    # Two channels at once is no single electrode's pop.
    two = spike(5.0, ch=("calf_1", "calf_2"), peak=600.0, peak_snr=60.0, net_ratio=0.8, fs=500.0)
    assert run([two])[0].trial_type == "fasciculation"


def test_a_jump_with_no_swing_back_is_a_pop_from_a_lower_size():
    # A discharge has a phase of the other sign near its peak (swing_ratio
    # >= ~0.2 on tuning seeds); a pop through a board's high-pass has none,
    # which noise cannot fake from 8x up, where the net area (20x) cannot tell.
    (ev,) = run([spike(5.0, peak_snr=12.0, net_ratio=0.4, swing_ratio=0.05, fs=500.0)])
    assert (ev.trial_type, ev.subtype) == ("artifact", "pop")
    assert "hardly any swing back" in ev.evidence and "at most 5% of its height" in ev.evidence
    (flat,) = run([spike(5.0, peak_snr=12.0, swing_ratio=0.0, fs=500.0)])
    assert "with no swing back the other way (a twitch swings both ways)" in flat.evidence
    for twitch in (
        spike(5.0, peak_snr=12.0, net_ratio=0.4, swing_ratio=0.3, fs=500.0),  # it swings back
        spike(5.0, peak_snr=6.0, net_ratio=0.4, swing_ratio=0.05, fs=500.0),  # noise could hide a swing
        spike(5.0, peak_snr=12.0, swing_ratio=0.05, fs=250.0),  # a slow board's filters blur the phases
        spike(5.0, ch=("calf_1", "calf_2"), peak_snr=12.0, swing_ratio=0.05, fs=500.0),
    ):
        assert run([twitch])[0].trial_type == "fasciculation", twitch.features
