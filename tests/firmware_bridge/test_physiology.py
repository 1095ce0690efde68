"""The simulated physiology against the literature numbers in science.md §1 and §3.2."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from firmware_bridge import F_INT, load_scenario, simulate
from firmware_bridge._firing import DT_CTRL, fp_train
from firmware_bridge._muap import make_muscle
from firmware_bridge._physiology import _fp_unit_shape, plan_cramps, render_cramps, render_pool
from firmware_bridge._track import Track


def test_fasciculation_potentials_last_8_to_25_ms():
    # §1.1: a surface FP is a single MUAP of roughly 8-25 ms (span above 5 % of its peak).
    cfg = load_scenario("rest_frequent")["fasciculation"]
    rng = np.random.default_rng(0)
    widths = []
    for _ in range(60):
        r = rng.uniform(3.0, 60.0, 4)
        _, tpl, (t0, t1) = _fp_unit_shape(rng, cfg, r, np.zeros(4))
        widths.append(t1 - t0)
    widths = np.array(widths)
    assert widths.min() >= 8.0 and widths.max() <= 25.0
    assert widths.max() - widths.min() > 5.0  # a spread of sizes, not one template


def test_fasciculation_truth_durations_and_peaks_on_ideal_device():
    rec = simulate("rest_frequent", device="ideal_2k", duration_s=30, seed=11)
    fps = [e for e in rec.truth if e.trial_type == "fasciculation"]
    assert len(fps) > 5
    for e in fps:
        assert 0.008 - 1 / rec.fs <= e.duration_s <= 0.025 + 1 / rec.fs
        assert e.onset_s <= e.features["t_peak_s"] <= e.offset_s + 2 / rec.fs
        assert e.confidence == 1.0
        assert 1 <= len(e.channels) <= rec.data.shape[1]


def test_fasciculation_train_rate_refractory_and_doublets():
    rng = np.random.default_rng(1)
    rate_per_min = 40.0  # §1.1 ALS median [R13]
    n_ctrl = int(3600 / DT_CTRL)
    times, doublet = fp_train(np.full(n_ctrl, rate_per_min / 60.0), rng, doublet_p=0.1)
    first = times[~doublet]
    assert len(first) / 60.0 == pytest.approx(rate_per_min, rel=0.1)
    isi = np.diff(first)
    assert isi.min() >= 0.100  # 100 ms refractory (§3.2)
    # Poisson-like: ISI CV close to 1 (exponential shifted by the refractory period).
    assert 0.8 < isi.std() / isi.mean() < 1.05
    # Doublets follow 10-110 ms later, mostly near 32 ms [R4].
    idx = np.flatnonzero(doublet)
    delays = times[idx] - times[idx - 1]
    assert delays.min() >= 0.010 and delays.max() <= 0.110
    assert np.median(delays) == pytest.approx(0.032, abs=0.006)
    assert doublet.mean() == pytest.approx(0.1 / 1.1, abs=0.02)


def test_scenario_fasciculation_rates_match_their_drawn_rates():
    rec = simulate("rest_frequent", device="cyton_250", duration_s=60, seed=5)
    fps = [e for e in rec.truth if e.trial_type == "fasciculation" and e.subtype != "doublet"]
    by_muscle: dict[int, list] = {}
    for e in fps:
        by_muscle.setdefault(int(e.features["mu_id"]) // 1000, []).append(e)
    assert len(by_muscle) == 3
    for events in by_muscle.values():
        rate = events[0].features["rate_per_min"]
        assert 0.2 <= rate <= 100.0  # §3.2 "high": 10-100 /min, log-normal
        # Poisson count over 1 min, allowing 4 sigma (minus refractory losses).
        assert abs(len(events) - rate) <= 4 * np.sqrt(rate) + 2


def _cramp_units(seed: int, cv: float = 0.36, fast_units: float = 0.0):
    cfg = load_scenario("night_calf_cramp")
    item = dict(cfg["cramp"][0])
    item.update(start_s=2.0, duration_s=25.0, start_frac=None, duration_frac=None, prodrome_s=0.0, stretch_at=-1.0,
                cv=cv, fast_units=fast_units)
    rng = np.random.default_rng(seed)
    m = cfg["muscle"][0]
    muscles = [make_muscle(m["name"], m["x_mm"], m["y_mm"], m["depth_mm"], 120, rng)]
    electrodes = np.array([[75.0, 10.0], [75.0, 30.0]])
    duration = 28.0
    plans = plan_cramps([item], muscles, duration, rng)
    track = Track(int(duration * F_INT), 2)
    spikes: list = []
    (event,) = render_cramps(plans, muscles, electrodes, int(duration / DT_CTRL), rng, track, track, spikes)
    a, b = event.features["plateau_start_s"], event.features["plateau_end_s"]
    stats = []
    for _, _, t in spikes:
        isi = np.diff(t[(t >= a) & (t < b)])
        isi = isi[isi < 0.25]  # while the unit is active (the region drifts)
        if isi.size >= 10:
            stats.append((1.0 / isi.mean(), isi.std() / isi.mean(), np.mean(isi < 0.010)))
    return np.array(stats), track.render()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cramp_firing_statistics(seed):
    # §1.2 [R25]: per-MU 6-25 pps (mean 14.5 ± 5.1), ISI CV 44.6 ± 9.7 %, doublets 4.1 ± 4.7 %.
    stats, track = _cramp_units(seed)
    rates, cvs, doublets = stats.T
    assert len(rates) >= 8, "a cramp recruits many units"
    assert rates.min() >= 6.0 - 0.5 and rates.max() <= 25.0 + 2.0
    assert 9.0 <= rates.mean() <= 18.0
    assert 0.35 <= np.median(cvs) <= 0.55
    assert 0.01 <= doublets.mean() <= 0.09
    assert track.std() > 1.0  # the cramp is visible at the electrodes


def test_fast_unit_variant_reaches_higher_rates():
    # Flag F1 sensitivity variant (§3.2): some units up to 40 pps.
    slow, _ = _cramp_units(1)
    fast, _ = _cramp_units(1, fast_units=0.5)
    assert fast[:, 0].max() > slow[:, 0].max()
    assert fast[:, 0].max() <= 42.0


def test_voluntary_firing_is_regular():
    # §1.3 [R38]: voluntary ISI CV 0.1-0.2, rates 8-35 Hz.
    rng = np.random.default_rng(3)
    muscle = make_muscle("m", (0, 100), (0, 40), (3, 18), 120, rng)
    n_ctrl = int(10 / DT_CTRL)
    exc = np.full(n_ctrl, 0.4 * muscle.e_max)
    spikes: list = []
    track = Track(int(10 * F_INT), 2)
    n = render_pool(muscle, np.array([[50.0, 10.0], [50.0, 30.0]]), exc, 0.15, rng, track, spikes_out=spikes)
    assert n > 60
    cvs = [np.diff(t).std() / np.diff(t).mean() for _, t in spikes if t.size > 20]
    rates = [t.size / 10.0 for _, t in spikes]
    assert 0.1 <= np.median(cvs) <= 0.2
    assert 7.0 <= min(rates) and max(rates) <= 36.0
    assert track.render().std() > 5.0  # 40 % MVC is clearly visible at the electrodes


def _median_frequency(x: np.ndarray, fs: float) -> float:
    f, p = signal.welch(x, fs=fs, nperseg=512)
    band = (f >= 20) & (f <= 450)
    c = np.cumsum(p[band])
    return float(f[band][np.searchsorted(c, c[-1] / 2)])


def test_voluntary_median_frequency_on_ideal_device(write_scenario):
    # §3.5 sanity check: voluntary 20-60 % MVC on ideal_2k has MPF 60-120 Hz; MDF within 50-150 Hz.
    path = write_scenario(
        '[scenario]\nname = "vol"\nduration_s = 14.0\nseed = 4\nmains_uv = 0.0\n\n'
        '[[voluntary]]\nmuscle = "gastrocnemius_medial"\nstart_s = 1.0\nreps = 2\nperiod_s = 6.0\n'
        "rise_s = 0.5\nplateau_s = 4.0\nfall_s = 0.5\nlevel_mvc = [0.2, 0.6]\nmotion_p = 0.0\n"
    )
    rec = simulate(path, device="ideal_2k")
    vol = [e for e in rec.truth if e.trial_type == "voluntary"]
    assert len(vol) == 2
    for e in vol:
        a, b = (int(e.features[k] * rec.fs) for k in ("plateau_start_s", "plateau_end_s"))
        ch = rec.channels.index(e.channels[0])
        assert 50.0 <= _median_frequency(rec.data[a:b, ch], rec.fs) <= 150.0
        assert e.features["rms_uv"] > 5 * rec.meta["noise_uv"][ch]


def test_cramp_is_confined_and_sustained_in_the_night_scenario():
    rec = simulate("night_calf_cramp", device="cyton_250", duration_s=90, seed=303)
    (cramp,) = [e for e in rec.truth if e.trial_type == "cramp"]
    assert cramp.duration_s >= 3.0
    assert cramp.features["detectable"] == 1.0
    # Confined to part of one muscle: not every channel (tibialis anterior is silent), §1.2 [R23].
    assert 1 <= len(cramp.channels) < len(rec.channels)
    assert "ch6" not in cramp.channels and "ch7" not in cramp.channels
    assert cramp.features["prodrome_s"] > 0
    before = [e for e in rec.truth if e.trial_type == "fasciculation" and e.onset_s < cramp.onset_s]
    assert before, "the prodrome brings twitches before the cramp"


def _mean_power_frequency(x: np.ndarray, fs: float) -> float:
    f, p = signal.welch(x, fs=fs, nperseg=512)
    band = (f >= 20) & (f <= 450)
    return float((f[band] * p[band]).sum() / p[band].sum())


@pytest.mark.parametrize("seed", [0, 1])
def test_cramp_spectrum_is_higher_than_voluntary(write_scenario, seed):
    # §3.5 sanity check: cramp / pre-cramp MPF ratio 1.1-1.4 (shorter potentials [R24, R26]); the §3.2
    # shortening λ × 0.8-0.95 alone allows +5 %, so the lower bound is 1.05.
    path = write_scenario(
        '[scenario]\nname = "mpf"\nduration_s = 30.0\nseed = 1\nmains_uv = 0.0\n\n'
        '[[voluntary]]\nmuscle = "gastrocnemius_medial"\nstart_s = 1.0\nrise_s = 0.5\nplateau_s = 6.0\n'
        "fall_s = 0.5\nlevel_mvc = 0.3\nmotion_p = 0.0\n\n"
        '[[cramp]]\nmuscle = "gastrocnemius_medial"\nstart_s = 10.0\nduration_s = 18.0\nramp_s = 1.0\n'
        "fade_s = 3.0\nplateau_mvc = 0.3\n"
    )
    rec = simulate(path, device="ideal_2k", seed=seed)
    (vol,) = [e for e in rec.truth if e.trial_type == "voluntary"]
    (cramp,) = [e for e in rec.truth if e.trial_type == "cramp"]
    ch = rec.channels.index(cramp.channels[0])

    def plateau(e):
        return rec.data[int(e.features["plateau_start_s"] * rec.fs): int(e.features["plateau_end_s"] * rec.fs), ch]

    ratio = _mean_power_frequency(plateau(cramp), rec.fs) / _mean_power_frequency(plateau(vol), rec.fs)
    assert 1.05 <= ratio <= 1.4
