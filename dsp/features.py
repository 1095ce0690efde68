"""Burst features: what the classifier reads from ``Burst.features``.

All values are floats; NaN where a feature does not apply. Names and units:

``duration_s`` s; ``t_peak_s`` s (largest |filtered| sample, strongest
channel); ``fs`` Hz; ``peak_snr`` and ``rms_snr`` (peak |y| and RMS of y on
the strongest channel over the burst / noise RMS); ``noise_uv`` µV;
``n_channels``; ``xcorr`` (max |zero-lag normalised correlation| of the
strongest channel with the burst's other channels, 0 for one channel);
``phases`` and ``width_s`` (spikes: lobes >= 20 % of the peak with alternating
sign; time above 50 % of the peak |y|, s); ``zc_hz`` (zero crossings / 2 /
duration, Hz); ``lf_ratio`` (energy < 20 Hz / energy in the pass band of the
DC-removed raw signal over the burst, widened to at least 0.25 s so that
20 Hz is resolved); ``step_snr`` (largest sample-to-sample jump of the raw
signal / noise); sustained: ``rise_s``, ``fall_s``, ``env_cv``, ``wobble``,
``mean_snr`` from the 100 ms RMS envelope (block resolution); and
``prior_spike_rate`` (spikes per minute on the strongest channel in the 60 s
before the onset, over the part of those 60 s that was recorded).

Sample-level features of a burst longer than ``DetectorConfig.ring_s`` use its
last ``ring_s`` seconds; the envelope features use the whole burst up to
``DetectorConfig.history_s``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["FEATURE_NAMES", "burst_features", "lobe_count"]

FEATURE_NAMES: tuple[str, ...] = (
    "duration_s", "t_peak_s", "fs", "peak_snr", "rms_snr", "noise_uv", "n_channels", "xcorr",
    "phases", "width_s", "zc_hz", "lf_ratio", "step_snr",
    "rise_s", "fall_s", "env_cv", "wobble", "mean_snr", "prior_spike_rate",
    "near_sustained",
)

NAN = float("nan")


def lobe_count(x: np.ndarray, frac: float = 0.2) -> int:
    """Phases of a discharge: sign-runs whose peak is >= ``frac`` of the overall
    peak, counting adjacent kept runs of the same sign once."""
    x = np.asarray(x, dtype=np.float64)
    x = x[x != 0]
    if x.size == 0:
        return 0
    a = np.abs(x)
    peak = a.max()
    sign = x > 0
    starts = np.concatenate(([0], np.flatnonzero(sign[1:] != sign[:-1]) + 1))
    run_peak = np.maximum.reduceat(a, starts)
    kept = sign[starts][run_peak >= frac * peak]
    # adjacent kept runs of the same sign are one phase
    return int(1 + np.count_nonzero(kept[1:] != kept[:-1])) if kept.size else 0


def _lf_ratio(raw: np.ndarray, fs: float, low_hz: float, high_hz: float) -> float:
    if raw.size < 4:
        return NAN
    x = raw - raw.mean()
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / fs)
    lf = spec[(freqs > 0) & (freqs < low_hz)].sum()
    band = spec[(freqs >= low_hz) & (freqs <= high_hz)].sum()
    if band <= 0:
        return math.inf if lf > 0 else NAN
    return float(lf / band)


def burst_features(
    *,
    kind: str,
    onset: int,
    offset: int,
    members: Sequence[int],
    strongest: int,
    y: np.ndarray,
    y_start: int,
    raw_wide: np.ndarray,
    blk_ms: np.ndarray,
    noise_uv: float,
    others: Sequence[int],
    fs: float,
    t0: float,
    block_n: int,
    band: tuple[float, float],
    prior_rate: float,
) -> dict[str, float]:
    """Compute the features of one burst.

    Parameters
    ----------
    kind : str
        "spike", "sustained" or "artifact".
    onset, offset : int
        Absolute sample indices (offset exclusive).
    members : sequence of int
        Column indices (in ``y``) of the burst's channels.
    strongest : int
        Column of the strongest channel.
    y : ndarray, shape (n, n_channels), µV
        Filtered samples from ``y_start`` up to ``offset``.
    raw_wide : ndarray, shape (m,), µV
        Raw samples of the strongest channel over the burst widened to >= 0.25 s.
    blk_ms : ndarray, shape (n_blocks,), µV²
        Block mean squares of the strongest channel over the burst.
    noise_uv : float
        Noise floor of the strongest channel at the onset, µV.
    others : sequence of int
        Member columns other than ``strongest``.
    fs, t0 : float
        Rate (Hz) and time origin (s).
    block_n : int
        Samples per block.
    band : (float, float)
        Pass band, Hz.
    prior_rate : float
        Spikes per minute before the onset on the strongest channel.
    """
    f = dict.fromkeys(FEATURE_NAMES, NAN)
    nz = max(noise_uv, 1e-12)
    ys = y[:, strongest].astype(np.float64)
    f["duration_s"] = (offset - onset) / fs
    f["fs"] = float(fs)
    f["noise_uv"] = float(noise_uv)
    f["n_channels"] = float(len(members))
    f["prior_spike_rate"] = prior_rate
    if ys.size:
        a = np.abs(ys)
        ipk = int(np.argmax(a))
        peak = float(a[ipk])
        f["t_peak_s"] = t0 + (y_start + ipk) / fs
        f["peak_snr"] = peak / nz
        f["rms_snr"] = float(np.sqrt(np.mean(ys * ys))) / nz
        signs = np.signbit(ys[ys != 0])
        f["zc_hz"] = float(np.count_nonzero(signs[1:] != signs[:-1])) / 2.0 / max(ys.size / fs, 1.0 / fs)
        best = 0.0
        ss = float(np.sum(ys * ys))
        for o in others:
            yo = y[:, o].astype(np.float64)
            den = math.sqrt(ss * float(np.sum(yo * yo)))
            if den > 0:
                best = max(best, abs(float(np.sum(ys * yo))) / den)
        f["xcorr"] = best
        if kind == "spike":
            f["phases"] = float(lobe_count(ys))
            f["width_s"] = float(np.count_nonzero(a >= 0.5 * peak)) / fs
    finite_raw = raw_wide[np.isfinite(raw_wide)]
    if finite_raw.size >= 2:
        f["lf_ratio"] = _lf_ratio(finite_raw, fs, band[0], band[1])
    raw_in = raw_wide[np.isfinite(raw_wide)]
    if raw_in.size >= 2:
        f["step_snr"] = float(np.max(np.abs(np.diff(raw_in)))) / nz
    if kind == "sustained" and blk_ms.size:
        _envelope_features(f, blk_ms, fs, block_n, nz, onset, offset)
    return f


def _envelope_features(f: dict, blk_ms: np.ndarray, fs: float, block_n: int, nz: float, onset: int, offset: int) -> None:
    block_s = block_n / fs
    n100 = max(1, round(0.1 / block_s))
    ms = np.asarray(blk_ms, dtype=np.float64)
    if ms.size >= n100:
        env = np.sqrt(np.convolve(ms, np.ones(n100) / n100, mode="valid"))
    else:
        env = np.sqrt(np.array([ms.mean()]))
    t_end = (np.arange(env.size) + min(n100, ms.size)) * block_s  # end time of each window after onset
    p90 = np.percentile(env, 90)
    above = np.flatnonzero(env >= 0.8 * p90)
    dur = (offset - onset) / fs
    if above.size:
        f["rise_s"] = float(min(t_end[above[0]], dur))
        f["fall_s"] = float(max(dur - t_end[above[-1]], 0.0))
    mean = float(env.mean())
    f["env_cv"] = float(env.std() / mean) if mean > 0 else NAN
    f["mean_snr"] = mean / nz
    if dur >= 2.0 and env.size >= 8:
        e = env - mean
        spec = np.abs(np.fft.rfft(e)) ** 2
        freqs = np.fft.rfftfreq(e.size, block_s)
        total = spec[1:].sum()
        f["wobble"] = float(spec[(freqs >= 0.5) & (freqs <= 3.0)].sum() / total) if total > 0 else 0.0
