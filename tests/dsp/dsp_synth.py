"""Small synthetic signals for the dsp tests (the simulator is tested elsewhere)."""

from __future__ import annotations

import numpy as np


def hr1(fs: float, lam_s: float = 0.0025, peak_uv: float = 1.0) -> np.ndarray:
    """Hermite-Rodriguez biphasic MUAP (science.md 1.4), sampled at ``fs``, peak ``peak_uv``."""
    t = np.arange(-4 * lam_s, 4 * lam_s, 1.0 / fs)
    w = (t / lam_s) * np.exp(-((t / lam_s) ** 2))
    return (peak_uv * w / np.abs(w).max()).astype(np.float32)


def noise(n: int, n_ch: int, sigma: float = 5.0, seed: int = 0, dc: float | None = 200.0) -> np.ndarray:
    """Gaussian noise (µV) plus a different DC offset per channel."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, sigma, (n, n_ch))
    if dc is not None:
        x += dc * np.arange(1, n_ch + 1)
    return x.astype(np.float32)


def add_spike(x: np.ndarray, fs: float, t_s: float, ch: int, peak_uv: float, lam_s: float = 0.0025) -> float:
    """Add an HR1 spike starting at ``t_s``; return the time of its centre, s."""
    s = hr1(fs, lam_s, peak_uv)
    k = round(t_s * fs)
    x[k : k + s.size, ch] += s
    return (k + s.size / 2) / fs


def add_sustained(x: np.ndarray, fs: float, t0_s: float, t1_s: float, ch: int, rms_uv: float, seed: int = 1) -> None:
    """Add band-limited Gaussian 'interference pattern' activity between t0 and t1."""
    rng = np.random.default_rng(seed)
    a, b = round(t0_s * fs), round(t1_s * fs)
    x[a:b, ch] += rng.normal(0.0, rms_uv, b - a).astype(np.float32)


def burst_key(b) -> tuple:
    """A comparable, NaN-safe fingerprint of a Burst (features and parts included)."""
    feats = tuple(sorted((k, "nan" if np.isnan(v) else round(float(v), 9)) for k, v in b.features.items()))
    parts = tuple(burst_key(p) for p in b.parts)
    return (b.kind, b.artifact, b.channels, round(b.onset_s, 9), round(b.offset_s, 9), round(b.peak_uv, 6), feats,
            parts)
