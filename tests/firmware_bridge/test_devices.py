"""Device models: sinc³ response, mains aliasing, quantisation, rails, packet loss."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge import DEVICES, F_INT, simulate
from firmware_bridge._devices import apply_linear, packet_loss


def _gain_db(device: str, f_hz: float) -> float:
    """Gain of the device's linear chain for a sine at f_hz (steady state, RMS ratio)."""
    dev = DEVICES[device]
    n_out = int(4 * dev.fs)
    t = np.arange(n_out * dev.step) / F_INT
    x = np.sin(2 * np.pi * f_hz * t)[:, None]
    y = apply_linear(dev, x, n_out)[int(dev.fs):, 0]
    return 20 * np.log10(np.sqrt(2) * y.std())


def test_cyton_sinc3_attenuation_at_100_hz_is_about_minus_7_db():
    # science.md §1.5: -7.3 dB at 100 Hz for the ADS1299 at 250 SPS [R50].
    assert _gain_db("cyton_250", 100.0) == pytest.approx(-7.3, abs=1.0)
    assert _gain_db("cyton_250", 10.0) == pytest.approx(0.0, abs=0.2)


def test_cyton_sinc3_minus_3_db_point_near_0_262_fs():
    f = np.arange(55.0, 75.0, 0.5)
    gains = np.array([_gain_db("cyton_250", v) for v in f])
    f3 = f[np.argmin(np.abs(gains + 3.0))]
    assert f3 == pytest.approx(0.262 * 250, abs=2.0)


def _mains_spectrum(write_scenario, mains_hz: float, device: str):
    path = write_scenario(
        f'[scenario]\nname = "mains"\nduration_s = 20.0\nseed = 5\nmains_hz = {mains_hz}\nmains_uv = 1000.0\n'
        "noise_uv = 0.01\n"
    )
    rec = simulate(path, device=device)
    x = rec.data[:, 0].astype(float)
    ok = np.isfinite(x)  # BLE boards lose packets: bridge the few NaN samples
    x = np.interp(np.arange(x.size), np.flatnonzero(ok), x[ok])
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(x.size)))
    f = np.fft.rfftfreq(x.size, 1 / rec.fs)
    return f, spec


def _peak_freqs(f, spec, rel_db=-80.0):
    """Narrow lines: local maxima within rel_db of the largest and 20 dB above the median within ±5 Hz."""
    top = spec.max()
    df = f[1] - f[0]
    half = int(5.0 / df)
    out = []
    for i in range(1, spec.size - 1):
        if spec[i] > spec[i - 1] and spec[i] >= spec[i + 1] and spec[i] > top * 10 ** (rel_db / 20):
            local = np.median(spec[max(0, i - half): i + half])
            if spec[i] > 10 * local:
                out.append(f[i])
    return np.array(out)


@pytest.mark.parametrize(
    ("mains_hz", "device", "expected", "check3"),
    [
        # science.md §1.6 alias table, harmonics 1-5.
        (60.0, "cyton_250", {60.0, 120.0, 70.0, 10.0, 50.0}, True),
        (50.0, "ganglion_200", {50.0, 100.0, 0.0}, False),
        # 180 Hz is 58 dB down after sinc3 at 200 SPS, so its 20 Hz alias may sit below the floor.
        (60.0, "ganglion_200", {60.0, 80.0, 20.0, 40.0, 100.0}, False),
    ],
)
def test_mains_harmonics_alias_to_the_predicted_lines(write_scenario, mains_hz, device, expected, check3):
    f, spec = _mains_spectrum(write_scenario, mains_hz, device)
    peaks = _peak_freqs(f, spec)
    assert f[np.argmax(spec)] == pytest.approx(mains_hz, abs=0.2)
    for p in peaks:
        if p < 5.0:  # a harmonic at a multiple of fs lands on DC, smeared by the 0.1 Hz drift and gaps
            continue
        assert any(abs(p - e) < 0.5 for e in expected), f"unexpected line at {p:.2f} Hz"
    # The aliases of the 3rd harmonic must be there (e.g. 180 Hz -> 70 Hz at 250 SPS).
    alias3 = abs(((3 * mains_hz + DEVICES[device].fs / 2) % DEVICES[device].fs) - DEVICES[device].fs / 2)
    if check3:
        assert min(abs(peaks - alias3)) < 0.5


def test_cyton_samples_are_whole_adc_counts():
    rec = simulate("noise_only", device="cyton_250", duration_s=2, seed=1)
    counts = rec.data.astype(np.float64) / 0.02235
    # float32 storage limits the check to a fraction of a count.
    assert np.max(np.abs(counts - np.round(counts))) < 0.05


def test_myo_is_int8_counts_and_clips_at_its_rails(write_scenario):
    path = write_scenario(
        '[scenario]\nname = "leadoff"\nduration_s = 10.0\nseed = 3\n\n[leadoff]\nrate_per_hour = 3000.0\n'
    )
    rec = simulate(path, device="myo_200")
    x = rec.data[np.isfinite(rec.data)]
    assert np.allclose(x / 15.0, np.round(x / 15.0))
    assert x.min() >= -128 * 15.0 and x.max() <= 127 * 15.0
    clip = [e for e in rec.truth if e.subtype == "clipping"]
    assert clip, "lead-off episodes must show as clipping at the Myo's rail"
    for e in clip:
        ch = rec.channels.index(e.channels[0])
        seg = rec.data[int(round(e.onset_s * rec.fs)): int(round(e.offset_s * rec.fs)), ch]
        assert np.nanmax(np.abs(seg)) >= 127 * 15.0


def test_packet_loss_is_bursty_and_marks_nan():
    dev = DEVICES["ganglion_200"]
    lost = packet_loss(dev, 200_000, np.random.default_rng(0))
    assert 0.002 < lost.mean() < 0.05
    edges = np.diff(np.concatenate([[0], lost.astype(int), [0]]))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    assert runs.mean() > dev.packet_samples  # bursts span several packets
    rec = simulate("rest_benign", device="ganglion_200", duration_s=60, seed=4)
    nan_rows = np.isnan(rec.data).all(axis=1)
    drop = [e for e in rec.truth if e.subtype == "dropout"]
    assert nan_rows.sum() == sum(int(e.features["n_samples"]) for e in drop) == rec.meta["lost_samples"]


@pytest.mark.parametrize("device", sorted(DEVICES))
def test_every_device_renders_its_channels_and_rate(device):
    dev = DEVICES[device]
    rec = simulate("exercise_cramp", device=device, duration_s=3, seed=1)
    assert rec.fs == dev.fs
    assert rec.data.shape == (int(3 * dev.fs), dev.n_channels)
    assert rec.data.dtype == np.float32
    if dev.envelope_lp_hz > 0:
        assert np.nanmin(rec.data) >= 0.0  # an envelope is never negative
