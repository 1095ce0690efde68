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
    DetectorConfig,
    Pipeline,
    design_bandpass,
    design_mains_comb,
    init_filter_state,
    mains_lines,
    sos_filter,
)
from dsp._reference import lf_ratio_reference, sample_features_reference
from dsp._ring import Ring
from dsp.features import (
    NET_AFTER_S,
    NET_BEFORE_S,
    NET_LEVEL_S,
    SWING_PEAK_S,
    SWING_S,
    _lf_ratio,
    _p90,
    burst_features,
    deflection_shape,
)
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
    # 12_007 and 3 fs + 7 are cut to a fast FFT length (> LONG_WINDOW_S)
    for n in (4, 5, 17, 50, 62, 63, round(0.25 * fs) + 1, round(0.5 * fs), 1001, 1500, 4001, 12_007, round(3 * fs) + 7):
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


def test_ring_grows_to_keep_rows_a_pending_burst_needs():
    rng = np.random.default_rng(8)
    ring = Ring(50, 3)
    ring.reserve(20)
    ref = np.zeros((0, 3), np.float32)
    for k, n in enumerate((30, 40, 20, 20, 20, 15, 20)):
        rows = rng.normal(size=(n, 3)).astype(np.float32)
        ref = np.vstack([ref, rows])
        if k == 3:
            # a burst still needs row 45; 20 rows are staged and not readable yet
            ring.stage(ring.end, rows)
            ring.keep_from(45, 20, staged=20)
            assert ring.keep >= ring.end + 20 - 45
            assert ring.get(ring.end, ring.end + 20)[0].shape[0] == 0
            ring.commit(20)
        elif n <= ring.capacity - ring.keep:
            ring.stage(ring.end, rows)
            ring.commit(n)
        else:
            ring.write(rows)
        got, a = ring.get(0, ring.end)
        assert a == ring.start and ring.end == ref.shape[0]
        np.testing.assert_array_equal(got, ref[a:])
        if k == 3:
            assert a <= 45  # the needed row is still there
    # rows dropped before the regrow are never returned as if held
    assert ring.first > 0 and ring.get(0, 10)[0].shape[0] == 0


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


@pytest.mark.parametrize("threads", [1, 2])
def test_bursts_longer_than_the_feature_window_do_not_depend_on_chunking(threads):
    # A cramp longer than ring_s, ending early in a 25.6 s segment: its
    # features read its last ring_s seconds whether it was finalised 0.1 s
    # or a whole segment after its end (the rings once held ring_s only, so
    # offline features saw less of it than live ones did).
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("needs 2 numba threads")
    fs = 1000.0
    n_ch = 4
    x = noise(140_000, n_ch, seed=12)
    add_sustained(x, fs, 20.0, 53.0, 1, 40.0)  # 33 s, ends 1.8 s into a 25.6 or 51.2 s segment
    add_sustained(x, fs, 60.0, 75.0, 2, 30.0)
    for k, t in enumerate(np.arange(2.0, 135.0, 3.1)):
        add_spike(x, fs, float(t), k % n_ch, 80.0)
    names = tuple(f"c{i}" for i in range(n_ch))
    cfg = DetectorConfig(ring_s=8.0, history_s=12.0)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(threads)
        pipe = Pipeline(fs, names, mains_hz=50.0, config=cfg)
        whole = [burst_key(b) for b in pipe.process(Chunk(x, fs, 0.0, names)) + pipe.flush()]
    finally:
        numba.set_num_threads(before)
    pipe = Pipeline(fs, names, mains_hz=50.0, config=cfg)
    live = []
    for i in range(0, x.shape[0], 7001):
        live += pipe.process(Chunk(x[i : i + 7001], fs, i / fs, names))
    live += pipe.flush()
    long_ones = [b for b in whole if b[0] == "sustained" and b[4] - b[3] > 10.0]
    assert len(long_ones) == 2 and all(dict(b[6])["peak_snr"] > 5 for b in long_ones)
    assert sorted(whole) == sorted(burst_key(b) for b in live)


def test_a_spike_held_behind_a_long_cramp_keeps_its_samples():
    # Spike groups are released in time order, so a twitch on one channel
    # waits while a spike inside a long sustained run on another channel is
    # held. Its samples must still be there when it is finally grouped (the
    # rings grow for it), else its peak and features were lost (0 µV, NaN).
    fs = 1000.0
    x = noise(130_000, 2, seed=21)
    add_sustained(x, fs, 10.0, 120.0, 0, 30.0)
    add_spike(x, fs, 10.3, 0, 150.0)
    t_twitch = add_spike(x, fs, 11.0, 1, 80.0)
    names = ("c0", "c1")
    pipe = Pipeline(fs, names, mains_hz=50.0, config=DetectorConfig(ring_s=4.0))
    bursts = pipe.process(Chunk(x, fs, 0.0, names)) + pipe.flush()
    twitch = [b for b in bursts if b.channels == ("c1",) and abs(b.features["t_peak_s"] - t_twitch) < 0.02]
    assert len(twitch) == 1
    assert twitch[0].peak_uv > 50 and twitch[0].features["peak_snr"] > 10
    assert all(b.peak_uv > 0 for b in bursts)


def test_p90_equals_numpy_percentile():
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 9, 10, 11, 57, 536, 4097]:
        for _ in range(10):
            a = rng.lognormal(size=n)
            assert _p90(a) == np.percentile(a, 90), n


@pytest.mark.parametrize("fs", [500.0, 1000.0])
def test_compiled_deflection_shape_equals_numpy(fs):
    rng = np.random.default_rng(3)
    at = 200
    n = np.arange(400)
    jump = np.where(n >= at, np.exp(-(n - at) / 3.0), 0.0)  # a one-sided decay, some of the time
    a, b = at - round(NET_BEFORE_S * fs), at + round(NET_AFTER_S * fs) + 1
    p0, p1 = at - round(NET_LEVEL_S[0] * fs), at - round(NET_LEVEL_S[1] * fs)
    r, m = round(SWING_PEAK_S * fs), round(SWING_S * fs)
    for _ in range(200):
        x = rng.normal(size=400) + rng.normal(0, 20) * jump
        d = x - np.median(x[p0:p1])
        k = at - r + int(np.argmax(np.abs(d[at - r : at + r + 1])))
        swing = max(0.0, float((-np.sign(d[k]) * d[k - m : k + m + 1]).max())) / abs(d[k])
        net, got_swing = deflection_shape(x, at, fs)
        assert net == pytest.approx(abs(d[a:b].sum()) / np.abs(d[a:b]).sum(), rel=1e-12)
        assert got_swing == pytest.approx(swing, rel=1e-12)
    x[p0 + 1] = np.nan
    assert np.isnan(deflection_shape(x, at, fs)).all()
    # the window or its baseline outside what was read
    assert np.isnan(deflection_shape(x[: b - 1], at, fs)).all() and np.isnan(deflection_shape(x, 5, fs)).all()


def test_swing_ratio_tells_a_discharge_from_a_one_sided_jump():
    fs = 500.0
    t = (np.arange(200) - 100) / fs
    muap = -np.gradient(np.exp(-(t / 0.003) ** 2))  # biphasic, both phases equal
    muap *= 100.0 / np.abs(muap).max()
    jump = np.where(t >= 0, 100.0 * np.exp(-t / 0.0022), 0.0)  # a step through a 72 Hz high-pass
    assert deflection_shape(muap, 100, fs)[1] > 0.9
    assert deflection_shape(jump, 100, fs)[1] == 0.0


def test_released_buffers_are_reused_by_shape_and_type_within_the_limit(monkeypatch):
    from dsp import _buffers

    monkeypatch.setattr(_buffers, "_free", {})
    monkeypatch.setattr(_buffers, "_kept", 0)
    monkeypatch.setattr(_buffers, "LIMIT_BYTES", 3 << 20)
    a = _buffers.empty((1 << 18, 2), np.float32)  # 2 MB
    _buffers.release(a)
    assert _buffers.empty((1 << 18, 2), np.float64) is not a  # other type
    assert _buffers.empty((1 << 17, 4), np.float32) is not a  # other shape
    assert _buffers.empty((1 << 18, 2), np.float32) is a
    assert _buffers.empty((1 << 18, 2), np.float32) is not a  # handed out once
    b, c = _buffers.empty((1 << 18, 2), np.float32), _buffers.empty((1 << 18, 2), np.float32)
    _buffers.release(b)
    _buffers.release(c)  # over the 3 MB limit: dropped, not kept
    assert _buffers._kept == b.nbytes
    _buffers.release(a[::2])  # a view: its memory belongs to another array
    _buffers.release(np.empty(10))  # small: malloc reuses those itself
    assert _buffers._kept == b.nbytes


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
def test_a_pipeline_on_reused_buffers_finds_what_a_fresh_one_finds(monkeypatch):
    from dsp import _buffers

    fs = 1000.0
    names = tuple(f"c{i}" for i in range(8))

    def scene(seed):
        x = noise(140_000, 8, seed=seed)
        for k, t in enumerate(np.arange(2.0 + seed % 3, 135.0, 2.3)):
            add_spike(x, fs, float(t), (k + seed) % 8, 60.0 + 10 * (k % 4))
        add_sustained(x, fs, 40.0 + seed, 52.0 + seed, seed % 8, 35.0)
        return x

    def run(x):
        pipe = Pipeline(fs, names, mains_hz=50.0)
        out = [burst_key(b) for b in pipe.process(Chunk(x, fs, 0.0, names)) + pipe.flush()]
        del pipe
        return out

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        monkeypatch.setattr(_buffers, "ENABLED", False)
        fresh = run(scene(2))
        monkeypatch.setattr(_buffers, "ENABLED", True)
        monkeypatch.setattr(_buffers, "_free", {})
        monkeypatch.setattr(_buffers, "_kept", 0)
        run(scene(1))  # leaves its rings and spike records behind, full of its data
        assert _buffers._kept > 0
        reused = run(scene(2))
    finally:
        numba.set_num_threads(before)
    assert len(fresh) > 40 and reused == fresh


def test_the_small_sort_orders_as_numpy_does_nan_last():
    from dsp._sort import sort_small

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 7, 40):
        for _ in range(50):
            a = rng.normal(size=n)
            a[rng.random(n) < 0.2] = np.nan
            b = a.copy()
            sort_small(b)
            np.testing.assert_array_equal(b, np.sort(a))
            k = rng.integers(-5, 5, size=n)
            sort_small(k)
            assert (np.diff(k) >= 0).all()
