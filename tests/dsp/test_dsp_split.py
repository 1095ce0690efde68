"""Cutting a spike run that holds two discharges (``dsp._split``)."""

from __future__ import annotations

import numpy as np
import pytest
from dsp_synth import add_spike, burst_key, hr1, noise

from dsp import Chunk, Pipeline, detect_bursts
from dsp._reference import split_points_reference
from dsp._split import split_points

CH = ("a", "b", "c")
KW = {"peak_min": 4.0, "w": 3, "min_sep": 5, "dip": 0.4, "ratio": 0.6}


def _run(*peaks_at: tuple[int, float], n: int = 40) -> np.ndarray:
    y = np.zeros(n)
    s = hr1(1000.0, 0.0015, 1.0)
    for at, peak in peaks_at:
        y[at : at + s.size] += peak * s[: n - at]
    return y


def test_two_equal_discharges_apart_are_cut_between_them():
    (cut,) = split_points(_run((2, 20.0), (20, 18.0)), **KW)
    assert 10 <= cut <= 24


def test_the_compiled_cut_matches_the_numpy_reference_on_random_runs():
    rng = np.random.default_rng(0)
    n_cut = 0
    for _ in range(3000):
        n = int(rng.integers(3, 120))
        y = rng.normal(0.0, 1.0, n) * rng.choice([1.0, 5.0, 20.0], n)
        kw = {"peak_min": float(rng.choice([2.0, 4.0, 8.0])), "w": int(rng.integers(1, min(n, 9) + 1)),
              "min_sep": int(rng.integers(2, 25)), "dip": float(rng.choice([0.2, 0.4, 0.8])),
              "ratio": float(rng.choice([0.3, 0.6]))}
        want = split_points_reference(y, **kw)
        assert split_points(y, **kw) == want
        n_cut += bool(want)
    assert 500 < n_cut < 2900  # both outcomes are exercised


def test_one_discharge_its_small_after_swing_or_close_phases_stay_whole():
    assert split_points(_run((2, 20.0)), **KW) == []
    # the second is under ratio (0.6) of the first: an after-swing, not a unit
    assert split_points(_run((2, 20.0), (20, 8.0)), **KW) == []
    # humps closer than min_sep: one polyphasic discharge
    assert split_points(_run((2, 20.0), (5, 20.0)), **{**KW, "min_sep": 10}) == []
    assert split_points(_run((2, 20.0), (5, 20.0)), **{**KW, "min_sep": 4}) != []
    # under peak_min: noise
    assert split_points(_run((2, 3.0), (20, 3.0)), **KW) == []
    assert split_points(np.array([1.0, np.nan, 30.0, 1.0, 2.0, 30.0, 1.0]), **{**KW, "min_sep": 2}) == []


@pytest.mark.parametrize("fs", [200.0, 250.0, 1000.0])
def test_a_doublet_reaches_the_classifier_as_two_spikes_at_any_rate(fs):
    # One unit firing twice 30 ms apart (science.md 1.1); at 200-250 Hz the
    # detector's energy stays up between the two and it saw one spike.
    x = noise(int(8 * fs), 3, seed=3)
    first = add_spike(x, fs, 3.0, 0, 120.0, lam_s=0.003)
    second = add_spike(x, fs, 3.03, 0, 110.0, lam_s=0.003)
    single = add_spike(x, fs, 5.0, 0, 200.0, lam_s=0.003)
    spikes = [b for b in detect_bursts(x, fs, CH, mains_hz=None) if b.kind == "spike"]
    peaks = [b.features["t_peak_s"] for b in spikes]
    assert len(peaks) == 3
    tol = max(0.006, 3 / fs)  # at 200 Hz the band-pass moves a peak by up to 2-3 samples
    assert all(abs(p - want) <= tol for p, want in zip(peaks, [first, second, single], strict=True))
    # the two do not overlap, and chunking does not change them
    assert spikes[0].offset_s <= spikes[1].onset_s
    pipe = Pipeline(fs, CH, mains_hz=None)
    step = 7
    chunked = [b for i in range(0, x.shape[0], step) for b in pipe.process(Chunk(x[i : i + step], fs, i / fs, CH))]
    chunked += pipe.flush()
    whole = detect_bursts(x, fs, CH, mains_hz=None)
    assert sorted(map(burst_key, chunked), key=repr) == sorted(map(burst_key, whole), key=repr)


def test_a_cut_discharge_seen_on_a_second_channel_spans_only_itself():
    # On channel b the first discharge is small, so b's run is not cut and
    # covers both; the second discharge's burst is read over its own piece.
    fs = 250.0
    x = noise(int(8 * fs), 3, seed=4)
    first = add_spike(x, fs, 3.0, 0, 120.0, lam_s=0.003)
    second = add_spike(x, fs, 3.03, 0, 100.0, lam_s=0.003)
    add_spike(x, fs, 3.0, 1, 30.0, lam_s=0.003)
    add_spike(x, fs, 3.03, 1, 80.0, lam_s=0.003)
    a, b = [s for s in detect_bursts(x, fs, CH, mains_hz=None) if s.kind == "spike"]
    assert a.channels == b.channels == ("a", "b")
    assert a.features["t_peak_s"] == pytest.approx(first, abs=0.006)
    assert b.features["t_peak_s"] == pytest.approx(second, abs=0.006)
    assert a.offset_s <= b.onset_s and b.offset_s - b.onset_s <= 0.04
