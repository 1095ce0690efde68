"""The fast paths give the same numbers as the plain ones: skewed filter cascade,
branch-free filter tiles, numba burst features, direct-DFT lf_ratio, threaded
segments, the ring's column-block writes."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from dsp_synth import add_spike, add_sustained, burst_key, noise

from dsp import (
    Chunk,
    Pipeline,
    design_bandpass,
    design_mains_comb,
    init_filter_state,
    mains_lines,
    sos_filter,
)
from dsp._reference import lf_ratio_reference, sample_features_reference
from dsp._ring import Ring
from dsp.features import _lf_ratio, burst_features
from dsp.filters import sos_filter_reference


def _sos(fs: float, mains: float | None) -> np.ndarray:
    bp = design_bandpass(fs)
    return bp if mains is None else np.vstack([bp, design_mains_comb(mains_lines(mains, fs), fs)])


@pytest.mark.parametrize(("fs", "mains"), [(1000.0, None), (1000.0, 50.0), (250.0, 60.0), (2000.0, 50.0)])
def test_skewed_cascade_is_bit_identical_to_the_plain_loop_and_matches_scipy(fs, mains):
    sos = _sos(fs, mains)
    x = noise(3000, 4, seed=5)
    x[700:705, 1] = np.nan  # a dropout: that tile takes the careful loop
    x[1999, 3] = np.inf
    # 4 channels take the skewed cascade; 5 (the same 4 plus one) the plain loop
    y4, _ = sos_filter(x, sos, init_filter_state(sos, 4))
    y5, _ = sos_filter(np.hstack([x, x[:, :1]]), sos, init_filter_state(sos, 5))
    np.testing.assert_array_equal(y4, y5[:, :4])
    ref, _ = sos_filter_reference(x, sos, init_filter_state(sos, 4))
    np.testing.assert_allclose(y4, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    assert np.all(y4[700:705, 1] == 0) and y4[1999, 3] == 0


def test_filter_tiles_give_the_same_output_for_any_split_around_dropouts():
    sos = _sos(1000.0, 50.0)
    x = noise(5000, 3, seed=6)
    x[255:258, 0] = np.nan  # across a 256-row tile edge
    x[1024, 2] = np.nan
    whole, _ = sos_filter(x, sos, init_filter_state(sos, 3))
    for sizes in ([1, 63, 64, 65, 300], [257, 10, 4000], [5000]):
        st = init_filter_state(sos, 3)
        parts, i, k = [], 0, 0
        while i < x.shape[0]:
            n = sizes[k % len(sizes)]
            parts.append(sos_filter(x[i : i + n], sos, st)[0])
            i, k = i + n, k + 1
        np.testing.assert_array_equal(np.vstack(parts), whole)


@pytest.mark.parametrize("fs", [200.0, 250.0, 500.0, 1000.0, 2000.0])
def test_direct_lf_ratio_equals_the_fft_version(fs):
    rng = np.random.default_rng(int(fs))
    hi = min(450.0, 0.45 * fs)
    # lengths around the 0.25 s window, exact-bin lengths (20 Hz on a bin) and long ones (FFT path)
    for n in (4, 5, 17, 50, 62, 63, round(0.25 * fs) + 1, round(0.5 * fs), 1001, 1500, 4001, 12_007):
        t = np.arange(n) / fs
        x = rng.normal(0, 5, n) + 40 * np.sin(2 * np.pi * 7 * t) + 300.0
        got, ref = _lf_ratio(x, fs, 20.0, hi), lf_ratio_reference(x, fs, 20.0, hi)
        assert got == pytest.approx(ref, rel=1e-9, nan_ok=True), n
    assert np.isnan(_lf_ratio(np.full(100, 3.0), fs, 20.0, hi))  # no energy anywhere


@pytest.mark.parametrize("kind", ["spike", "sustained", "artifact"])
def test_numba_burst_features_equal_the_numpy_reference(kind):
    rng = np.random.default_rng(7)
    for n, n_ch in ((1, 1), (9, 3), (40, 2), (1200, 4)):
        y = rng.normal(0, 10, (n, n_ch)).astype(np.float32)
        y[rng.random((n, n_ch)) < 0.1] = 0.0  # exact zeros: skipped by zero crossings and phases
        raw = rng.normal(200, 10, max(n, 250))
        raw[3] = np.nan
        others = list(range(1, n_ch))
        feats = burst_features(
            kind=kind, onset=100, offset=100 + n, members=list(range(n_ch)), strongest=0, y=y, y_start=100,
            raw_wide=raw, blk_ms=np.full(max(1, n // 25), 100.0), noise_uv=5.0, others=others, fs=1000.0,
            t0=2.0, block_n=25, band=(20.0, 450.0), prior_rate=3.0,
        )
        ref = sample_features_reference(kind, y, 0, others, raw, 5.0, 1000.0, 2.0, 100, (20.0, 450.0))
        for name, value in ref.items():
            if np.isnan(value):
                assert np.isnan(feats[name]), (name, n)
            else:
                assert feats[name] == pytest.approx(value, rel=1e-9, abs=1e-12), (name, n)


def test_ring_staged_column_blocks_equal_row_writes():
    rng = np.random.default_rng(8)
    a, b = Ring(50, 7), Ring(50, 7)
    spans = [(0, 4), (4, 5), (5, 7)]
    for k, n in enumerate((3, 30, 49, 1, 50, 20, 40)):
        rows = rng.normal(size=(n, 7)).astype(np.float32)
        if k == 2:
            b.reserve(50)  # room added midway keeps the readable rows
            assert b.capacity == 100 and b.keep == 50
        a.write(rows)
        if n <= b.capacity - b.keep:
            for s0, s1 in spans:
                b.stage_columns(b.end, s0, s1, rows[:, s0:s1].copy())
            assert b.get(b.end, b.end + n)[0].shape[0] == 0  # staged rows are not readable yet
            b.commit(n)
        else:
            b.write(rows)
        assert a.end == b.end and a.start == b.start
        np.testing.assert_array_equal(a.get(0, a.end)[0], b.get(0, b.end)[0])
        np.testing.assert_array_equal(a.get(a.end - 7, a.end - 2)[0], b.get(b.end - 7, b.end - 2)[0])


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
@pytest.mark.parametrize("n_ch", [3, 8])
def test_threaded_segments_give_the_same_bursts_as_one_thread(n_ch):
    fs = 1000.0
    x = noise(135_000, n_ch, seed=9)  # > PARALLEL_MIN values: 6 segments of 25.6 s
    for k, t in enumerate(np.arange(3.0, 130.0, 2.7)):
        add_spike(x, fs, float(t), k % n_ch, 60.0 + 10 * (k % 5))
    add_sustained(x, fs, 30.0, 36.0, 1, 40.0)
    add_sustained(x, fs, 50.5, 52.0, 0, 30.0)
    x[80_000:80_050, n_ch - 1] = np.nan
    names = tuple(f"c{i}" for i in range(n_ch))
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            pipe = Pipeline(fs, names, mains_hz=50.0)
            runs.append([burst_key(b) for b in pipe.process(Chunk(x, fs, 0.0, names)) + pipe.flush()])
    finally:
        numba.set_num_threads(before)
    assert len(runs[0]) > 40
    assert runs[0] == runs[1]
    # and a live-sized split (serial path throughout) agrees too
    pipe = Pipeline(fs, names, mains_hz=50.0)
    live = []
    for i in range(0, x.shape[0], 7001):
        live += pipe.process(Chunk(x[i : i + 7001], fs, i / fs, names))
    live += pipe.flush()
    assert sorted(burst_key(b) for b in live) == sorted(runs[0])
