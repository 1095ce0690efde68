"""Filters: numba vs scipy, chunking, steady-state start, mains lines and detection."""

from __future__ import annotations

import numpy as np
import pytest
from dsp_synth import noise
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from dsp import (
    design_bandpass,
    design_mains_comb,
    detect_mains,
    init_filter_state,
    mains_lines,
    sos_filter,
)
from dsp.filters import bridge_period, sos_filter_reference

FS = 1000.0


def _sos(fs=FS):
    return np.vstack([design_bandpass(fs), design_mains_comb(mains_lines(50.0, fs), fs)])


def test_bandpass_matches_scipy_sosfilt_to_1e6_relative():
    sos = design_bandpass(FS)
    x = noise(5000, 3, seed=1)
    y, _ = sos_filter(x, sos, init_filter_state(sos, 3))
    zi = signal.sosfilt_zi(sos)
    for c in range(3):
        ref = signal.sosfilt(sos, x[:, c].astype(np.float64), zi=zi * float(x[0, c]))[0]
        assert np.max(np.abs(y[:, c] - ref)) <= 1e-6 * np.max(np.abs(ref))


def test_numba_kernel_equals_reference_with_comb_and_nan():
    sos = _sos()
    x = noise(4000, 2, seed=2)
    x[1000:1010, 0] = np.nan
    x[2500, 1] = np.inf
    y, _ = sos_filter(x, sos, init_filter_state(sos, 2))
    ref, _ = sos_filter_reference(x, sos, init_filter_state(sos, 2))
    assert np.allclose(y, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    assert np.all(y[1000:1010, 0] == 0) and np.isfinite(y).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 10000), min_size=1, max_size=6))
def test_any_chunking_gives_the_same_output(sizes):
    sos = _sos()
    x = noise(12000, 2, seed=3)
    whole, _ = sos_filter(x, sos, init_filter_state(sos, 2))
    state = init_filter_state(sos, 2)
    parts = []
    i = 0
    for n in sizes * 3:
        if i >= x.shape[0]:
            break
        y, state = sos_filter(x[i : i + n], sos, state)
        parts.append(y)
        i += n
    if i < x.shape[0]:
        parts.append(sos_filter(x[i:], sos, state)[0])
    joined = np.vstack(parts)
    assert np.max(np.abs(joined - whole)) <= 1e-6 * np.max(np.abs(whole))


def test_steady_state_start_absorbs_a_large_dc_offset():
    sos = design_bandpass(FS)
    x = noise(2000, 1, sigma=5.0, dc=None) + np.float32(50_000.0)  # 50 mV offset, as a Cyton can show
    y, _ = sos_filter(x, sos, init_filter_state(sos, 1))
    zero_start = signal.sosfilt(sos, x[:, 0].astype(np.float64))
    assert np.abs(y[:200]).max() < 30.0  # a few noise RMS, no transient
    assert np.abs(zero_start[:200]).max() > 1000.0  # what a zero-state start would do


def _bridge_view(gap):
    """Bridged count and the ring oldest first (the write position differs by path)."""
    return np.array([np.r_[g[:1], np.roll(g[2:], -int(g[1]))] for g in gap])


@pytest.mark.parametrize(("hold_n", "period_n"), [(0, 1), (5, 1), (40, 1), (40, 4), (40, 50)])
def test_numba_kernel_equals_reference_with_held_and_long_gaps(hold_n, period_n):
    # Gaps shorter and longer than hold_n, on one channel or all, across
    # the kernel's 256-row tiles; then the same input in chunks.
    sos = _sos()
    x = noise(6000, 3, seed=4)
    for a, b, cols in ((300, 302, [0]), (700, 705, [0, 1, 2]), (1200, 1240, [1]), (1500, 1600, [2]),
                       (2040, 2060, [0, 1, 2]), (2550, 2551, [0]), (3000, 3006, [1]), (5990, 6000, [2])):
        x[a:b, cols] = np.nan
    ref, ref_state = sos_filter_reference(x, sos, init_filter_state(sos, 3, hold_n, period_n))
    y, state = sos_filter(x, sos, init_filter_state(sos, 3, hold_n, period_n))
    assert np.allclose(y, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    np.testing.assert_array_equal(state.pending, ref_state.pending)
    np.testing.assert_allclose(_bridge_view(state.gap), _bridge_view(ref_state.gap))
    chunked = init_filter_state(sos, 3, hold_n, period_n)
    parts = [sos_filter(x[i : i + 333], sos, chunked)[0] for i in range(0, 6000, 333)]
    assert np.max(np.abs(np.vstack(parts) - y)) <= 1e-6 * np.abs(y).max()


@pytest.mark.parametrize("hum_uv", [0.0, 50.0])
def test_a_held_short_gap_rings_less_than_a_restart(hum_uv):
    # A lost BLE packet (10 ms at 200 Hz), with and without 50 Hz hum on the
    # line: past the first 30 ms (the classifier's restart window) holding
    # the last value through the gap disturbs the output far less than
    # restarting the filters, whose notches ring for a quarter second.
    fs = 200.0
    sos = np.vstack([design_bandpass(fs), design_mains_comb(mains_lines(50.0, fs), fs)])
    t = np.arange(4000) / fs
    x = noise(4000, 1, seed=5, dc=None) + np.float32(400.0)
    x[:, 0] += (hum_uv * np.sin(2 * np.pi * 50.0 * t + 0.3)).astype(np.float32)
    clean, _ = sos_filter(x, sos, init_filter_state(sos, 1, 20))
    x[2000:2002] = np.nan
    held, _ = sos_filter(x, sos, init_filter_state(sos, 1, 20))
    restarted, _ = sos_filter(x, sos, init_filter_state(sos, 1, 0))
    later = slice(2008, 2030)  # 30-150 ms after the gap
    assert np.abs(held[later] - clean[later]).max() < 0.5 * np.abs(restarted[later] - clean[later]).max()


@pytest.mark.parametrize(("fs", "mains", "n"), [(200.0, 50.0, 4), (200.0, 60.0, 10), (250.0, 60.0, 25),
                                              (1000.0, 60.0, 50), (256.0, 60.0, 17), (250.0, None, 1)])
def test_bridge_period_spans_whole_mains_periods(fs, mains, n):
    assert bridge_period(fs, mains) == n


@pytest.mark.parametrize(("mains", "gap"), [(50.0, 6), (60.0, 6), (60.0, 16)])
def test_bridging_a_period_back_keeps_the_hum_going_through_a_lost_packet(mains, gap):
    # Ganglion at 200 Hz loses 2-sample packets in bursts (~30 ms). Holding
    # the last value cuts 20 uV of hum off for the gap, and the notch rings
    # when it comes back; repeating the input a whole number of mains periods
    # back carries it on. Measured 30-200 ms after the gap, where the
    # classifier drops every spike below 7x noise.
    fs = 200.0
    sos = np.vstack([design_bandpass(fs), design_mains_comb(mains_lines(mains, fs), fs)])
    t = np.arange(4000) / fs
    x = noise(4000, 1, seed=6, dc=None) + np.float32(400.0)
    x[:, 0] += (20.0 * np.sin(2 * np.pi * mains * t + 0.3)).astype(np.float32)
    clean, _ = sos_filter(x, sos, init_filter_state(sos, 1, 20))
    x[2000 : 2000 + gap] = np.nan
    held, _ = sos_filter(x, sos, init_filter_state(sos, 1, 20, 1))
    bridged, _ = sos_filter(x, sos, init_filter_state(sos, 1, 20, bridge_period(fs, mains)))
    later = slice(2000 + gap + 6, 2000 + gap + 40)
    err_held = np.abs(held[later] - clean[later]).max()
    err_bridged = np.abs(bridged[later] - clean[later]).max()
    assert err_bridged < 0.35 * err_held
    assert err_bridged < clean[100:].std()  # below the noise RMS


def test_dropout_resets_the_channel_instead_of_poisoning_it():
    sos = design_bandpass(FS)
    x = noise(3000, 1, dc=None) + np.float32(1000.0)
    x[1000:1100] = np.nan
    x[1100:] += np.float32(5000.0)  # the board comes back with another offset
    y, _ = sos_filter(x, sos, init_filter_state(sos, 1))
    assert np.isfinite(y).all()
    assert np.abs(y[1100:1300]).max() < 30.0


@pytest.mark.parametrize(
    ("mains", "fs", "expected"),
    [
        (60.0, 250.0, (60.0, 120.0, 70.0, 10.0, 50.0, 110.0)),
        (50.0, 250.0, (50.0, 100.0)),
        (60.0, 200.0, (60.0, 80.0, 20.0, 40.0)),  # 100 Hz sits on Nyquist: no notch possible
        (50.0, 1000.0, tuple(50.0 * k for k in range(1, 10))),
    ],
)
def test_mains_alias_lines_follow_science_table(mains, fs, expected):
    assert mains_lines(mains, fs) == expected


def test_mains_comb_removes_every_alias_line_at_250_hz():
    fs = 250.0
    lines = mains_lines(60.0, fs)
    sos = np.vstack([design_bandpass(fs), design_mains_comb(lines, fs)])
    t = np.arange(int(20 * fs)) / fs
    x = sum(np.sin(2 * np.pi * f * t) * 100 for f in lines).astype(np.float32)[:, None]
    y, _ = sos_filter(x, sos, init_filter_state(sos, 1))
    assert np.sqrt(np.mean(y[-int(5 * fs) :] ** 2)) < 2.0  # from ~245 µV RMS


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_detect_mains_finds_the_frequency(mains):
    fs = 1000.0
    x = noise(2000, 3, seed=4).astype(np.float64)
    t = np.arange(2000) / fs
    x[:, 1] += 20 * np.sin(2 * np.pi * mains * t) + 5 * np.sin(2 * np.pi * 3 * mains * t)
    found, lines = detect_mains(x, fs)
    assert found == mains
    assert mains in lines and 3 * mains in lines and 2 * mains not in lines


def test_detect_mains_at_250_hz_sees_aliases_and_none_on_clean_noise():
    fs = 250.0
    t = np.arange(500) / fs
    x = noise(500, 1, seed=5).astype(np.float64)
    x[:, 0] += 30 * np.sin(2 * np.pi * 60 * t) + 10 * np.sin(2 * np.pi * 180 * t)  # 180 Hz folds to 70 Hz
    found, lines = detect_mains(x, fs)
    assert found == 60.0 and 70.0 in lines
    assert detect_mains(noise(500, 2, seed=6), fs) == (None, ())


def test_bad_design_arguments_are_named():
    with pytest.raises(ValueError, match="low_hz"):
        design_bandpass(30.0)
    sos = design_bandpass(FS)
    with pytest.raises(ValueError, match="shape"):
        sos_filter(np.zeros((10, 3), np.float32), sos, init_filter_state(sos, 2))


def test_parallel_filter_equals_serial_and_scipy_on_long_multichannel_input():
    # Long enough and wide enough to take the channel-parallel path.
    import numba
    from scipy import signal as _signal

    from dsp.filters import PARALLEL_MIN, design_bandpass, init_filter_state, sos_filter

    rng = np.random.default_rng(3)
    x = (rng.normal(0, 5, (100_000, 11)) + rng.uniform(-300, 300, 11)).astype(np.float32)
    assert x.size >= PARALLEL_MIN
    sos = design_bandpass(1000.0)
    before = numba.get_num_threads()
    outs = []
    try:
        for threads in (1, max(2, before)):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            state = init_filter_state(sos, x.shape[1])
            y1, state = sos_filter(x[:96_000], sos, state)
            y2, state = sos_filter(x[96_000:], sos, state)
            outs.append(np.vstack([y1, y2]))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(outs[0], outs[1])
    zi = _signal.sosfilt_zi(sos)[:, :, None] * x[0][None, None, :].astype(np.float64)
    ref, _ = _signal.sosfilt(sos, x.astype(np.float64), axis=0, zi=zi)
    np.testing.assert_allclose(outs[1], ref, rtol=1e-6, atol=1e-4 * np.abs(ref).max())
