"""Envelopes: numba vs numpy reference, and chunking."""

from __future__ import annotations

import numpy as np
from dsp_synth import noise

from dsp import init_rms_state, init_tkeo_state, moving_rms, tkeo
from dsp.envelope import moving_rms_reference, tkeo_reference


def _chunks(n, sizes=(1, 7, 250, 3, 1000)):
    i = 0
    k = 0
    while i < n:
        m = sizes[k % len(sizes)]
        yield slice(i, min(n, i + m))
        i += m
        k += 1


def test_moving_rms_matches_reference_whole_and_chunked():
    x = noise(3000, 2, seed=7)
    ref = moving_rms_reference(x, 25)
    y, _ = moving_rms(x, init_rms_state(25, 2))
    assert np.allclose(y, ref, rtol=1e-5, atol=1e-3)
    st = init_rms_state(25, 2)
    parts = [moving_rms(x[s], st)[0] for s in _chunks(x.shape[0])]
    assert np.array_equal(np.vstack(parts), y)


def test_tkeo_matches_reference_whole_and_chunked():
    x = noise(2000, 3, seed=8, dc=None)
    ref = tkeo_reference(x)
    y, _ = tkeo(x, init_tkeo_state(3))
    assert np.allclose(y, ref, rtol=1e-9, atol=1e-6)
    st = init_tkeo_state(3)
    parts = [tkeo(x[s], st)[0] for s in _chunks(x.shape[0])]
    assert np.array_equal(np.vstack(parts), y)


def test_tkeo_of_a_sine_is_constant():
    fs, f, a = 1000.0, 50.0, 10.0
    x = (a * np.sin(2 * np.pi * f * np.arange(500) / fs))[:, None]
    y, _ = tkeo(x, init_tkeo_state(1))
    expected = a**2 * np.sin(2 * np.pi * f / fs) ** 2  # Kaiser 1990: A^2 sin^2(Omega)
    assert np.allclose(y[2:, 0], expected, rtol=1e-9)
