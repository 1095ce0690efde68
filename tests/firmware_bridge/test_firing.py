"""Spike-train generators and the numba MUAP renderer against plain numpy references."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge import F_INT
from firmware_bridge._firing import DT_CTRL, drop_refractory, render_spikes, renewal_train
from firmware_bridge._track import Track


@pytest.mark.parametrize("split", [None, 777, 2001])
def test_render_spikes_equals_a_numpy_convolution(split):
    rng = np.random.default_rng(0)
    n_int, n_ch, n_units, n_taps = 4000, 3, 4, 41
    templates = rng.standard_normal((n_units, n_ch, n_taps))
    times = np.sort(rng.uniform(0, n_int / F_INT, 30))
    times[0] = 1 / F_INT  # partly before the start: clipped, not wrapped
    units = rng.integers(0, n_units, times.size)
    amps = rng.uniform(0.5, 1.5, times.size)
    if split is None:
        out = np.zeros((n_int, n_ch))
        render_spikes(out, times, units, amps, templates)
    else:  # block-wise rendering with a Track: any split gives the whole
        track = Track(n_int, n_ch)
        track.add_spikes(times, units, amps, templates)
        out = np.vstack([track.render(0, split), track.render(split, n_int - split)])
    ref = np.zeros((n_int + 2 * n_taps, n_ch))
    half = n_taps // 2
    for u in range(n_units):
        train = np.zeros(n_int + 2 * n_taps)
        idx = np.round(times[units == u] * F_INT).astype(int) + n_taps
        np.add.at(train, idx, amps[units == u])
        for ch in range(n_ch):
            ref[:, ch] += np.convolve(train, templates[u, ch], "full")[half: half + train.size]
    np.testing.assert_allclose(out, ref[n_taps: n_taps + n_int], atol=1e-9)


@pytest.mark.parametrize(("rate", "cv"), [(20.0, 0.15), (12.0, 0.45)])
def test_renewal_train_tracks_rate_and_cv(rate, cv):
    rng = np.random.default_rng(1)
    times = renewal_train(np.full(int(200 / DT_CTRL), rate), cv, rng)
    isi = np.diff(times)
    assert times.size / 200.0 == pytest.approx(rate, rel=0.05)
    assert isi.std() / isi.mean() == pytest.approx(cv, abs=0.03)
    assert isi.min() >= 0.002


def test_renewal_train_is_silent_where_the_rate_is_zero():
    rate = np.zeros(int(10 / DT_CTRL))
    rate[int(3 / DT_CTRL): int(6 / DT_CTRL)] = 15.0
    times = renewal_train(rate, 0.2, np.random.default_rng(2))
    assert times.size > 30
    assert times.min() >= 3.0 - DT_CTRL and times.max() <= 6.0 + DT_CTRL


def test_drop_refractory_keeps_spacing_from_the_last_kept_spike():
    t = np.array([0.0, 0.05, 0.09, 0.12, 0.30])
    assert drop_refractory(t, 0.1).tolist() == [0.0, 0.12, 0.30]


@pytest.mark.parametrize("device", ["cyton_250", "myo_200", "cyton_daisy_125", "myoware_arduino_1000"])
def test_device_chain_in_blocks_equals_the_whole(device):
    from firmware_bridge import DEVICES
    from firmware_bridge._devices import sample_jitter
    from firmware_bridge._track import LinearChain

    dev = DEVICES[device]
    rng = np.random.default_rng(5)
    n_out = 300
    x = rng.standard_normal((n_out * dev.step, 2)) * 10
    jitter = sample_jitter(dev, n_out, rng)
    whole = LinearChain(dev, 2, jitter).process(x, 0)
    chain = LinearChain(dev, 2, jitter)
    cut = 97 * dev.step
    parts = np.vstack([chain.process(x[:cut], 0), chain.process(x[cut:], cut)])
    np.testing.assert_allclose(parts, whole, atol=1e-9)

