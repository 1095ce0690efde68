"""Band-pass and mains-comb filters with explicit state (scipy.signal style).

Design once from ``fs``, then ``y, state = sos_filter(x, sos, state)``. The
state is a plain array of shape ``(n_channels, n_sections, 2)`` plus a flag per
channel saying it must be (re)initialised at the next finite sample, which is
how a dropout (NaN samples) resets a channel without poisoning it forever.
Initialisation is steady-state (``sosfilt_zi`` times the first sample), so a
board's DC offset gives no start-up transient.

Mains: 50 or 60 Hz and every harmonic, folded into ``[0, fs/2]`` (science.md
1.6 table: 60 Hz mains at 250 Hz gives 60, 120, 70, 10, 50, 110 Hz).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
from scipy import signal

from dsp._reference import (
    sos_filter_reference,  # re-exported: the plain scipy version, for tests
)

__all__ = [
    "FilterState",
    "design_bandpass",
    "design_mains_comb",
    "detect_mains",
    "init_filter_state",
    "mains_lines",
    "passband_delay_n",
    "sos_filter",
    "sos_filter_reference",
]


def design_bandpass(fs: float, low_hz: float = 20.0, high_hz: float = 450.0, order: int = 4) -> np.ndarray:
    """Butterworth band-pass from ``low_hz`` to ``min(high_hz, 0.45 * fs)``.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    low_hz, high_hz : float
        Corners, Hz (``high_hz`` is capped at ``0.45 * fs``).
    order : int
        ``scipy.signal.butter`` order (gives ``order`` sections).

    Returns
    -------
    sos : ndarray of float64, shape (order, 6)
    """
    high = min(float(high_hz), 0.45 * float(fs))
    if not (0 < low_hz < high):
        raise ValueError(
            f"design_bandpass: need 0 < low_hz < min(high_hz, 0.45*fs); got low_hz={low_hz} Hz, "
            f"high={high:.3f} Hz at fs={fs} Hz (raise fs or lower low_hz)"
        )
    return _butter_bandpass(float(order), float(low_hz), high, float(fs)).copy()


def passband_delay_n(sos: np.ndarray, fs: float, band: tuple[float, float], n_freqs: int = 64) -> int:
    """How many samples the filter's output lags its input in the pass band.

    A causal band-pass delays what it passes by its group delay, so a peak
    found in the filtered signal comes that much after the peak in the
    recording: 9.5 ms for dsp's band at 200 Hz, 1 ms at 1 kHz. The median
    group delay over ``n_freqs`` frequencies spread evenly over ``band``,
    rounded to whole samples, is what peak times are moved back by.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections, as ``design_bandpass`` gives.
    fs : float
        Sampling rate, Hz.
    band : (float, float)
        Pass band, Hz.
    n_freqs : int
        Frequencies the group delay is evaluated at.

    Returns
    -------
    int
        Delay in samples (>= 0).
    """
    freqs = np.linspace(float(band[0]), float(band[1]), int(n_freqs))
    delay = np.zeros(freqs.size)
    for sec in np.asarray(sos, dtype=np.float64):
        # a cascade's group delay is the sum of its sections'
        _, d = signal.group_delay((sec[:3], sec[3:]), w=freqs, fs=float(fs))
        delay += d
    return max(0, round(float(np.median(delay))))


@lru_cache(maxsize=32)
def _butter_bandpass(order: float, low_hz: float, high_hz: float, fs: float) -> np.ndarray:
    # Designed once per rate and band (a pipeline per stream or file).
    return np.ascontiguousarray(signal.butter(int(order), [low_hz, high_hz], btype="bandpass", output="sos", fs=fs))


def mains_lines(mains_hz: float, fs: float, n_harmonics: int | None = None) -> tuple[float, ...]:
    """Frequencies (Hz) where mains and its harmonics land after sampling at ``fs``.

    Harmonics ``k * mains_hz`` for k = 1..max(6, fs/2 // mains_hz) are folded
    into ``[0, fs/2]``; duplicates, DC (< 1 Hz) and lines within 1 Hz of
    Nyquist (where a notch cannot be placed) are dropped. Order: by harmonic.

    Examples
    --------
    >>> mains_lines(60, 250)
    (60.0, 120.0, 70.0, 10.0, 50.0, 110.0)
    """
    if mains_hz <= 0 or fs <= 0:
        raise ValueError(f"mains_lines: mains_hz and fs must be positive Hz, got {mains_hz}, {fs}")
    if n_harmonics is None:
        n_harmonics = max(6, int((fs / 2) // mains_hz))
    nyq = fs / 2
    out: list[float] = []
    for k in range(1, n_harmonics + 1):
        f = (k * mains_hz) % fs
        if f > nyq:
            f = fs - f
        f = round(float(f), 6)
        if f < 1.0 or f > nyq - 1.0 or any(abs(f - g) < 0.5 for g in out):
            continue
        out.append(f)
    return tuple(out)


def design_mains_comb(lines: tuple[float, ...] | list[float], fs: float, q: float = 30.0) -> np.ndarray:
    """One ``scipy.signal.iirnotch`` section per line (Hz); shape (n_lines, 6)."""
    if len(lines) == 0:
        return np.zeros((0, 6))
    sos = [signal.tf2sos(*signal.iirnotch(f, q, fs=fs)) for f in lines]
    return np.ascontiguousarray(np.vstack(sos))


def detect_mains(
    x: np.ndarray, fs: float, candidates: tuple[float, ...] = (50.0, 60.0), ratio: float = 20.0
) -> tuple[float | None, tuple[float, ...]]:
    """Find the mains frequency and the lines actually present in ``x``.

    Parameters
    ----------
    x : ndarray, shape (n_samples, n_channels), µV
        Raw data (NaN allowed; replaced by the channel mean). About 2 s gives
        0.5 Hz resolution.
    fs : float
        Sampling rate, Hz.
    candidates : tuple of float
        Mains frequencies to test, Hz.
    ratio : float
        A line is present when its power exceeds ``ratio`` times the median
        power within +-8 Hz (excluding +-2 Hz around the line) on any channel.

    Returns
    -------
    mains_hz : float or None
        The candidate whose fundamental line is strongest, or None when no
        candidate's fundamental is present.
    lines : tuple of float
        The present lines of that candidate (Hz), to be notched.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    if n < 16:
        return None, ()
    x = np.where(np.isfinite(x), x, np.nan)
    mean = np.nanmean(np.where(np.isfinite(x), x, np.nan), axis=0) if np.isfinite(x).any() else np.zeros(x.shape[1])
    mean = np.nan_to_num(mean)
    x = np.where(np.isfinite(x), x, mean) - mean
    spec = np.abs(np.fft.rfft(x * np.hanning(n)[:, None], axis=0)) ** 2
    freqs = np.fft.rfftfreq(n, 1.0 / fs)

    def line_ratio(f: float) -> float:
        near = np.abs(freqs - f) <= max(0.75, fs / n)
        ring = (np.abs(freqs - f) <= 8.0) & (np.abs(freqs - f) > 2.0)
        if not near.any() or ring.sum() < 3:
            return 0.0
        base = np.median(spec[ring], axis=0)
        peak = spec[near].max(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(base > 0, peak / base, np.where(peak > 0, np.inf, 0.0))
        return float(np.max(r))

    best: tuple[float, float] | None = None
    for cand in candidates:
        lines = mains_lines(cand, fs)
        if not lines:
            continue
        r = line_ratio(lines[0])
        if r > ratio and (best is None or r > best[1]):
            best = (cand, r)
    if best is None:
        return None, ()
    present = tuple(f for f in mains_lines(best[0], fs) if line_ratio(f) > ratio)
    return best[0], present


#: Columns of ``FilterState.gap`` before its ring of past inputs.
_RING = 2


@dataclass(slots=True)
class FilterState:
    """State of a second-order-section cascade over several channels.

    Attributes
    ----------
    zi : ndarray of float64, shape (n_sections, 2, n_channels)
        Direct-form-II-transposed delays (``scipy.signal.sosfilt``'s ``zi``
        with the channel axis last, so the kernel runs all channels of a
        sample side by side in SIMD registers).
    zi_unit : ndarray of float64, shape (n_sections, 2)
        ``scipy.signal.sosfilt_zi(sos)``: steady state for a unit step.
    pending : ndarray of bool, shape (n_channels,)
        True when the channel starts afresh at its next finite sample
        (at the start, and after a dropout longer than ``hold_n``).
    gap : ndarray of float64, shape (n_channels, 2 + period_n)
        Per channel: how many lost samples since the last finite one have
        been bridged; the ring's write position (its oldest entry); the ring
        of the last ``period_n`` inputs the cascade saw (µV).
    hold_n : int
        Lost samples (NaN/inf) bridged by repeating the input of
        ``period_n`` samples before, so the filter runs on through a short
        dropout (a lost BLE packet) instead of restarting; a longer gap
        restarts the channel.
    """

    zi: np.ndarray
    zi_unit: np.ndarray
    pending: np.ndarray
    gap: np.ndarray
    hold_n: int = 0

    @property
    def n_channels(self) -> int:
        return int(self.zi.shape[2])

    @property
    def period_n(self) -> int:
        """Samples back that a bridged sample repeats (1: hold the last one)."""
        return int(self.gap.shape[1]) - _RING


def bridge_period(fs: float, mains_hz: float | None, max_s: float = 0.125) -> int:
    """Samples in the shortest whole number of mains periods (up to ``max_s``)
    that is closest to a whole number of samples; 1 without mains.

    Bridging a lost sample with the input one such period earlier carries
    the mains hum on through the gap. Holding the last value instead cut the
    hum off, and the notch rang for ~0.2 s when it came back (Q 30): a
    Ganglion loses a packet every ~2 s, and twitches at those edges were
    lost to the rules that drop ringing.
    """
    if not mains_hz or not (math.isfinite(fs) and fs > 0):
        return 1
    best = (math.inf, 1)
    for k in range(1, max(1, int(max_s * mains_hz)) + 1):
        q = k * fs / mains_hz
        err = abs(q - round(q))
        if err < 1e-6:
            return max(1, round(q))
        if err < best[0] - 1e-9:
            best = (err, max(1, round(q)))
    return best[1]


def set_bridge(state: FilterState, c: int, value: float) -> None:
    """Channel ``c`` of ``state`` has just seen input ``value`` (µV) after a
    (re)start: nothing lost since, and a flat past to bridge from."""
    state.gap[c, :_RING] = 0.0
    state.gap[c, _RING:] = value


def init_filter_state(sos: np.ndarray, n_channels: int, hold_n: int = 0, period_n: int = 1) -> FilterState:
    """A state whose channels start in steady state at their first finite
    sample and bridge up to ``hold_n`` lost samples by repeating the input
    ``period_n`` samples before (``bridge_period``; 1 holds the last one)."""
    sos = np.asarray(sos, dtype=np.float64)
    if sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError(f"init_filter_state: sos array must be shape (n_sections, 6), got {sos.shape}")
    n_sec = sos.shape[0]
    zi_unit = _sosfilt_zi(sos.tobytes(), n_sec).copy() if n_sec else np.zeros((0, 2))
    return FilterState(
        zi=np.zeros((n_sec, 2, n_channels)),
        zi_unit=np.ascontiguousarray(zi_unit),
        pending=np.ones(n_channels, dtype=np.bool_),
        gap=np.zeros((n_channels, _RING + max(1, int(period_n)))),
        hold_n=int(hold_n),
    )


#: Rows per tile of the filter kernel: each tile is checked once for lost
#: samples and channels waiting to restart; runs of clean tiles (nearly all)
#: take a loop without per-sample branches.
_TILE = 256

# Skewed cascade (``_sos_skew``): lane ``s * _MW + j`` is section s of channel
# j. Work-array offsets are compile-time constants, so the compiler sees fixed
# distances between the arrays and vectorises the lane loop without run-time
# overlap checks; _K is not a power of two (no 4 KiB aliasing between them).
_MW = 4
_K = 136
_B0, _B1, _B2, _A1, _A2, _Z0, _Z1, _VA, _VB = 0, _K, 2 * _K, 3 * _K, 4 * _K, 5 * _K, 6 * _K, 7 * _K, 8 * _K


@lru_cache(maxsize=32)
def _sosfilt_zi(sos_bytes: bytes, n_sec: int) -> np.ndarray:
    return signal.sosfilt_zi(np.frombuffer(sos_bytes).reshape(n_sec, 6))


@numba.njit(cache=True, nogil=True, inline="always")
def _lanes(W, src, dst, q0, q1):  # pragma: no cover - compiled
    # Lanes q0..q1 (section s, channel j at s * _MW + j) take one step: input
    # from W[src + q], output to W[dst + q]. Inlined with constant offsets at
    # the full steps, so the loop still vectorises.
    for q in range(q0, q1):
        vi = W[src + q]
        out = W[_B0 + q] * vi + W[_Z0 + q]
        W[_Z0 + q] = W[_B1 + q] * vi - W[_A1 + q] * out + W[_Z1 + q]
        W[_Z1 + q] = W[_B2 + q] * vi - W[_A2 + q] * out
        W[dst + q] = out


@numba.njit(cache=True, nogil=True)
def _sos_skew(x, r0, r1, c0, m, sos, z, y, y0, ys0):  # pragma: no cover - compiled
    # Rows r0..r1 of channels c0..c0+m (m <= _MW), all finite, delays ``z``
    # (n_sec, 2, m) -> rows y0.. and columns ys0.. of ``y``. Section s works
    # on sample t - s at step t, so all sections of a step are independent
    # and the step costs the latency of one section, not of the cascade.
    # Each (section, channel, sample) sees the same arithmetic as _sos_rows:
    # the outputs are bit-identical.
    n_sec = sos.shape[0]
    L = n_sec * _MW
    W = np.zeros(9 * _K)
    for s in range(n_sec):
        for j in range(m):
            q = s * _MW + j
            W[_B0 + q] = sos[s, 0]
            W[_B1 + q] = sos[s, 1]
            W[_B2 + q] = sos[s, 2]
            W[_A1 + q] = sos[s, 4]
            W[_A2 + q] = sos[s, 5]
            W[_Z0 + q] = z[s, 0, j]
            W[_Z1 + q] = z[s, 1, j]
    n = r1 - r0
    t = 0
    while t < n + n_sec - 1:
        if t >= n_sec - 1 and t + 1 < n and (t & 1) == 0:
            # two full steps, input in _VA then _VB (constant offsets)
            for j in range(m):
                W[_VA + j] = np.float64(x[r0 + t, c0 + j])
            _lanes(W, _VA, _VB + _MW, 0, L)
            r = y0 + t - (n_sec - 1)
            for j in range(m):
                y[r, ys0 + j] = W[_VB + L + j]
                W[_VB + j] = np.float64(x[r0 + t + 1, c0 + j])
            _lanes(W, _VB, _VA + _MW, 0, L)
            for j in range(m):
                y[r + 1, ys0 + j] = W[_VA + L + j]
            t += 2
            continue
        # start, end or odd step: only the sections that have a sample
        src = _VA if (t & 1) == 0 else _VB
        dst = _VB if (t & 1) == 0 else _VA
        if t < n:
            for j in range(m):
                W[src + j] = np.float64(x[r0 + t, c0 + j])
        _lanes(W, src, dst + _MW, max(0, t - n + 1) * _MW, min(n_sec, t + 1) * _MW)
        if t >= n_sec - 1:
            r = y0 + t - (n_sec - 1)
            for j in range(m):
                y[r, ys0 + j] = W[dst + L + j]
        t += 1
    for s in range(n_sec):
        for j in range(m):
            z[s, 0, j] = W[_Z0 + s * _MW + j]
            z[s, 1, j] = W[_Z1 + s * _MW + j]


@numba.njit(cache=True, nogil=True)
def _clean(x, t0, t1, c0, c1):  # pragma: no cover - compiled
    bad = 0.0
    for i in range(t0, t1):
        for j in range(c0, c1):
            bad += np.float64(x[i, j]) * 0.0  # NaN or inf makes it NaN
    return bad == 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def _ring_push(gap, c, v):  # pragma: no cover - compiled
    # the ring of the last period_n inputs (see FilterState.gap)
    k = int(gap[c, 1])
    gap[c, _RING + k] = v
    k += 1
    gap[c, 1] = 0.0 if k == gap.shape[1] - _RING else float(k)


@numba.njit(cache=True, nogil=True, inline="always")
def _cascade(v, m, sos, z):  # pragma: no cover - compiled
    # One sample of m channels (v, in place) through every section,
    # direct form II transposed with delays z[section, 0|1, channel].
    for s in range(sos.shape[0]):
        b0 = sos[s, 0]
        b1 = sos[s, 1]
        b2 = sos[s, 2]
        a1 = sos[s, 4]
        a2 = sos[s, 5]
        for j in range(m):
            vi = v[j]
            out = b0 * vi + z[s, 0, j]
            z[s, 0, j] = b1 * vi - a1 * out + z[s, 1, j]
            z[s, 1, j] = b2 * vi - a2 * out
            v[j] = out


@numba.njit(cache=True, nogil=True)
def _sos_rows(x, i0, i1, sos, zi, zi_unit, pending, gap, hold_n, y, y0, c0, c1, s0):  # pragma: no cover - compiled
    # Rows i0..i1 of channels c0..c1 of ``x`` into rows y0.. of ``y``; ``zi``,
    # ``pending`` and ``y``'s columns are indexed from channel ``s0`` (0 for
    # the whole array, c0 for a thread's private copy), so every caller
    # passes the same array types and numba compiles once.
    # Sample-major, channel-minor: the inner loops run over contiguous
    # channels, with the delays in a private array (no aliasing with the
    # caller's arrays), and vectorise.
    n_sec = sos.shape[0]
    m = c1 - c0
    v = np.empty(m)
    ok = np.empty(m, dtype=np.bool_)
    z = np.empty((n_sec, 2, m))
    for s in range(n_sec):
        for j in range(m):
            z[s, 0, j] = zi[s, 0, c0 + j - s0]
            z[s, 1, j] = zi[s, 1, c0 + j - s0]
    # A few channels fill too few vector lanes sample by sample: skew them.
    skew = m <= _MW and (n_sec + 1) * _MW <= _K
    t0 = np.int64(i0)  # not the caller's literal 0: one _sos_skew compile, not two (~2 s on first run)
    while t0 < i1:
        t1 = min(i1, t0 + _TILE)
        clean = True
        for j in range(m):
            if pending[c0 + j - s0]:
                clean = False
        if clean and _clean(x, t0, t1, c0, c1):
            while t1 < i1 and _clean(x, t1, min(i1, t1 + _TILE), c0, c1):
                t1 = min(i1, t1 + _TILE)
            period_n = gap.shape[1] - _RING
            for j in range(m):
                c = c0 + j - s0
                gap[c, 0] = 0.0
                for i in range(max(t0, t1 - period_n), t1):
                    _ring_push(gap, c, np.float64(x[i, c0 + j]))
            if skew and t1 - t0 >= 64:  # shorter runs pay more in the skew's ends than they gain
                _sos_skew(x, t0, t1, c0, m, sos, z, y, y0 + t0 - i0, c0 - s0)
                t0 = t1
                continue
            for i in range(t0, t1):
                for j in range(m):
                    v[j] = np.float64(x[i, c0 + j])
                _cascade(v, m, sos, z)
                r = y0 + i - i0
                for j in range(m):
                    y[r, c0 + j - s0] = v[j]
            t0 = t1
            continue
        for i in range(t0, t1):
            for j in range(m):
                c = c0 + j - s0
                xv = np.float64(x[i, c0 + j])
                if not np.isfinite(xv):
                    # Lost sample: output 0. A short gap is bridged by repeating
                    # the input a whole number of mains periods back (a restart
                    # rings in the notches and high-pass for tens of ms, a held
                    # value cuts the hum off, and BLE boards lose a packet
                    # every few seconds); after a longer one the channel
                    # restarts at its next finite sample (the state computed
                    # meanwhile is discarded).
                    ok[j] = False
                    if not pending[c] and gap[c, 0] < hold_n:
                        gap[c, 0] += 1.0
                        v[j] = gap[c, _RING + int(gap[c, 1])]
                        _ring_push(gap, c, v[j])
                    else:
                        pending[c] = True
                        v[j] = 0.0
                    continue
                ok[j] = True
                v[j] = xv
                gap[c, 0] = 0.0
                if pending[c]:
                    for s in range(n_sec):
                        z[s, 0, j] = zi_unit[s, 0] * xv
                        z[s, 1, j] = zi_unit[s, 1] * xv
                    pending[c] = False
                    for k in range(_RING, gap.shape[1]):
                        gap[c, k] = xv
                    gap[c, 1] = 0.0
                _ring_push(gap, c, xv)
            _cascade(v, m, sos, z)
            r = y0 + i - i0
            for j in range(m):
                y[r, c0 + j - s0] = v[j] if ok[j] else 0.0
        t0 = t1
    for s in range(n_sec):
        for j in range(m):
            zi[s, 0, c0 + j - s0] = z[s, 0, j]
            zi[s, 1, c0 + j - s0] = z[s, 1, j]


@numba.njit(cache=True, nogil=True, parallel=True)
def _sos_parallel(x, sos, zi, zi_unit, pending, gap, hold_n, y):  # pragma: no cover - compiled
    # Each thread filters a group of 4 channels into its own state copy and
    # its own output buffer, then the buffers are interleaved into ``y`` by
    # time ranges. Writing ``y`` and ``zi`` directly made two threads share
    # cache lines on every sample (a row of 8 float32 channels is 32 bytes),
    # and two threads ran slower than one.
    n, n_ch = x.shape
    n_groups = (n_ch + 3) // 4
    tmp = np.empty((n_groups, n, 4), dtype=np.float32)
    for g in numba.prange(n_groups):
        c0 = 4 * g
        c1 = min(n_ch, c0 + 4)
        zg = np.ascontiguousarray(zi[:, :, c0:c1])
        pg = pending[c0:c1].copy()
        gg = gap[c0:c1].copy()
        _sos_rows(x, 0, n, sos, zg, zi_unit, pg, gg, hold_n, tmp[g], 0, c0, c1, c0)
        zi[:, :, c0:c1] = zg
        pending[c0:c1] = pg
        gap[c0:c1] = gg
    step = 8192
    for b in numba.prange((n + step - 1) // step):
        for i in range(b * step, min(n, (b + 1) * step)):
            for g in range(n_groups):
                c0 = 4 * g
                for j in range(min(4, n_ch - c0)):
                    y[i, c0 + j] = tmp[g, i, j]


@numba.njit(cache=True, nogil=True)
def _sos_serial(x, sos, zi, zi_unit, pending, gap, hold_n, y):  # pragma: no cover - compiled
    _sos_rows(x, 0, x.shape[0], sos, zi, zi_unit, pending, gap, hold_n, y, 0, 0, x.shape[1], 0)


#: Below this many values (samples x channels) the serial kernels run. Threads
#: pay only on long inputs, and compiling the parallel kernels costs a first
#: run ~15 s more: with 1 Mi values a file streamed in 65536-row chunks stays
#: serial ('analyze --demo' with an empty numba cache: 26 s -> 10 s).
PARALLEL_MIN = 1 << 20


def sos_filter(
    x: np.ndarray, sos: np.ndarray, state: FilterState, out: np.ndarray | None = None, serial: bool = False
) -> tuple[np.ndarray, FilterState]:
    """Filter ``x`` through ``sos`` carrying ``state`` (numba, parallel over channels).

    Parameters
    ----------
    x : ndarray of float32, shape (n_samples, n_channels), µV
        NaN/inf samples give 0 output and reset their channel.
    sos : ndarray of float64, shape (n_sections, 6)
    state : FilterState
        Updated in place and returned.
    out : ndarray of float32, shape like ``x``, optional
    serial : bool
        Stay on the calling thread whatever the input's size (the
        pipeline's own threads filter one segment while others detect).

    Returns
    -------
    y : ndarray of float32, shape (n_samples, n_channels), µV
    state : FilterState
    """
    if x.ndim != 2 or x.shape[1] != state.zi.shape[2]:
        raise ValueError(
            f"sos_filter: x must have shape (n_samples, {state.zi.shape[2]}) to match the state, got {x.shape}"
        )
    if sos.shape[0] != state.zi.shape[0]:
        raise ValueError(
            f"sos_filter: sos has {sos.shape[0]} sections but the state was made for {state.zi.shape[0]}"
        )
    if out is None:
        out = np.empty(x.shape, dtype=np.float32)
    # Threads only pay on long inputs; with one thread the serial build is
    # faster (it vectorises over all channels at once).
    parallel = not serial and x.size >= PARALLEL_MIN and x.shape[1] > 4 and numba.get_num_threads() > 1
    kernel = _sos_parallel if parallel else _sos_serial
    kernel(x, sos, state.zi, state.zi_unit, state.pending, state.gap, state.hold_n, out)
    return out, state
