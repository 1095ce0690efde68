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
