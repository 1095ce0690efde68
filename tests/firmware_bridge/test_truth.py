"""Ground truth measured after the device (science.md §3.5): each twitch on its own."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from firmware_bridge import DEVICES, F_INT, simulate
from firmware_bridge._artifacts import Pending
from firmware_bridge._devices import sample_jitter
from firmware_bridge._track import Track, render_through
from firmware_bridge._truth import build_truth


def _two_units(n_ch: int = 2) -> np.ndarray:
    """Templates (2 units, n_ch, 81 taps): a large biphasic unit and a small one."""
    t = np.arange(-40, 41) / F_INT
    wave = -np.gradient(np.exp(-0.5 * (t / 0.002) ** 2))
    wave /= np.abs(wave).max()
    return np.stack([np.tile(300.0 * wave, (n_ch, 1)), np.tile(20.0 * wave, (n_ch, 1))])


def _two_twitches(dev, times: np.ndarray, units: np.ndarray) -> tuple[Track, list[Pending], int]:
    """2 s of one twitch component holding a discharge of ``units[k]`` at ``times[k]`` (s)."""
    n_out = int(2.0 * dev.fs)
    track = Track(n_out * dev.step, 2)
    layer = track.add_spikes(times, units, np.ones(len(times)), _two_units())
    pending = [Pending("fasciculation", "", t - 0.004, t + 0.006, "fasciculation", t, spike=(layer, k))
               for k, t in enumerate(times)]
    return track, pending, n_out


@pytest.mark.parametrize("device", ["cyton_wifi_1000", "ganglion_200", "myo_200"])
def test_a_twitch_overlapping_a_larger_one_keeps_its_own_peak(device: str) -> None:
    # Unit 1 (20 µV) fires 4 ms after unit 0 (300 µV) in the same component:
    # measured on the summed component, both got the large unit's peak.
    dev = DEVICES[device]
    times = np.array([1.000, 1.004])
    track, pending, n_out = _two_twitches(dev, times, np.array([0, 1]))
    jitter = sample_jitter(dev, n_out, np.random.default_rng(0))
    summed = render_through(dev, track, n_out, jitter)
    noise = np.ones(2)
    truth = build_truth(pending, {"fasciculation": summed}, summed, np.zeros(n_out, bool), dev, ("ch1", "ch2"),
                        noise, 2.0, {"fasciculation": track}, jitter)
    big, small = sorted(truth, key=lambda e: e.features["t_peak_s"])
    # Each alone, through the same chain, as the reference.
    for e, k in ((big, 0), (small, 1)):
        one = Track(track.n_int, 2)
        one.add_spikes(times[k:k + 1], np.array([k]), np.ones(1), _two_units())
        alone = np.abs(render_through(dev, one, n_out, jitter))
        i0 = int(np.floor((pending[k].onset_s + dev.delay_s) * dev.fs))
        i1 = int(np.ceil((pending[k].offset_s + dev.delay_s) * dev.fs)) + 1
        assert e.peak_uv == pytest.approx(alone[i0:i1].max(), rel=1e-5)
    assert small.peak_uv < 0.25 * big.peak_uv


def test_no_two_units_share_a_measured_peak_in_a_busy_scenario() -> None:
    # rest_frequent fires tens of twitches a minute: some overlap within ms.
    rec = simulate("rest_frequent", device="cyton_wifi_1000", seed=1, duration_s=120)
    fps = [e for e in rec.truth if e.trial_type == "fasciculation"]
    seen = collections.Counter((round(e.features["t_peak_s"], 6), round(e.features["snr"], 6)) for e in fps)
    assert len(fps) > 100
    assert max(seen.values()) == 1


def test_a_twitch_is_measured_on_the_samples_that_arrived() -> None:
    # Ganglion loses BLE packets: a twitch lost in one is not in the recording.
    dev = DEVICES["ganglion_200"]
    track, pending, n_out = _two_twitches(dev, np.array([0.5, 1.5]), np.array([0, 0]))
    summed = render_through(dev, track, n_out, None)
    lost = np.zeros(n_out, bool)
    lost[int(0.45 * dev.fs): int(0.56 * dev.fs)] = True  # the whole first twitch
    peak_at = int(np.argmax(np.abs(summed[int(1.45 * dev.fs): int(1.56 * dev.fs), 0]))) + int(1.45 * dev.fs)
    lost[peak_at] = True  # only the second twitch's largest sample
    truth = build_truth(pending, {"fasciculation": summed}, summed, lost, dev, ("ch1", "ch2"), np.ones(2), 2.0,
                        {"fasciculation": track})
    gone, hit = sorted((e for e in truth if e.trial_type == "fasciculation"), key=lambda e: e.onset_s)
    assert gone.features["snr"] == 0.0 and gone.features["detectable"] == 0.0
    assert 0.0 < hit.features["snr"] < np.abs(summed[peak_at]).max()
    assert not lost[round(hit.features["t_peak_s"] * dev.fs)]
