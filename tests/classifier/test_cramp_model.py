"""The trained second opinion on sustained bursts the rules call voluntary."""

import json

import numpy as np
import pytest

from classifier import Classifier, classify
from classifier._cramp_model import (
    FEATURES,
    CrampModel,
    feature_vector,
    fit_cramp_model,
    load_cramp_model,
)
from dsp import Burst

CH = ("calf_1", "calf_2", "calf_3", "calf_4")


def _sustained(on, off, ch=("calf_1",), **features):
    f = {"fall_s": 0.3, "rise_s": 0.3, "zc_hz": 90.0, "lf_ratio": 0.05, "env_cv": 0.3, "noise_rise": 1.0,
         "fs": 1000.0}
    f.update(features)
    return Burst(tuple(ch), on, off, 300.0, "sustained", features=f)


def _fall_only_model(threshold=0.5, min_duration_s=2.0, fs_min=180.0, fs_max=1100.0, demote_below=0.0):
    # p rises with the fall time alone: 0.5 at log1p(fall) = log1p(1 s).
    i = FEATURES.index("fall_s")
    coef = np.zeros(len(FEATURES))
    coef[i] = 10.0
    mean = np.zeros(len(FEATURES))
    mean[i] = np.log1p(1.0)
    return CrampModel(mean=mean, scale=np.ones(len(FEATURES)), coef=coef, intercept=0.0,
                      fill=np.zeros(len(FEATURES)), threshold=threshold, min_duration_s=min_duration_s,
                      fs_min=fs_min, fs_max=fs_max, demote_below=demote_below)


def test_shipped_model_loads_and_its_signs_follow_the_physiology():
    model = load_cramp_model()
    assert model.fs_min <= 200.0 and model.fs_max >= 1000.0  # the evaluation's boards
    sign = dict(zip(FEATURES, np.sign(model.coef)))
    # science.md 1.2-1.3: cramps last longer, fade slowly, come without
    # movement and are often confined to part of a muscle.
    assert sign["duration_s"] > 0 and sign["fall_s"] > 0
    assert sign["lf_ratio"] < 0 and sign["spread"] < 0
    assert 0.5 <= model.threshold < 1.0 and model.min_duration_s >= 2.0


def test_a_voluntary_call_becomes_an_ambiguous_cramp_only_when_the_model_is_sure():
    # With some movement and a 1.5 s stop the rules call it voluntary.
    looks_voluntary = {"rise_s": 0.8, "env_cv": 0.15, "lf_ratio": 0.5}
    slow = _sustained(10.0, 15.0, fall_s=1.5, **looks_voluntary)
    quick = _sustained(10.0, 15.0, fall_s=0.2, **looks_voluntary)
    brief = _sustained(10.0, 11.5, fall_s=1.5, **looks_voluntary)
    model = _fall_only_model()
    rules = classify([slow], fs=1000.0, channels=CH, cramp_model=None)[0]
    assert rules.trial_type == "voluntary"
    (ev,) = classify([slow], fs=1000.0, channels=CH, cramp_model=model)
    assert ev.trial_type == "cramp" and ev.confidence <= 0.6
    assert "cramp-like" in ev.evidence and "model trained on simulated" in ev.evidence
    assert "rules alone said voluntary" in ev.evidence and ev.evidence.endswith("(ambiguous)")
    # An ambiguous rule call is named once, not twice.
    crept = _sustained(10.0, 15.0, fall_s=1.5, noise_rise=1.6, **looks_voluntary)
    assert "(ambiguous)" in classify([crept], fs=1000.0, channels=CH, cramp_model=None)[0].evidence
    promoted = classify([crept], fs=1000.0, channels=CH, cramp_model=model)[0]
    assert promoted.trial_type == "cramp" and promoted.evidence.count("(ambiguous)") == 1
    assert classify([quick], fs=1000.0, channels=CH, cramp_model=model)[0].trial_type == rules.trial_type
    # Under the model's shortest cramp the rules' call stands.
    assert classify([brief], fs=1000.0, channels=CH, cramp_model=model)[0].trial_type != "cramp"


def test_an_ambiguous_rule_cramp_becomes_voluntary_only_when_the_model_is_sure_it_is_not_one():
    # Confined to 1 of 8 channels with a creeping floor, stopping at once:
    # the rules lean to a cramp but call it ambiguous.
    ch8 = CH + ("shin_1", "shin_2", "shin_3", "shin_4")
    unsure = _sustained(10.0, 14.0, fall_s=0.05, noise_rise=1.6, env_cv=0.25)
    rules = classify([unsure], fs=1000.0, channels=ch8, cramp_model=None)[0]
    assert rules.trial_type == "cramp" and rules.confidence <= 0.6
    (ev,) = classify([unsure], fs=1000.0, channels=ch8, cramp_model=_fall_only_model(demote_below=0.4))
    assert ev.trial_type == "voluntary" and "rules alone leaned to a cramp" in ev.evidence
    # A model that never demotes, or a slower fade, leaves the rules' call.
    assert classify([unsure], fs=1000.0, channels=ch8, cramp_model=_fall_only_model())[0].trial_type == "cramp"
    slower = _sustained(10.0, 14.0, fall_s=1.2, noise_rise=1.6, env_cv=0.25)
    before = classify([slower], fs=1000.0, channels=ch8, cramp_model=None)[0]
    after = classify([slower], fs=1000.0, channels=ch8, cramp_model=_fall_only_model(demote_below=0.4))[0]
    assert (after.trial_type, after.evidence) == (before.trial_type, before.evidence)


def test_repeated_movements_and_untrained_board_rates_keep_the_rules_call():
    looks_voluntary = {"rise_s": 0.8, "lf_ratio": 0.5, "fall_s": 1.5}
    model = _fall_only_model()
    # An on-off envelope (fists every few seconds): a cramp does not switch off and on.
    on_off = _sustained(10.0, 25.0, env_cv=0.9, **looks_voluntary)
    assert classify([on_off], fs=1000.0, channels=CH, cramp_model=model)[0].trial_type == "voluntary"
    # A 100 Hz board is outside the 200-1000 Hz the model was trained at.
    steady = _sustained(10.0, 15.0, env_cv=0.15, **{**looks_voluntary, "fs": 100.0})
    assert classify([steady], fs=100.0, channels=CH, cramp_model=model)[0].trial_type == "voluntary"
    assert classify([steady], fs=250.0, channels=CH, cramp_model=model)[0].trial_type == "cramp"


def test_fit_recovers_the_direction_of_a_separable_feature():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, len(FEATURES)))
    y = x[:, FEATURES.index("fall_s")] + 0.3 * rng.normal(size=400) > 0.5
    x[::17, 2] = np.nan  # missing inputs take the training median
    x[:, FEATURES.index("fs")] = np.log1p(np.where(np.arange(400) % 2, 250.0, 1000.0))
    model = fit_cramp_model(x, y)
    assert (model.fs_min, model.fs_max) == pytest.approx((225.0, 1100.0))
    assert np.argmax(np.abs(model.coef)) == FEATURES.index("fall_s") and model.coef[FEATURES.index("fall_s")] > 0
    assert np.isfinite(model.fill).all()
    # the same data give the same model
    again = fit_cramp_model(x, y)
    np.testing.assert_allclose(again.coef, model.coef)


def test_bad_training_data_and_foreign_model_files_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="both cramps and non-cramps"):
        fit_cramp_model(np.zeros((5, len(FEATURES))), [True] * 5)
    with pytest.raises(ValueError, match=r"need an \(n, 7\) array"):
        fit_cramp_model(np.zeros((5, 3)), [True, False, True, False, True])
    doc = _fall_only_model().to_dict()
    doc["features"] = ["duration_s", "rms_snr"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="old.json.*retrain"):
        load_cramp_model(path)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_fall_only_model().to_dict()))
    loaded = load_cramp_model(good)
    assert loaded.threshold == 0.5 and (loaded.fs_min, loaded.fs_max) == (180.0, 1100.0)


def test_an_unknown_model_name_is_a_clear_error():
    with pytest.raises(ValueError, match="cramp_model must be"):
        Classifier(1000.0, CH, cramp_model="best")


def test_feature_vector_uses_the_share_of_the_montage_and_logs_long_tailed_inputs():
    b = _sustained(1.0, 5.0, ch=("calf_1", "calf_2"), fall_s=1.0)
    x = dict(zip(FEATURES, feature_vector(b, 8)))
    assert x["spread"] == 0.25 and x["fall_s"] == pytest.approx(np.log1p(1.0))
    assert x["duration_s"] == pytest.approx(np.log1p(4.0)) and x["zc_hz"] == 90.0


def test_the_streaming_classifier_gives_the_model_the_same_say():
    bursts = [_sustained(10.0, 15.0, fall_s=1.5, lf_ratio=0.5), _sustained(30.0, 33.0, fall_s=0.2, lf_ratio=0.5)]
    model = _fall_only_model()
    clf = Classifier(1000.0, CH, cramp_model=model)
    live = [e for b in bursts for e in clf.feed([b])] + clf.flush()
    offline = classify(bursts, fs=1000.0, channels=CH, cramp_model=model)
    assert [(e.trial_type, e.evidence) for e in live] == [(e.trial_type, e.evidence) for e in offline]


def test_the_training_script_labels_a_simulated_recordings_contractions():
    # scripts/train_cramp_model.py end to end on one short recording (the full
    # run takes ~2 min: `python scripts/train_cramp_model.py --check`).
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_cramp_model.py"
    spec = importlib.util.spec_from_file_location("train_cramp_model", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rows = script.rows_of(("cyton_250", "exercise_cramp", 2))
    assert any(r[3] for r in rows) and any(r[5] for r in rows)  # a cramp and voluntary contractions
    assert all(len(r[4]) == len(FEATURES) and r[2] in ("cramp", "voluntary") for r in rows)
    lines = script.cross_validate(rows + [(d, s + 1, *rest) for d, s, *rest in rows], 0.8, 2.0, 0.4)
    assert len(lines) == len(script.DEVICES) and "cyton_250: cramp recall" in lines[1]
