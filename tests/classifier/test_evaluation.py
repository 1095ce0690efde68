import pytest

from classifier.evaluation import EVAL_SEEDS, TUNING_SEEDS, rest_seconds, run_evaluation
from dsp import Event


def _ev(on, off, cls, sub=""):
    return Event(("a",), on, off, 1.0, cls, 1.0, subtype=sub)


def test_tuning_and_evaluation_seeds_are_disjoint():
    assert TUNING_SEEDS and EVAL_SEEDS
    assert not set(TUNING_SEEDS) & set(EVAL_SEEDS)


def test_rest_excludes_cramps_and_voluntary_but_not_artifacts():
    truth = [_ev(10, 40, "cramp"), _ev(30, 50, "voluntary"), _ev(100, 101, "artifact", "motion"),
             _ev(590, 700, "cramp")]
    # busy: 10-50 (40 s) and 590-600 (10 s) of a 600 s recording
    assert rest_seconds(truth, 600.0) == pytest.approx(550.0)
    assert rest_seconds([], 60.0) == 60.0


def test_mixing_tuning_and_eval_seeds_is_refused():
    with pytest.raises(ValueError, match="mix tuning seeds"):
        run_evaluation(["x"], ["y"], [TUNING_SEEDS[0], EVAL_SEEDS[0]])


def test_end_to_end_on_a_short_simulated_recording():
    try:
        from dsp import Pipeline  # noqa: F401
        from firmware_bridge import list_scenarios, simulate  # noqa: F401
    except ImportError as err:
        pytest.skip(f"dsp.Pipeline or firmware_bridge.simulate not available yet: {err}")
    scenario = "rest_benign" if "rest_benign" in list_scenarios() else list_scenarios()[0]
    results = run_evaluation([scenario], ["cyton_wifi_1000"], EVAL_SEEDS[:1], duration_s=30.0)
    r = results["cyton_wifi_1000"]
    assert r.n_recordings == 1 and r.duration_s == pytest.approx(30.0, abs=0.1)
    assert sum(r.n_truth.values()) > 0
    assert "confusion matrix" in r.format()


def test_the_live_replay_gives_the_offline_events_and_a_cramp_alert_within_two_seconds():
    from classifier import classify
    from classifier.evaluation import detect, stream
    from firmware_bridge import simulate

    rec = simulate("night_calf_cramp", device="cyton_250", duration_s=100, seed=4)
    live = stream(rec.data, rec.fs, rec.channels, chunk_s=0.1)
    offline = classify(detect(rec.data, rec.fs, rec.channels), fs=rec.fs, channels=rec.channels)
    key = lambda e: (round(e.onset_s, 6), round(e.offset_s, 6), e.trial_type, e.channels)  # noqa: E731
    assert list(map(key, live.events)) == list(map(key, offline))
    assert len(live.emitted_s) == len(live.events)
    cramp = next(t for t in rec.truth if t.trial_type == "cramp")
    mine = [a for a in live.alerts if a.channel in cramp.channels and a.onset_s >= cramp.onset_s - 1.0]
    assert mine and 0.0 < mine[0].at_s - cramp.onset_s <= 2.0
    # a decision comes after what it decides: the cramp once it has ended
    done = {key(e): t for e, t in zip(live.events, live.emitted_s)}
    c = next(e for e in live.events if e.trial_type == "cramp")
    assert done[key(c)] >= c.offset_s - 1.0


def test_live_decisions_wait_for_spikes_dsp_holds_beside_a_contraction():
    # dsp releases a spike beside a contraction only when the contraction
    # ends, after later bursts; here a heartbeat at 25.85 s came out with
    # another confidence and evidence live than offline until the classifier
    # waited for them (Pipeline.settled_s).
    from classifier import classify
    from classifier.evaluation import stream
    from firmware_bridge import simulate

    rec = simulate("gym_set", device="cyton_wifi_1000", duration_s=70, seed=1)
    live = stream(rec.data, rec.fs, rec.channels, chunk_s=0.1)
    offline = classify(live.bursts, fs=rec.fs, channels=rec.channels)
    def key(e):
        return round(e.onset_s, 6), round(e.offset_s, 6), e.trial_type, e.subtype, e.channels, e.confidence, e.evidence

    assert sorted(map(key, live.events)) == sorted(map(key, offline))
    # every event is decided after its own end and the classifier's hold
    assert all(t >= e.offset_s for e, t in zip(live.events, live.emitted_s))


def test_latency_scores_alerts_and_decisions():
    from classifier import score_events
    from classifier.ongoing import OngoingAlert

    cramp = Event(("calf",), 10.0, 40.0, 100.0, "cramp", 1.0, "")
    other = Event(("calf",), 100.0, 130.0, 100.0, "cramp", 1.0, "")
    pred = [Event(("calf",), 10.2, 40.5, 90.0, "cramp", 0.9, "")]
    alerts = [OngoingAlert("calf", 10.2, 11.4), OngoingAlert("shin", 10.0, 10.5)]  # the shin run is not this cramp's
    r = score_events([cramp, other], pred, fs=250.0, rest_duration_s=None, alerts=alerts, emitted_s=[44.0])
    assert r.cramp_alert_s == [pytest.approx(1.4)] and r.cramp_unalerted == 1
    assert r.decision_s["cramp"] == [pytest.approx(34.0)]
    assert "cramp alert" in r.format() and "never alerted" in r.format()
    assert score_events([cramp], pred, fs=250.0, rest_duration_s=None).cramp_unalerted == 0  # not streamed


def test_preview_scores_count_right_confirmed_and_late_calls():
    from classifier import score_events

    def tw(t, snr=9.0, **kw):
        return Event(("calf",), t - 0.005, t + 0.005, 50.0, "fasciculation", 1.0, "",
                     features={"t_peak_s": t, "snr": snr}, **kw)

    truth = [tw(1.0), tw(3.0), tw(5.0, snr=2.0), Event(("calf",), 6.99, 7.01, 300.0, "artifact", 1.0, "",
                                                       subtype="ecg", features={"t_peak_s": 7.0})]
    final = [tw(1.0), tw(7.0)]
    previews = [tw(1.01, subtype="provisional"), tw(5.0, subtype="provisional"), tw(7.0, subtype="provisional")]
    r = score_events(truth, final, fs=1000.0, rest_duration_s=None, previews=previews, previewed_s=[1.12, 5.2, 7.1])
    # two on true twitches (one too faint to count for latency), one on a heartbeat
    assert (r.preview_n, r.preview_right, r.preview_confirmed, r.preview_truth) == (3, 2, 2, 2)
    assert r.preview_latency_s == [pytest.approx(0.12)]
    text = r.format()
    assert "provisional twitch call: 1 of 2 true twitches" in text and "3 calls, 66.7 % on a true twitch" in text
    with pytest.raises(ValueError, match="preview times"):
        score_events(truth, final, fs=1000.0, rest_duration_s=None, previews=previews, previewed_s=[1.0])


def test_the_live_replay_previews_twitches_within_a_quarter_second_of_their_end():
    from classifier.evaluation import stream
    from dsp.pipeline import PREVIEW_WAIT_S
    from firmware_bridge import simulate

    rec = simulate("rest_frequent", device="cyton_wifi_1000", duration_s=60, seed=4)
    live = stream(rec.data, rec.fs, rec.channels, chunk_s=0.1)
    assert len(live.previews) >= 10 and len(live.previewed_s) == len(live.previews)
    # after the first second, which the pipeline gathers before it starts
    lag = [at - e.offset_s for e, at in zip(live.previews, live.previewed_s) if e.onset_s > 1.5]
    # A group waits from its first member's end (the burst ends at its
    # last's) and while the discharge still crosses another channel.
    lag = sorted(lag)
    assert lag[0] >= 0.0 and lag[len(lag) // 2] >= PREVIEW_WAIT_S and lag[int(0.95 * len(lag))] <= 0.25
    finals = [e.features["t_peak_s"] for e in live.events if e.trial_type == "fasciculation"]
    kept = [p for p in live.previews if any(abs(p.features["t_peak_s"] - t) <= 0.025 for t in finals)]
    assert len(kept) >= 0.8 * len(live.previews)
