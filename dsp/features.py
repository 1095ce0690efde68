"""Burst features: what the classifier reads from ``Burst.features``.

All values are floats; NaN where a feature does not apply. Names and units:

``duration_s`` s; ``t_peak_s`` s (largest |filtered| sample, strongest
channel, moved back by the band-pass's delay ``Pipeline.delay_n`` like the
burst's onset and offset); ``fs`` Hz; ``peak_snr`` and ``rms_snr`` (peak |y| and RMS of y on
the strongest channel over the burst / noise RMS); ``noise_uv`` µV;
``n_channels``; ``xcorr`` (max |zero-lag normalised correlation| of the
strongest channel with the burst's other channels, 0 for one channel);
``phases`` and ``width_s`` (spikes: lobes >= 20 % of the peak with alternating
sign; time above 50 % of the peak |y|, s); ``zc_hz`` (zero crossings / 2 /
duration, Hz); ``lf_ratio`` (energy < 20 Hz / energy in the pass band of the
DC-removed raw signal over the burst, widened to at least 0.25 s so that
20 Hz is resolved; beyond 2 s, its last m samples with m a fast FFT length,
at most ~2 % fewer); ``step_snr`` (largest sample-to-sample jump of the raw
signal / noise); ``net_ratio`` (|net area| / total area of the raw deflection
from ``NET_BEFORE_S`` before to ``NET_AFTER_S`` after the peak, against the
median level over ``NET_LEVEL_S`` before it: near 0 for a discharge, whose
phases cancel, near 1 for a one-sided jump and decay; NaN where those samples
were not read or are not finite); ``swing_ratio`` (the largest excursion
against the sign of the raw peak within ``SWING_S`` of it, over the peak,
both against that baseline; the raw peak is the largest raw deflection within
``SWING_PEAK_S`` of the filtered one: 0.2-1 for a discharge, which swings
both ways, near 0 for a one-sided jump; NaN as for ``net_ratio``); sustained: ``rise_s``, ``fall_s``,
``env_cv``, ``wobble``, ``mean_snr`` from the 100 ms RMS envelope (block
resolution), and ``mpf_hz`` (mean power frequency: the spectral centroid of
the strongest channel's filtered signal within the pass band, Hz, over at
most the burst's last ``DetectorConfig.ring_s``; signal and noise together);
and ``prior_spike_rate`` (spikes per minute on the strongest channel in the
60 s before the onset, over the part of those 60 s that was recorded);
``start_s`` s (onset in the filtered signal, counted from the stream's
first sample, without the delay correction); ``delay_s`` s (how far the
burst's times were moved back for the band-pass's delay: a filter's
response to a step in the data starts where the step is, so it is
``delay_s`` before the step in these times; 0 for artefact flags, which
come from the raw samples); ``noise_rise``
(noise floor at the onset / the lowest floor of the strongest channel in the
preceding ``_floor.LOOKBACK_S`` s, in whole seconds; NaN in the first second).
Spikes also carry ``near_sustained`` (1.0 when >= ``context_sustained_s`` of
sustained activity ran on any channel within ``context_edge_s``),
``sustained_here`` (1.0 when such a run was on one of the spike's own
channels) and ``background_snr`` (median block RMS over the 0.15 s before and the 0.15 s
after the spike, over the noise floor at its onset; the largest over its
channels; ~1 on a quiet channel). Dropout artefacts also carry ``bridged``:
1.0 when the filters carried on through every lost run of it
(``DetectorConfig.dropout_hold_s``), else 0.0.

Sample-level features of a burst longer than ``DetectorConfig.ring_s`` use its
last ``ring_s`` seconds; the envelope features use the whole burst up to
``DetectorConfig.history_s``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numba
import numpy as np
from scipy import fft as sfft

__all__ = ["FEATURE_NAMES", "burst_features", "deflection_shape", "lobe_count"]

FEATURE_NAMES: tuple[str, ...] = (
    "duration_s", "t_peak_s", "fs", "peak_snr", "rms_snr", "noise_uv", "n_channels", "xcorr",
    "phases", "width_s", "zc_hz", "lf_ratio", "step_snr",
    "rise_s", "fall_s", "env_cv", "wobble", "mean_snr", "prior_spike_rate",
    "near_sustained", "start_s", "noise_rise", "delay_s", "net_ratio",
    "swing_ratio", "mpf_hz",
)

#: Window of ``net_ratio`` around the peak, s: a surface MUAP lasts 10-25 ms
#: (science.md 1.1) with its largest phase near the middle, so this holds its
#: main phases both ways.
NET_BEFORE_S = 0.006
NET_AFTER_S = 0.012
#: ... and the span whose median level is the baseline: (from, to) s before the peak.
NET_LEVEL_S = (0.06, 0.01)
#: ``swing_ratio``: how far from the filtered peak its raw peak may lie (the
#: band-pass moves and reshapes the extremum), and the half-width of the
#: window for the opposite phase around it, s. Together they reach
#: ``NET_AFTER_S`` after the peak, so both features read the same samples.
SWING_PEAK_S = 0.004
SWING_S = 0.008

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


# Slots of ``_sample_stats``' result.
_S_IPK, _S_PEAK, _S_SS, _S_ZC, _S_XCORR, _S_PHASES, _S_WIDTH = 0, 1, 2, 3, 4, 5, 6


@numba.njit(cache=True, nogil=True)
def _sample_stats(y, s, others, spike):  # pragma: no cover - compiled
    # One pass per quantity over the strongest channel (float64 sums), instead
    # of a dozen small numpy calls per burst (hundreds of twitches a minute).
    # Reference: dsp._reference.burst_features_reference.
    n = y.shape[0]
    out = np.zeros(7)
    ipk = 0
    peak = -1.0
    ss = 0.0
    for i in range(n):
        v = np.float64(y[i, s])
        a = abs(v)
        if a > peak:
            peak = a
            ipk = i
        ss += v * v
    out[_S_IPK] = ipk
    out[_S_PEAK] = peak
    out[_S_SS] = ss
    # zero crossings: sign changes between successive non-zero samples
    zc = 0
    prev = 0
    for i in range(n):
        v = y[i, s]
        if v != 0:
            sg = 1 if v > 0 else -1
            if prev != 0 and sg != prev:
                zc += 1
            prev = sg
    out[_S_ZC] = zc
    best = 0.0
    for o in others:
        so = 0.0
        sx = 0.0
        for i in range(n):
            v = np.float64(y[i, s])
            w = np.float64(y[i, o])
            so += w * w
            sx += v * w
        den = np.sqrt(ss * so)
        if den > 0:
            best = max(best, abs(sx) / den)
    out[_S_XCORR] = best
    if spike:
        # phases: sign runs of the non-zero samples whose peak reaches 20 %
        # of the overall peak; adjacent kept runs of one sign are one phase
        lim = 0.2 * peak
        phases = 0
        kept_sign = 0
        run_sign = 0
        run_peak = 0.0
        for i in range(n + 1):
            if i < n:
                v = np.float64(y[i, s])
                if v == 0:
                    continue
                sg = 1 if v > 0 else -1
            else:
                sg = 0  # flush the last run
            if sg != run_sign:
                if run_sign != 0 and run_peak >= lim and run_sign != kept_sign:
                    phases += 1
                    kept_sign = run_sign
                run_sign = sg
                run_peak = 0.0
            if i < n:
                run_peak = max(run_peak, abs(np.float64(y[i, s])))
        out[_S_PHASES] = phases
        half = 0.5 * peak
        width = 0
        for i in range(n):
            if abs(np.float64(y[i, s])) >= half:
                width += 1
        out[_S_WIDTH] = width
    return out


@numba.njit(cache=True, nogil=True)
def member_stats(y, cols):  # pragma: no cover - compiled
    """Peak |y| and mean square of columns ``cols`` of ``y`` (one pass over
    the rows; a burst's members were one strided numpy pass each)."""
    k = cols.shape[0]
    amax = np.zeros(k)
    ss = np.zeros(k)
    for i in range(y.shape[0]):
        for j in range(k):
            v = np.float64(y[i, cols[j]])
            amax[j] = max(amax[j], abs(v))
            ss[j] += v * v
    return amax, ss / max(y.shape[0], 1)


@numba.njit(cache=True, nogil=True)
def _max_step(x):  # pragma: no cover - compiled
    best = 0.0
    for i in range(1, x.shape[0]):
        best = max(best, abs(x[i] - x[i - 1]))
    return best


def _lf_ratio(raw: np.ndarray, fs: float, low_hz: float, high_hz: float) -> float:
    """Energy below ``low_hz`` / energy in ``[low_hz, high_hz]`` of the
    mean-removed ``raw`` (periodogram bins, DC excluded); NaN for < 4 samples.

    The few bins outside the band are summed directly (``_lf_bins``) and the
    band energy is the rest of the total by Parseval's theorem, the same sums
    the FFT gives up to rounding (~1e-12 relative), at a fraction of the cost
    for the short windows of spikes. Long windows, with many bins outside the
    band, use an FFT (``_reference.lf_ratio_reference`` is the numpy version);
    windows longer than ``LONG_WINDOW_S`` use their last m samples, m the
    longest length <= n with no prime factor above 5.
    """
    if raw.size < 4:
        return NAN
    n = raw.size
    if n > LONG_WINDOW_S * fs:
        # its last m samples, m <= n a length the FFT does fast (at most ~2 %
        # fewer): a length with a large prime factor took 5-9x longer
        n = _fast_len_at_most(n)
        raw = raw[raw.size - n :]
    n_out = _n_outside_bins(n, fs, low_hz, high_hz)
    if n_out * n > _DIRECT_DFT_MAX:
        x = raw - raw.mean()
        spec = np.abs(sfft.rfft(x)) ** 2  # scipy's FFT: ~2x numpy's on prime lengths
        freqs = sfft.rfftfreq(x.size, 1.0 / fs)
        lf = spec[(freqs > 0) & (freqs < low_hz)].sum()
        return _ratio(lf, spec[(freqs >= low_hz) & (freqs <= high_hz)].sum())
    cos_t, sin_t = _twiddles(n)
    lf, band = _lf_bins(np.ascontiguousarray(raw, dtype=np.float64), cos_t, sin_t, float(fs), float(low_hz),
                        float(high_hz))
    return _ratio(lf, band)


@lru_cache(maxsize=256)
def _fast_len_at_most(n: int) -> int:
    """The largest m <= n whose only prime factors are 2, 3 and 5."""
    return int(sfft.prev_fast_len(n, real=True))


#: Windows longer than this (s) are cut to a fast FFT length.
LONG_WINDOW_S = 2.0

#: Above this many multiply-adds (bins outside the band x samples) the direct
#: sums cost more than an FFT (~0.1 ms): windows longer than about 1 s at 1 kHz.
_DIRECT_DFT_MAX = 60_000


@lru_cache(maxsize=64)
def _twiddles(n: int) -> tuple[np.ndarray, np.ndarray]:
    # cos and sin of 2*pi*j/n, j < n (spike windows have a handful of lengths)
    ang = 2.0 * np.pi * np.arange(n) / n
    return np.cos(ang), np.sin(ang)


def _n_outside_bins(n: int, fs: float, low_hz: float, high_hz: float) -> int:
    d = n * (1.0 / fs)  # numpy.fft.rfftfreq's bin k is at k / d
    n_low = max(0, math.ceil(low_hz * d) - 1)
    n_high = max(0, n // 2 - math.floor(high_hz * d))
    return n_low + n_high


def _ratio(lf: float, band: float) -> float:
    if band <= 0:
        return math.inf if lf > 0 else NAN
    return float(lf / band)


@numba.njit(cache=True, nogil=True)
def _lf_bins(raw, cos_t, sin_t, fs, low_hz, high_hz):  # pragma: no cover - compiled
    # Periodogram |rfft(x)|^2 of the mean-removed signal: bins 0 < f < low
    # summed directly, the band [low, high] as the one-sided total (Parseval)
    # minus DC, the low bins and the bins above high. Twiddles are indexed by
    # (k * j) mod n (tables cos_t, sin_t) so every angle is exact to one rounding.
    n = raw.shape[0]
    mean = 0.0
    for j in range(n):
        mean += raw[j]
    mean /= n
    x = np.empty(n)
    for j in range(n):
        x[j] = raw[j] - mean
    val = 1.0 / (n * (1.0 / fs))  # numpy.fft.rfftfreq's spacing, so bins fall on the same side of a corner
    half = n // 2
    total = 0.0
    for j in range(n):
        total += x[j] * x[j]
    dc = 0.0
    for j in range(n):
        dc += x[j]
    nyq = 0.0
    if n % 2 == 0:
        for j in range(n):
            nyq += x[j] if j % 2 == 0 else -x[j]
    # one-sided sum of |X_k|^2, k = 0..n//2: (n * sum x^2 + |X_0|^2 + |X_n/2|^2) / 2
    onesided = (n * total + dc * dc + nyq * nyq) / 2.0
    lf = 0.0
    out = dc * dc
    n_band = 0
    for k in range(1, half + 1):
        f = k * val
        if low_hz <= f <= high_hz:
            n_band += 1
            continue
        re = 0.0
        im = 0.0
        idx = 0
        for j in range(n):
            re += x[j] * cos_t[idx]
            im += x[j] * sin_t[idx]
            idx += k
            if idx >= n:
                idx -= n
        p = re * re + im * im
        out += p
        if f < low_hz:
            lf += p
    if n_band == 0:
        return lf, 0.0  # no bin in the band (very short window): as the FFT sums give
    return lf, max(onesided - out, 0.0)


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
    floor_uv: float = NAN,
    delay_s: float = 0.0,
    raw_net: np.ndarray | None = None,
    raw_net_start: int = 0,
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
    floor_uv : float
        Lowest noise floor of the strongest channel in the minutes before the
        onset (``dsp._floor``), µV; NaN when not known.
    delay_s : float
        How far the burst's times are moved back for the band-pass's delay,
        s (``Pipeline.delay_n``); 0 for artefact flags.
    raw_net : ndarray, shape (k,), µV, optional
        Raw samples of the strongest channel from ``raw_net_start`` (absolute
        index), reaching ``NET_LEVEL_S[0]`` before the burst: for ``net_ratio``
        and ``swing_ratio``.
    """
    f = dict.fromkeys(FEATURE_NAMES, NAN)
    nz = max(noise_uv, 1e-12)
    f["duration_s"] = (offset - onset) / fs
    f["fs"] = float(fs)
    f["noise_uv"] = float(noise_uv)
    f["n_channels"] = float(len(members))
    f["prior_spike_rate"] = prior_rate
    f["start_s"] = onset / fs
    f["delay_s"] = float(delay_s)
    f["noise_rise"] = noise_uv / floor_uv if floor_uv > 0 else NAN
    if y.shape[0]:
        st = _sample_stats(
            np.ascontiguousarray(y, dtype=np.float32), int(strongest), np.asarray(others, dtype=np.int64),
            kind == "spike",
        )
        ipk = int(st[_S_IPK])
        n = y.shape[0]
        f["t_peak_s"] = t0 + (y_start + ipk) / fs - delay_s
        f["peak_snr"] = st[_S_PEAK] / nz
        f["rms_snr"] = math.sqrt(st[_S_SS] / n) / nz
        f["zc_hz"] = st[_S_ZC] / 2.0 / max(n / fs, 1.0 / fs)
        f["xcorr"] = float(st[_S_XCORR])
        if kind == "spike":
            f["phases"] = float(st[_S_PHASES])
            f["width_s"] = st[_S_WIDTH] / fs
        if raw_net is not None:
            # the peak on the recording's clock, as an index into raw_net
            at = y_start + ipk - round(delay_s * fs) - raw_net_start
            f["net_ratio"], f["swing_ratio"] = deflection_shape(raw_net, at, fs)
    raw_in = raw_wide[np.isfinite(raw_wide)]
    if raw_in.size >= 2:
        f["lf_ratio"] = _lf_ratio(raw_in, fs, band[0], band[1])
        f["step_snr"] = _max_step(np.ascontiguousarray(raw_in, dtype=np.float64)) / nz
    if kind == "sustained" and blk_ms.size:
        _envelope_features(f, blk_ms, fs, block_n, nz, onset, offset)
    if kind == "sustained" and y.shape[0]:
        f["mpf_hz"] = mean_power_frequency(y[max(onset - y_start, 0):, strongest], fs, band)
    return f


def mean_power_frequency(y: np.ndarray, fs: float, band: tuple[float, float]) -> float:
    """Spectral centroid of ``y`` (µV, one channel) within ``band`` (Hz), Hz.

    The periodogram's power-weighted mean frequency over the bins in the band
    (the "MPF" of the EMG literature, science.md 1.7: a cramp's shorter
    potentials lift it). A window with no prime factor above 5 (at most ~2 %
    of the samples left out) keeps a 5-minute cramp at 1 kHz to a few ms.
    NaN for fewer than 8 samples or no power in the band.
    """
    if y.shape[0] < 8:
        return NAN
    n = _fast_len_at_most(y.shape[0])
    x = np.asarray(y[y.shape[0] - n :], dtype=np.float64)
    x = x - x.mean()
    power = np.abs(sfft.rfft(x)) ** 2
    freqs = sfft.rfftfreq(n, 1.0 / fs)
    inside = (freqs >= band[0]) & (freqs <= band[1])
    total = float(power[inside].sum())
    if not total > 0:
        return NAN
    return float((freqs[inside] * power[inside]).sum() / total)


def deflection_shape(raw: np.ndarray, at: int, fs: float) -> tuple[float, float]:
    """``(net_ratio, swing_ratio)`` of ``raw`` around index ``at`` (see the
    module docstring); NaN where the windows or the baseline fall outside
    ``raw`` or hold a non-finite sample.

    A surface discharge swings both ways: its phases nearly cancel and it has
    an opposite phase near its peak, which a board's filters keep. An
    electrode pop through a board's high-pass (BioAmp: 72 Hz) is a jump that
    decays on one side within milliseconds.
    """
    a = at - max(1, round(NET_BEFORE_S * fs))
    b = at + max(2, round(NET_AFTER_S * fs)) + 1
    p0, p1 = at - round(NET_LEVEL_S[0] * fs), at - round(NET_LEVEL_S[1] * fs)
    if p0 < 0 or b > raw.shape[0] or p1 <= p0:
        return NAN, NAN
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    # The baseline's median by numpy's partition, not numba's median (whose
    # compile cost ~1.4 s on a first run) nor np.median (~12 us a call).
    n, k = p1 - p0, (p1 - p0) // 2
    part = np.partition(raw[p0:p1], (k - 1, k) if n % 2 == 0 else k)
    level = float(part[k]) if n % 2 else 0.5 * float(part[k - 1] + part[k])
    r, m = round(SWING_PEAK_S * fs), round(SWING_S * fs)
    return _shape_kernel(raw, a, b, p0, p1, level, at, r, m)


@numba.njit(cache=True, nogil=True)
def _shape_kernel(raw, a, b, p0, p1, level, at, r, m):  # pragma: no cover - compiled
    # Once per burst (thousands a minute on a busy recording): the all-numpy
    # version of the net sums cost ~27 us, a quarter of a twitch's whole
    # share of the chain.
    for i in range(p0, p1):
        if not np.isfinite(raw[i]):
            return np.nan, np.nan
    net = 0.0
    total = 0.0
    for i in range(a, b):
        if not np.isfinite(raw[i]):
            return np.nan, np.nan
        d = raw[i] - level
        net += d
        total += abs(d)
    ratio = abs(net) / total if total > 0 else np.nan
    k = at
    for i in range(at - r, at + r + 1):
        if abs(raw[i] - level) > abs(raw[k] - level):
            k = i
    lo, hi = k - m, k + m + 1
    peak = raw[k] - level
    if lo < 0 or hi > raw.shape[0] or peak == 0.0:
        return ratio, np.nan
    sign = 1.0 if peak > 0 else -1.0
    opposite = 0.0
    for i in range(lo, hi):
        d = -sign * (raw[i] - level)
        if not np.isfinite(d):
            return ratio, np.nan
        opposite = max(opposite, d)
    return ratio, opposite / abs(peak)


def _p90(a: np.ndarray) -> float:
    """``np.percentile(a, 90)`` (linear method, same rounding) from one
    partition, without the percentile call's overhead (~0.1 ms per cramp)."""
    n = a.size
    v = 0.9 * (n - 1)
    lo = math.floor(v)
    hi = min(lo + 1, n - 1)
    part = np.partition(a, (lo, hi))
    x0, x1 = float(part[lo]), float(part[hi])
    t = v - lo
    d = x1 - x0
    return x1 - d * (1.0 - t) if t >= 0.5 else x0 + d * t


def _envelope_features(f: dict, blk_ms: np.ndarray, fs: float, block_n: int, nz: float, onset: int, offset: int) -> None:
    block_s = block_n / fs
    n100 = max(1, round(0.1 / block_s))
    ms = np.asarray(blk_ms, dtype=np.float64)
    if ms.size >= n100:
        env = np.sqrt(np.convolve(ms, np.ones(n100) / n100, mode="valid"))
    else:
        env = np.sqrt(np.array([ms.mean()]))
    t_end = (np.arange(env.size) + min(n100, ms.size)) * block_s  # end time of each window after onset
    p90 = _p90(env)
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
