"""Noise and artefact generators at the electrode (science.md §3.3).

Every generator adds its component to a ``Track`` (rendered later, block by
block, at ``F_INT`` in µV) and returns the ground truth of the events it made as
``Pending`` records (their amplitudes after the device are filled in later).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from firmware_bridge._devices import F_INT
from firmware_bridge._track import Track, _MainsLayer, _NoiseLayer

# Paul Kellet's / J. O. Smith's 3-pole approximation of a 1/f ("pink") filter.
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


@dataclass
class Pending:
    """Ground truth of one event before the device model is applied.

    ``track`` names the component the event lives in, so its amplitude after the
    device can be read from that component alone. ``channels`` are candidate
    channel indices (the simulator keeps those above the noise). ``spike`` is
    ``(layer, index)`` of a single discharge in its track (``Track.spike_alone``),
    for events that must be measured apart from the others sharing the track.
    """

    trial_type: str
    subtype: str
    onset_s: float
    offset_s: float
    track: str
    t_peak_s: float | None = None
    channels: tuple[int, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    spike: tuple[int, int] | None = None


def _band_power_per_unit_variance(b: np.ndarray, a: np.ndarray, lo: float = 20.0, hi: float = 450.0) -> float:
    """Power in [lo, hi] Hz of unit-variance white noise through b/a, sampled at ``F_INT``."""
    f = np.linspace(lo, hi, 512)
    _, h = signal.freqz(b, a, worN=f, fs=F_INT)
    return float(np.trapezoid(np.abs(h) ** 2, f) * 2.0 / F_INT)


def add_noise(track: Track, band_rms_uv: np.ndarray, rng: np.random.Generator) -> None:
    """White + 1/f electrode noise with the given RMS in 20-450 Hz per channel (§3.3, §1.5).

    The 1/f part equals 4x the white power at 20 Hz ([A]: a corner near 80 Hz), and each
    channel's level wanders ±30 % over minutes (§3.3 "slowly varying ±30 %").
    """
    h20 = np.abs(signal.freqz(_PINK_B, _PINK_A, worN=[20.0], fs=F_INT)[1][0])
    c_pink = 2.0 / h20
    white_band = 430.0 * 2.0 / F_INT
    pink_band = c_pink**2 * _band_power_per_unit_variance(_PINK_B, _PINK_A)
    unit_rms = np.sqrt(white_band + pink_band)
    track.add_layer(_NoiseLayer(np.asarray(band_rms_uv) / unit_rms, c_pink, _PINK_B, _PINK_A, rng))


def add_mains(track: Track, mains_hz: float, amp_uv: float, rng: np.random.Generator) -> None:
    """Powerline at ``mains_hz`` with harmonics 2-5 at -10 to -30 dB and a 0.1 Hz amplitude drift (§3.3).

    Added before the device model, so the device's sampling aliases the
    harmonics exactly as on the board (§1.6).
    """
    if amp_uv <= 0:
        return
    gains = rng.uniform(0.5, 1.0, track.n_channels)  # bipolar pairs pick up different fractions of the common mode
    levels = [1.0] + [10 ** (-rng.uniform(10, 30) / 20) for _ in range(4)]
    phases = rng.uniform(0, 2 * np.pi, 5)
    track.add_layer(_MainsLayer(mains_hz, amp_uv, levels, phases, rng.uniform(0, 2 * np.pi), gains))


def add_motion(track: Track, times_s: list[float], amp_uv: tuple[float, float],
               rng: np.random.Generator) -> list[Pending]:
    """Low-frequency motion artefacts at the given times (§1.6, §3.3).

    Half are band-limited bumps (Gaussian, 50-500 ms wide), half damped
    oscillations (2-15 Hz, decay 50-500 ms). Each reaches 1 to all channels,
    with gains 0.5-1 and small per-channel lags so the correlation is 0.5-1.
    """
    n, n_ch = track.shape
    events = []
    for t0 in times_s:
        amp = float(np.exp(rng.uniform(np.log(amp_uv[0]), np.log(amp_uv[1]))))
        if rng.random() < 0.5:
            width = rng.uniform(0.05, 0.5)
            length = 4.0 * width
            tt = np.arange(int(length * F_INT)) / F_INT
            base = np.exp(-0.5 * ((tt - 2 * width) / (width / 2.5)) ** 2)
        else:
            tau = rng.uniform(0.05, 0.5)
            length = 4.0 * tau
            tt = np.arange(int(length * F_INT)) / F_INT
            base = np.sin(2 * np.pi * rng.uniform(2, 15) * tt) * np.exp(-tt / tau)
        base *= amp / np.abs(base).max() * (1 if rng.random() < 0.5 else -1)
        n_hit = int(rng.integers(1, n_ch + 1))
        hit = np.sort(rng.choice(n_ch, n_hit, replace=False))
        i0 = int(t0 * F_INT)
        for ch in hit:
            lag = int(rng.uniform(0, 0.02) * F_INT)
            gains = np.zeros(n_ch)
            gains[ch] = rng.uniform(0.5, 1.0)
            if i0 + lag < n:
                track.add_wave(i0 + lag, base[: n - i0 - lag], gains)
        if i0 < n:
            events.append(Pending("artifact", "motion", t0, min(t0 + length + 0.02, n / F_INT), "artifact",
                                  channels=tuple(int(c) for c in hit)))
    return events


def add_pops(track: Track, rate_per_hour: float, rng: np.random.Generator) -> list[Pending]:
    """Electrode pops: one channel, a 0.1-10 mV step then exponential return, τ 50-2000 ms (§3.3, [R60, R61])."""
    n, n_ch = track.shape
    duration = n / F_INT
    events = []
    for ch in range(n_ch):
        k = rng.poisson(rate_per_hour * duration / 3600.0)
        for t0 in np.sort(rng.uniform(0, duration, k)):
            step = float(np.exp(rng.uniform(np.log(100.0), np.log(10000.0)))) * (1 if rng.random() < 0.5 else -1)
            tau = float(rng.uniform(0.05, 2.0))
            i0 = int(t0 * F_INT)
            i1 = min(n, i0 + int(8 * tau * F_INT))
            tt = np.arange(i1 - i0) / F_INT
            wave = step * np.exp(-tt / tau)
            if rng.random() < 0.5:  # a short spike riding on the step
                width = rng.uniform(0.001, 0.005)
                wave += 0.5 * step * np.exp(-0.5 * ((tt - width) / (width / 3)) ** 2)
            gains = np.zeros(n_ch)
            gains[ch] = 1.0
            track.add_wave(i0, wave, gains)
            # Extent: until the step has decayed to 5 % (3 τ).
            events.append(Pending("artifact", "pop", t0, min(t0 + 3 * tau, duration), "artifact", t_peak_s=t0,
                                  channels=(ch,), features={"step_uv": step, "tau_s": tau}))
    return events


def ecg_template(t_s: np.ndarray) -> np.ndarray:
    """P-QRS-T as a sum of Gaussians, R peak = 1 at t = 0 ([A]; QRS ~ 100 ms, energy 5-30 Hz, §1.6 [R62])."""
    parts = ((0.10, -0.160, 0.025), (-0.15, -0.025, 0.008), (1.0, 0.0, 0.010), (-0.30, 0.025, 0.008),
             (0.25, 0.250, 0.040))
    out = np.zeros_like(t_s)
    for amp, mu, sd in parts:
        out += amp * np.exp(-0.5 * ((t_s - mu) / sd) ** 2)
    return out


def add_ecg(track: Track, hr_bpm: float, sdnn_ms: float, amp_uv: float,
            rng: np.random.Generator) -> list[Pending]:
    """ECG beats at ``hr_bpm`` with RR jitter ``sdnn_ms``, same shape on every channel (gains 0.3-1, §3.3)."""
    n, n_ch = track.shape
    duration = n / F_INT
    rr = 60.0 / hr_bpm
    gains = rng.uniform(0.3, 1.0, n_ch)
    tt = np.arange(-int(0.3 * F_INT), int(0.45 * F_INT)) / F_INT
    beat = ecg_template(tt) * amp_uv
    events = []
    t = rng.uniform(0.2, rr)
    while t < duration:
        i0 = int(round(t * F_INT)) + int(round(tt[0] * F_INT))
        j0, j1 = max(i0, 0), min(i0 + beat.size, n)
        if j1 > j0:
            track.add_wave(j0, beat[j0 - i0: j1 - i0], gains)
        if 0.05 <= t <= duration - 0.05:
            events.append(Pending("artifact", "ecg", t - 0.05, t + 0.05, "ecg", t_peak_s=t,
                                  channels=tuple(range(n_ch))))
        t += max(0.3, rng.normal(rr, sdnn_ms / 1000.0))
    return events


def leadoff_episodes(duration_s: float, rate_per_hour: float, n_ch: int,
                     rng: np.random.Generator) -> list[tuple[int, float, float]]:
    """Forced clipping episodes (lead-off, 0.1-5 s) as (channel, start s, end s) (§3.3)."""
    out = []
    for ch in range(n_ch):
        k = rng.poisson(rate_per_hour * duration_s / 3600.0)
        for t0 in np.sort(rng.uniform(0, duration_s, k)):
            out.append((ch, float(t0), float(min(duration_s, t0 + rng.uniform(0.1, 5.0)))))
    return out
