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

from dataclasses import dataclass

import numba
import numpy as np
from scipy import signal

__all__ = [
    "FilterState",
    "design_bandpass",
    "design_mains_comb",
    "detect_mains",
    "init_filter_state",
    "mains_lines",
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
    return np.ascontiguousarray(signal.butter(order, [low_hz, high], btype="bandpass", output="sos", fs=fs))


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
        (at the start, and after a dropout).
    """

    zi: np.ndarray
    zi_unit: np.ndarray
    pending: np.ndarray

    @property
    def n_channels(self) -> int:
        return int(self.zi.shape[2])


def init_filter_state(sos: np.ndarray, n_channels: int) -> FilterState:
    """A state whose channels start in steady state at their first finite sample."""
    sos = np.asarray(sos, dtype=np.float64)
    if sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError(f"init_filter_state: sos array must be shape (n_sections, 6), got {sos.shape}")
    n_sec = sos.shape[0]
    zi_unit = signal.sosfilt_zi(sos) if n_sec else np.zeros((0, 2))
    return FilterState(
        zi=np.zeros((n_sec, 2, n_channels)),
        zi_unit=np.ascontiguousarray(zi_unit),
        pending=np.ones(n_channels, dtype=np.bool_),
    )


@numba.njit(cache=True, nogil=True)
def _sos_rows(x, sos, zi, zi_unit, pending, y, c0, c1, s0):  # pragma: no cover - compiled
    # Channels c0..c1 of ``x``; ``zi``, ``pending`` and ``y`` are indexed from
    # channel ``s0`` (0 for the whole array, c0 for a thread's private copy),
    # so every caller passes the same array types and numba compiles once.
    # Sample-major, channel-minor: the inner loops run over contiguous
    # channels and vectorise (about 1.7x scipy's sosfilt on one core).
    n = x.shape[0]
    n_sec = sos.shape[0]
    m = c1 - c0
    v = np.empty(m)
    ok = np.empty(m, dtype=np.bool_)
    for i in range(n):
        for j in range(m):
            c = c0 + j - s0
            xv = np.float64(x[i, c0 + j])
            if not np.isfinite(xv):
                # Lost sample: output 0, restart the channel at its next
                # finite sample (the state computed from 0 is discarded).
                pending[c] = True
                ok[j] = False
                v[j] = 0.0
                continue
            ok[j] = True
            v[j] = xv
            if pending[c]:
                for s in range(n_sec):
                    zi[s, 0, c] = zi_unit[s, 0] * xv
                    zi[s, 1, c] = zi_unit[s, 1] * xv
                pending[c] = False
        for s in range(n_sec):
            b0 = sos[s, 0]
            b1 = sos[s, 1]
            b2 = sos[s, 2]
            a1 = sos[s, 4]
            a2 = sos[s, 5]
            z0 = zi[s, 0]
            z1 = zi[s, 1]
            for j in range(m):
                c = c0 + j - s0
                vi = v[j]
                out = b0 * vi + z0[c]
                z0[c] = b1 * vi - a1 * out + z1[c]
                z1[c] = b2 * vi - a2 * out
                v[j] = out
        for j in range(m):
            y[i, c0 + j - s0] = v[j] if ok[j] else 0.0


@numba.njit(cache=True, nogil=True, parallel=True)
def _sos_parallel(x, sos, zi, zi_unit, pending, y):  # pragma: no cover - compiled
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
        _sos_rows(x, sos, zg, zi_unit, pg, tmp[g], c0, c1, c0)
        zi[:, :, c0:c1] = zg
        pending[c0:c1] = pg
    step = 8192
    for b in numba.prange((n + step - 1) // step):
        for i in range(b * step, min(n, (b + 1) * step)):
            for g in range(n_groups):
                c0 = 4 * g
                for j in range(min(4, n_ch - c0)):
                    y[i, c0 + j] = tmp[g, i, j]


@numba.njit(cache=True, nogil=True)
def _sos_serial(x, sos, zi, zi_unit, pending, y):  # pragma: no cover - compiled
    _sos_rows(x, sos, zi, zi_unit, pending, y, 0, x.shape[1], 0)


#: Below this many values (samples x channels) the serial kernels run. Threads
#: pay only on long inputs, and compiling the parallel kernels costs a first
#: run ~15 s more: with 1 Mi values a file streamed in 65536-row chunks stays
#: serial ('analyze --demo' with an empty numba cache: 26 s -> 10 s).
PARALLEL_MIN = 1 << 20


def sos_filter(
    x: np.ndarray, sos: np.ndarray, state: FilterState, out: np.ndarray | None = None
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
    parallel = x.size >= PARALLEL_MIN and x.shape[1] > 4 and numba.get_num_threads() > 1
    kernel = _sos_parallel if parallel else _sos_serial
    kernel(x, sos, state.zi, state.zi_unit, state.pending, out)
    return out, state


def sos_filter_reference(
    x: np.ndarray, sos: np.ndarray, state: FilterState
) -> tuple[np.ndarray, FilterState]:
    """Plain scipy version of ``sos_filter`` (same semantics), for tests.

    Runs ``scipy.signal.sosfilt`` on each finite stretch of each channel,
    starting each stretch in steady state for its first sample.
    """
    x64 = np.asarray(x, dtype=np.float64)
    y = np.zeros(x.shape, dtype=np.float64)
    for c in range(x.shape[1]):
        finite = np.isfinite(x64[:, c])
        i = 0
        n = x.shape[0]
        while i < n:
            if not finite[i]:
                state.pending[c] = True
                i += 1
                continue
            j = i
            while j < n and finite[j]:
                j += 1
            if state.pending[c]:
                state.zi[:, :, c] = state.zi_unit * x64[i, c]
                state.pending[c] = False
            y[i:j, c], state.zi[:, :, c] = signal.sosfilt(sos, x64[i:j, c], zi=state.zi[:, :, c])
            i = j
    return y.astype(np.float32), state
