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


def test_a_cramp_decided_minutes_after_its_onset_gets_a_zoom_of_its_end():
    # Events come when they end; the zoom keeper holds seconds of signal, so a
    # 5 min cramp's onset is gone. Its end (the fade) is shown instead of
    # "cramp: none found" beside a cramp in the top panel.
    from dsp import Chunk, Event
    from emgwatch.analysis import _ZoomKeeper

    fs = 250.0
    keeper = _ZoomKeeper(fs, 2)
    for k in range(310):  # 310 s in 1 s chunks
        keeper.add(Chunk(np.full((250, 2), float(k), np.float32), fs, float(k), ("a", "b")))
    cramp = Event(("a",), 10.0, 305.0, 80.0, "cramp", 0.9, "sustained", "", {})
    keeper.offer([cramp])
    (ev, data, t0), = keeper.zooms["cramp"]
    assert ev is cramp
    assert t0 < 305.0 < t0 + len(data) / fs  # around the offset
    assert data[0, 0] >= 300.0  # samples from the end, not stale ones
