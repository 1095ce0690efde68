"""The simulator next to real recordings (independent witness); skips when ../shared is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from firmware_bridge import simulate

# ../shared beside the repository (this file sits two levels below the repo root).
SHARED = Path(__file__).resolve().parents[3] / "shared"


@pytest.fixture
def real_bursts() -> np.ndarray:
    """Biceps bursts from a biosignalsplux (1000 Hz, 16-bit), converted to µV."""
    path = SHARED / "data" / "real" / "opensignals_biosignalsplux" / "emg_bursts.h5"
    if not path.exists():
        pytest.skip(f"real recording not available: {path}")
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as f:
        group = f[next(iter(f.keys()))]
        raw = group["raw/channel_3"][:, 0].astype(np.float64)
    # PLUX EMG sensor: mV = (ADC / 2**16 - 0.5) * 3000 / 1000 (the data README).
    return (raw / 2**16 - 0.5) * 3.0 * 1000.0


def _active_spectrum_stats(x: np.ndarray, fs: float) -> tuple[float, float]:
    """Median frequency and RMS (µV) of the most active 30 % of a band-passed signal."""
    sos = signal.butter(4, [20, min(450, 0.45 * fs)], "bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x)
    env = np.sqrt(np.convolve(y**2, np.ones(int(0.25 * fs)) / int(0.25 * fs), "same"))
    act = env > np.percentile(env, 70)
    f, p = signal.welch(y[act], fs=fs, nperseg=256)
    band = (f >= 20) & (f <= 450)
    c = np.cumsum(p[band])
    return float(f[band][np.searchsorted(c, c[-1] / 2)]), float(y[act].std())


def test_simulated_voluntary_bursts_look_like_real_biceps_bursts(real_bursts):
    real_mdf, real_rms = _active_spectrum_stats(real_bursts, 1000.0)
    rec = simulate("gym_set", device="cyton_wifi_1000", duration_s=30, seed=1)
    ch = int(np.argmax(np.nanstd(rec.data, axis=0)))
    sim_mdf, sim_rms = _active_spectrum_stats(np.nan_to_num(rec.data[:, ch].astype(float)), rec.fs)
    # Same order of spectrum and amplitude; not a fit to this one file (README: do not overfit).
    assert sim_mdf == pytest.approx(real_mdf, rel=0.35)
    assert real_rms / 4 <= sim_rms <= real_rms * 4
