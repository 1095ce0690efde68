"""Artefact guards: dropout, flat line, clipping, pop, motion; plus real recordings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from dsp_synth import add_spike, burst_key, noise

from dsp import Chunk, Pipeline, detect_bursts

FS = 1000.0
CH = ("a", "b", "c")


def _art(bursts, name):
    return [b for b in bursts if b.kind == "artifact" and b.artifact == name]


def test_nan_samples_are_a_dropout_and_do_not_poison_later_detection():
    x = noise(6000, 3, seed=21)
    x[2000:2100, :] = np.nan  # a lost radio packet burst on every channel
    t_spike = add_spike(x, FS, 4.0, 1, 60.0)
    pipe = Pipeline(FS, CH, mains_hz=None)
    bursts = pipe.process(Chunk(x, FS, 0.0, CH)) + pipe.flush()
    drop = _art(bursts, "dropout")
    assert len(drop) == 1 and set(drop[0].channels) == set(CH)
    assert drop[0].onset_s == pytest.approx(2.0) and drop[0].offset_s == pytest.approx(2.1)
    spikes = [b for b in bursts if b.kind == "spike"]
    assert len(spikes) == 1 and spikes[0].onset_s <= t_spike <= spikes[0].offset_s
    assert np.isfinite(pipe.noise_uv).all() and pipe.noise_uv.max() < 7
    assert pipe.quality()["b"]["dropout_s"] == pytest.approx(0.1)


def test_lost_samples_from_packet_counters_keep_the_time_axis():
    x = noise(6000, 1, seed=22)
    t_spike = add_spike(x, FS, 4.0, 0, 60.0)
    pipe = Pipeline(FS, ("a",), mains_hz=None)
    out = pipe.process(Chunk(x[:3000], FS, 0.0, ("a",)))
    # 50 samples were lost; the next chunk starts after them.
    out += pipe.process(Chunk(x[3050:], FS, 3.05, ("a",), lost=50)) + pipe.flush()
    drop = _art(out, "dropout")
    assert len(drop) == 1 and drop[0].onset_s == pytest.approx(3.0) and drop[0].duration_s == pytest.approx(0.05)
    spike = next(b for b in out if b.kind == "spike")
    assert spike.onset_s <= t_spike <= spike.offset_s


def test_all_zero_and_constant_channels_are_flat_without_warnings():
    x = noise(5000, 3, seed=23)
    x[:, 0] = 0.0
    x[:, 2] = 1234.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipe = Pipeline(FS, CH, mains_hz=None)
        bursts = pipe.process(Chunk(x, FS, 0.0, CH)) + pipe.flush()
    flat = _art(bursts, "flat")
    assert len(flat) == 1 and set(flat[0].channels) == {"a", "c"}
    assert flat[0].duration_s == pytest.approx(5.0)
    q = pipe.quality()
    assert q["a"]["no_signal"] and q["c"]["no_signal"] and not q["b"]["no_signal"]
    assert all(b.kind == "artifact" for b in bursts)


def test_clipping_at_the_rails_is_reported():
    x = noise(5000, 1, seed=24, dc=None)
    t = np.arange(500) / FS
    x[3000:3500, 0] += (1500.0 * np.sin(2 * np.pi * 40.0 * t)).astype(np.float32)  # strong contraction
    np.clip(x, -500.0, 500.0, out=x)  # a saturated front end: flat tops at the rails
    bursts = detect_bursts(x, FS, ("a",), mains_hz=None)
    clip = _art(bursts, "clipping")
    assert len(clip) >= 1
    assert 2.95 <= clip[0].onset_s and clip[-1].offset_s <= 3.55
    assert any(b.kind == "sustained" for b in bursts)


@pytest.mark.parametrize("fs, mains", [(1000.0, 50.0), (200.0, 60.0)])
def test_a_lead_held_at_the_rail_is_clipping_throughout_and_a_dead_lead_is_flat(fs, mains):
    # A lead coming off drives the ADC to its rail and holds it (ADS1299);
    # the whole hold is clipping, not a "flat line" after its first block.
    # At 200 Hz with 60 Hz mains a mains period (3 samples) is no longer
    # than the clip run, so the level before the run must tell.
    n = int(10 * fs)
    x = noise(n, 2, seed=31, dc=None)
    x[int(3 * fs) : int(6 * fs), 0] = 187500.0
    x[int(3 * fs) :, 1] = x[int(3 * fs) - 1, 1]  # a dead lead: stuck where it was
    bursts = detect_bursts(x, fs, ("a", "b"), mains_hz=mains)
    clip = [b for b in _art(bursts, "clipping") if b.channels == ("a",)]
    assert len(clip) == 1 and clip[0].onset_s == pytest.approx(3.0, abs=0.03)
    assert clip[0].offset_s == pytest.approx(6.0, abs=0.03)
    assert not [b for b in _art(bursts, "flat") if "a" in b.channels]
    dead = [b for b in _art(bursts, "flat") if b.channels == ("b",)]
    assert len(dead) == 1 and dead[0].onset_s == pytest.approx(3.0, abs=0.05)
    assert not [b for b in _art(bursts, "clipping") if "b" in b.channels]
    # streamed in pieces that cut the jump, the hold and its end: the same
    pipe = Pipeline(fs, ("a", "b"), mains_hz=mains)
    streamed, at = [], 0
    for n in (int(2.99 * fs), 7, int(0.04 * fs), int(3 * fs), 1, n):
        streamed += pipe.process(Chunk(x[at : at + n], fs, at / fs, ("a", "b")))
        at += n
    streamed += pipe.flush()
    assert sorted(map(burst_key, streamed), key=repr) == sorted(map(burst_key, bursts), key=repr)


def test_a_step_on_one_channel_is_a_pop_but_on_all_channels_it_is_not():
    x = noise(6000, 3, seed=25)
    x[3000:, 1] += 2000.0  # electrode pop: one channel jumps and stays
    pops = _art(detect_bursts(x, FS, CH, mains_hz=None), "pop")
    assert len(pops) == 1 and pops[0].channels == ("b",)
    assert pops[0].onset_s == pytest.approx(3.0, abs=0.002)
    assert pops[0].features["step_snr"] > 100
    y = noise(6000, 3, seed=25)
    y[3000:, :] += 2000.0  # everything moved: cable or body motion
    assert _art(detect_bursts(y, FS, CH, mains_hz=None), "pop") == []


def test_slow_large_baseline_swing_is_motion():
    x = noise(8000, 2, seed=26)
    t = np.arange(8000) / FS
    swing = np.where((t > 4.0) & (t < 4.5), 800.0 * np.sin(np.pi * (t - 4.0) / 0.5), 0.0)
    x[:, 0] += swing.astype(np.float32)
    bursts = detect_bursts(x, FS, ("a", "b"), mains_hz=None)
    motion = _art(bursts, "motion")
    assert len(motion) == 1 and motion[0].channels == ("a",)
    assert 3.9 <= motion[0].onset_s <= 4.3 and motion[0].features["lf_ratio"] > 1


def test_real_quiet_recording_gives_few_events(shared_dir):
    path = shared_dir / "data" / "real" / "biosppy" / "emg.txt"
    if not path.exists():
        pytest.skip(f"{path} is not present")
    x = np.loadtxt(path, comments="#", dtype=np.float32)[:, None]  # 1000 Hz, 12-bit counts, 100 s
    pipe = Pipeline(1000.0, ("EMG",))
    bursts = pipe.process(Chunk(x, 1000.0, 0.0, ("EMG",))) + pipe.flush()
    q = pipe.quality()["EMG"]
    assert 0.5 < q["noise_uv"] < 5 and not q["no_signal"] and q["clipped_s"] == 0
    # README: very low-level EMG, 250 ms RMS within 1.4-4 counts: nothing long-lasting.
    assert sum(b.duration_s for b in bursts if b.kind == "sustained") < 10
    assert all(np.isfinite(b.features["peak_snr"]) for b in bursts)


def test_real_physionet_recording_at_4_khz_runs(shared_dir):
    wfdb = pytest.importorskip("wfdb")
    path = shared_dir / "data" / "real" / "physionet_emgdb" / "emg_healthy"
    if not path.with_suffix(".hea").exists():
        pytest.skip(f"{path}.hea is not present")
    rec = wfdb.rdrecord(str(path))
    assert rec.fs == 4000
    x = (rec.p_signal[:, :1] * 1000.0).astype(np.float32)  # mV -> µV
    bursts = detect_bursts(x, 4000.0, ("EMG",))
    # A needle recording of a healthy muscle: activity present, no NaN features.
    assert any(b.kind in ("sustained", "spike") for b in bursts)
    assert all(b.onset_s < b.offset_s or b.kind == "artifact" for b in bursts)


def test_ecg_like_beats_stay_separate_spikes_not_one_long_burst():
    # QRS-like biphasic pulses every 0.85 s (70 bpm) on two channels.
    x = noise(12000, 2, seed=27)
    beats = np.arange(1.0, 11.5, 0.85)
    for t in beats:
        for c in range(2):
            add_spike(x, FS, t, c, 150.0, lam_s=0.008)
    bursts = detect_bursts(x, FS, ("a", "b"), mains_hz=None)
    assert not any(b.kind == "sustained" and b.duration_s > 0.5 for b in bursts)
    spikes = [b for b in bursts if b.kind == "spike" and len(b.channels) == 2]
    assert len(spikes) >= 0.9 * len(beats)
    gaps = np.diff([b.features["t_peak_s"] for b in spikes])
    assert np.allclose(gaps, 0.85, atol=0.01)  # periodicity is there for the classifier


def test_coarsely_quantised_rest_is_neither_clipped_nor_flat():
    # A 10-bit Arduino at rest: a few codes around mid-scale, repeated often.
    rng = np.random.default_rng(28)
    x = np.round(512 + rng.normal(0, 0.8, (10000, 1))).astype(np.float32)
    pipe = Pipeline(FS, ("a",), mains_hz=None)
    bursts = pipe.process(Chunk(x, FS, 0.0, ("a",))) + pipe.flush()
    assert [b for b in bursts if b.kind == "artifact"] == []
    assert pipe.quality()["a"]["clipped_s"] == 0 and not pipe.quality()["a"]["no_signal"]


def test_single_samples_at_known_rails_are_clipping_whatever_the_chunking():
    fs = 500.0
    x = noise(int(6 * fs), 2, seed=32, dc=None) + 8000.0
    hits = [1000, 1001, 1030, 2000]  # a pair and a single 30 samples on (one interval), then one alone
    x[hits[:3], 0] = 16383.0
    x[hits[3], 0] = 0.0
    x[2500, 1] = 16382.0  # one code short of the rail: not clipped
    whole = detect_bursts(x, fs, ("a", "b"), mains_hz=None, rails=(0, 16383))
    clip = _art(whole, "clipping")
    assert [(round(b.onset_s, 3), b.channels) for b in clip] == [(2.0, ("a",)), (4.0, ("a",))]
    assert clip[0].offset_s == pytest.approx(1031 / fs)
    assert not _art(detect_bursts(x, fs, ("a", "b"), mains_hz=None), "clipping")  # without rails: no run, no clip
    pipe = Pipeline(fs, ("a", "b"), mains_hz=None, rails=(0, 16383))
    streamed, at = [], 0
    for n in (1001, 3, 26, 970, 1, 5000):
        streamed += pipe.process(Chunk(x[at : at + n], fs, at / fs, ("a", "b")))
        at += n
    streamed += pipe.flush()
    assert sorted(map(burst_key, streamed), key=repr) == sorted(map(burst_key, whole), key=repr)
    assert pipe.quality()["a"]["clipped_s"] == pytest.approx(4 / fs)
    assert pipe.quality()["b"]["clipped_s"] == 0


@pytest.mark.parametrize("rails", [(5, 5), (10, 0), (0, float("nan")), "0-10", (1,)])
def test_bad_rails_are_a_clear_error(rails):
    with pytest.raises(ValueError, match="rails"):
        Pipeline(FS, CH, rails=rails)
