"""The report's zoom shows an event as the detector saw it: mains hum removed."""

from __future__ import annotations

import math

import numpy as np

from emgwatch.report import _display_filter


def test_display_filter_removes_the_mains_hum_dsp_found():
    fs = 250.0
    t = np.arange(int(2.3 * fs)) / fs
    hum = 5.0 * np.sin(2 * np.pi * 50.0 * t)
    spike = np.zeros_like(t)
    k = len(t) // 2
    spike[k : k + 3] = [4.0, -6.0, 2.0]
    x = 300.0 + hum + spike  # with a board's DC offset
    shown = _display_filter(x, fs, 50.0)
    middle = slice(int(0.8 * fs), len(t) - int(0.8 * fs))
    residual = shown[middle] - spike[middle]
    assert np.sqrt(np.mean(residual**2)) < 1.0  # the 3.5 µV RMS hum is gone
    assert np.abs(shown[k : k + 3]).max() > 3.0  # the spike is still there
    # Without mains found on the channel only the DC goes.
    kept = _display_filter(x, fs, math.nan)
    assert np.sqrt(np.mean(kept[middle] ** 2)) > 3.0
