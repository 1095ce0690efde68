"""Cramp and voluntary start/duration ranges drawn per seed, cramp overlap checks, and cramp_mix."""

from __future__ import annotations

import hashlib
import json
from itertools import combinations

import numpy as np
import pytest

from firmware_bridge import list_scenarios, load_scenario, simulate
from firmware_bridge._muap import make_muscle
from firmware_bridge._physiology import plan_cramps
from firmware_bridge._scenario import cramp_span, draw, event_window

HEAD = '[scenario]\nname = "w"\nduration_s = 120.0\nseed = 1\n\n'


def _cramp(**keys) -> str:
    body = {"muscle": '"gastrocnemius_medial"', **{k: json.dumps(v) for k, v in keys.items()}}
    return "[[cramp]]\n" + "".join(f"{k} = {v}\n" for k, v in body.items()) + "\n"


def _plans(path, seed: int, duration: float = 120.0):
    cfg = load_scenario(path)
    rng = np.random.default_rng(seed)
    muscles = [make_muscle(m["name"], m["x_mm"], m["y_mm"], m["depth_mm"], 20, rng) for m in cfg["muscle"]]
    return plan_cramps(cfg["cramp"], muscles, duration, rng, cfg["_path"])


def _digest(rec) -> str:
    m = hashlib.sha256(np.ascontiguousarray(rec.data).tobytes())
    for e in rec.truth:
        m.update(repr((e.channels, round(e.onset_s, 9), round(e.offset_s, 9), e.trial_type, e.subtype)).encode())
    return m.hexdigest()[:16]


@pytest.mark.parametrize(
    ("name", "device", "digest"),
    [
        # Computed with the simulator before start/duration ranges existed (commit 6215aaf): scenarios
        # with fixed windows draw nothing new, so their output must not change. A deliberate change to
        # the simulator's physics updates these digests in the same commit, saying why.
        ("night_calf_cramp", "cyton_250", "318aebd768f7eaf8"),
        ("night_calf_cramp", "ganglion_200", "1f508852f81e2992"),
        ("exercise_cramp", "cyton_250", "5a5adc20830b3ef5"),
        ("gym_set", "cyton_250", "334e9cfbaaeb7dc2"),
    ],
)
def test_existing_scenarios_render_as_before(name, device, digest):
    assert _digest(simulate(name, device=device, duration_s=40, seed=1)) == digest


def test_cramp_ranges_are_drawn_per_seed_within_bounds(write_scenario):
    path = write_scenario(HEAD + _cramp(start_s=[10.0, 20.0], duration_s=[3.0, 60.0], ramp_s=[0.3, 3.0],
                                        fade_s=[2.0, 15.0], plateau_mvc=[0.1, 0.6]))
    starts, lengths, levels = [], [], []
    for seed in range(300):
        (plan,) = _plans(path, seed)
        starts.append(plan.start)
        lengths.append(plan.end - plan.start)
        levels.append(plan.level)
        assert plan.plateau >= 1.0 - 1e-9 and plan.ramp > 0 and plan.fade > 0
    starts, lengths = np.array(starts), np.array(lengths)
    assert starts.min() >= 10.0 and starts.max() <= 20.0
    assert lengths.min() >= 3.0 and lengths.max() <= 60.0
    assert min(levels) >= 0.1 and max(levels) <= 0.6
    # Uniform start: mean near the middle. Log-uniform length: median near the geometric mean
    # sqrt(3 * 60) = 13.4 s (a uniform draw would put it at 31.5 s), science.md §3.2.
    assert 14.0 <= starts.mean() <= 16.0
    assert 10.5 <= np.median(lengths) <= 17.0
    assert np.mean(lengths < 13.4) == pytest.approx(0.5, abs=0.1)
    assert len({round(v, 6) for v in lengths}) == len(lengths)


def test_voluntary_start_range_is_drawn_within_bounds(write_scenario):
    path = write_scenario(
        HEAD + '[[voluntary]]\nmuscle = "gastrocnemius_medial"\nstart_s = [30.0, 40.0]\nrise_s = 0.5\n'
        "plateau_s = 2.0\nfall_s = 0.5\nmotion_p = 0.0\n"
    )
    onsets = []
    for seed in (1, 2, 3, 4):
        rec = simulate(path, device="cyton_250", duration_s=45, seed=seed)
        (vol,) = [e for e in rec.truth if e.trial_type == "voluntary"]
        delay = rec.meta["device_delay_s"]
        assert 30.0 <= vol.onset_s - delay <= 40.0
        assert vol.duration_s == pytest.approx(3.0, abs=0.01)
        onsets.append(vol.onset_s)
    assert len(set(onsets)) == 4


def test_event_window_needs_a_generator_for_a_range():
    item = {"start_s": [1.0, 2.0], "start_frac": None, "duration_s": 5.0, "duration_frac": None}
    with pytest.raises(ValueError, match="start_s is a range"):
        event_window(item, 60.0, 0.3)
    start, length = event_window(item, 60.0, 0.3, np.random.default_rng(0))
    assert 1.0 <= start <= 2.0 and length == 5.0


def test_draw_rejects_a_reversed_range():
    with pytest.raises(ValueError, match="'fade_s'.*low > high"):
        draw([10.0, 2.0], np.random.default_rng(0), "fade_s")


def test_overlapping_cramps_on_one_muscle_are_refused(write_scenario):
    path = write_scenario(HEAD + _cramp(start_s=[10.0, 20.0], duration_s=[3.0, 30.0])
                          + _cramp(start_s=[45.0, 50.0], duration_s=10.0), "clash")
    with pytest.raises(ValueError, match=r"clash\.toml.*#1 and #2 on 'gastrocnemius_medial' can overlap"):
        load_scenario(path)
    # The prodrome counts: it starts the second cramp's activity earlier.
    path = write_scenario(HEAD + _cramp(start_s=10.0, duration_s=20.0)
                          + _cramp(start_s=40.0, duration_s=10.0, prodrome_s=15.0), "prodrome")
    with pytest.raises(ValueError, match="prodrome included"):
        load_scenario(path)
    # Fractions: the same clash at any length.
    path = write_scenario(HEAD + _cramp(start_frac=0.1, duration_frac=0.3) + _cramp(start_frac=0.3), "frac")
    with pytest.raises(ValueError, match="#1 and #2"):
        load_scenario(path)


def test_cramps_that_cannot_meet_or_are_in_different_muscles_are_allowed(write_scenario):
    path = write_scenario(HEAD + _cramp(start_s=[10.0, 20.0], duration_s=[3.0, 30.0])
                          + _cramp(start_s=[50.0, 60.0], duration_s=[3.0, 30.0], prodrome_s=0.0)
                          + '[[cramp]]\nmuscle = "tibialis_anterior"\nstart_s = 15.0\nduration_s = 40.0\n')
    for seed in (0, 1, 2):
        plans = sorted(_plans(path, seed), key=lambda p: (p.muscle, p.start))
        assert len(plans) == 3
        same = [p for p in plans if p.muscle == 0]
        assert same[0].end <= same[1].start


def test_overlap_depending_on_the_rendered_length_is_refused_when_rendered(write_scenario):
    # Seconds and fractions mixed: apart at 120 s, overlapping at 40 s (0.5 x 40 = 20 s).
    path = write_scenario(HEAD + _cramp(start_s=5.0, duration_s=20.0) + _cramp(start_frac=0.5, duration_frac=0.2),
                          "mixed")
    assert len(load_scenario(path)["cramp"]) == 2
    with pytest.raises(ValueError, match=r"mixed\.toml.*can overlap in a 40 s recording"):
        simulate(path, device="cyton_250", duration_s=40, seed=1)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"start_s": [20.0, 10.0]}, r"start_s range \[20.0, 10.0\] has low > high"),
        ({"duration_s": [3.0, 10.0, 20.0]}, "duration_s must be a number or"),
        ({"duration_s": "long"}, "duration_s must be a number or"),
        ({"duration_s": [1.0, 10.0]}, r"duration_s must be at least 3 \(science.md §3.2"),
        ({"start_s": -1.0}, "start_s must be at least 0"),
        ({"start_frac": [0.5, 1.5]}, "start_frac must be between 0 and 1"),
        ({"duration_frac": 0.0}, "duration_frac must be above 0"),
        ({"start_s": 5.0, "start_frac": 0.1}, "give either 'start_s' or 'start_frac', not both"),
        ({"start_s": True}, "start_s must be a number"),
    ],
)
def test_bad_window_values_are_named_with_the_file(write_scenario, keys, message):
    second = keys if "start_frac" in keys else {"start_s": 60.0, **keys}
    path = write_scenario(HEAD + _cramp(start_s=1.0, duration_s=5.0) + _cramp(**second), "bad")
    with pytest.raises(ValueError, match=r"bad\.toml \[\[cramp\]\] #2: " + message):
        load_scenario(path)


def test_cramp_span_covers_every_draw():
    item = {"start_s": [10.0, 20.0], "start_frac": None, "duration_s": [3.0, 60.0], "duration_frac": None,
            "prodrome_s": 5.0}
    assert cramp_span(item, 120.0) == (5.0, 80.0)
    assert cramp_span(item, 50.0) == (5.0, 50.0)
    assert cramp_span(item, 8.0) is None
    no_length = dict(item, duration_s=None)
    assert cramp_span(no_length, 120.0) == (5.0, 120.0)


def test_cramp_mix_ships_and_spreads_cramp_lengths():
    assert "cramp_mix" in list_scenarios()
    cfg = load_scenario("cramp_mix")
    assert 300.0 <= cfg["scenario"]["duration_s"] <= 480.0 + 10.0
    assert 4 <= len(cfg["cramp"]) <= 6 and 1 <= len(cfg["voluntary"]) <= 2
    lengths = []
    for seed in (1, 2):
        rec = simulate("cramp_mix", device="cyton_250", seed=seed)
        cramps = [e for e in rec.truth if e.trial_type == "cramp"]
        vols = [e for e in rec.truth if e.trial_type == "voluntary"]
        assert len(cramps) == len(cfg["cramp"]) and len(vols) == len(cfg["voluntary"])
        for e in cramps:
            assert 3.0 - 1e-6 <= e.duration_s <= 60.0 + 1e-6
            assert 0.1 <= e.features["level_mvc"] <= 0.6
            assert e.features["detectable"] == 1.0
            lengths.append(e.duration_s)
        for e in vols:
            assert 2.0 - 1e-6 <= e.duration_s <= 6.0 + 1e-6
        # At least 20 s of rest between any two contractions (prodromes included).
        spans = sorted((e.onset_s - e.features.get("prodrome_s", 0.0), e.offset_s) for e in cramps + vols)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start - end >= 20.0 - 1e-6
        # Confined cramps leave the antagonist (tibialis anterior, ch6/ch7) silent, §1.2 [R23].
        assert all(not {"ch6", "ch7"} & set(e.channels) for e in cramps)
        assert any(e.features["drift_mm_s"] > 0 for e in cramps)
        assert any(e.features["region_mm"] == 0 for e in cramps)
        assert any(e.features["prodrome_s"] > 0 for e in cramps)
    # Lengths differ from cramp to cramp and from seed to seed (no two alike).
    assert min(b - a for a, b in combinations(sorted(lengths), 2)) > 1e-3
    assert max(lengths) / min(lengths) > 3.0


def test_cramp_mix_slots_keep_20_s_of_rest_whatever_the_draw():
    cfg = load_scenario("cramp_mix")
    duration = float(cfg["scenario"]["duration_s"])
    spans = [cramp_span(item, duration) for item in cfg["cramp"]]
    for item in cfg["voluntary"]:  # latest end: latest start + every rep at its longest
        lo, hi = item["start_s"]
        longest = sum(max(item[k]) if isinstance(item[k], list) else item[k] for k in ("rise_s", "plateau_s", "fall_s"))
        spans.append((lo, hi + (int(item["reps"]) - 1) * float(item["period_s"]) + longest))
    spans.sort()
    assert all(b[0] - a[1] >= 20.0 for a, b in zip(spans, spans[1:], strict=False)), spans
    assert spans[-1][1] <= duration
