"""Helpers of ``Pipeline``: warm filter start, first noise floor,
spike-threshold scaling for short windows, the offline zero-phase filter, and
the claim-based thread helper for long offline inputs."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
from scipy import signal
from scipy.stats import chi2

from dsp.config import DetectorConfig
from dsp.filters import FilterState, init_filter_state, set_bridge, sos_filter


def warm_start(state: FilterState, sos: np.ndarray, x: np.ndarray, fs: float) -> None:
    """Start the filter in its steady state for the mains already present.

    ``sosfilt_zi`` is a steady state for DC only, so a 200 µV mains line
    would ring through the band-pass and the notches (for ~Q/(pi*f) s)
    and look like a burst. Mains has a whole number of periods in 1 s, so
    the state after filtering the first 1-2 s is the right state at
    sample 0 for the periodic part; the DC part is moved from the level
    at the end of that span to the level at the start (linearity; levels
    are 0.1 s means, a whole number of mains periods).
    """
    n1 = round(fs)
    if abs(fs - n1) > 1e-9 or x.shape[0] < n1:
        return
    n = 2 * n1 if x.shape[0] >= 2 * n1 else n1
    m = max(1, round(0.1 * fs))
    for c in range(x.shape[1]):
        seg = np.ascontiguousarray(x[:n, c : c + 1])
        if not np.isfinite(seg).all():
            continue
        st = init_filter_state(sos, 1)
        sos_filter(seg, sos, st)
        shift = float(seg[:m, 0].astype(np.float64).mean() - seg[n - m :, 0].astype(np.float64).mean())
        state.zi[:, :, c] = st.zi[:, :, 0] + state.zi_unit * shift
        state.pending[c] = False
        set_bridge(state, c, float(seg[0, 0]))


def quantisation_floor(x: np.ndarray, fs: float, band: tuple[float, float]) -> float:
    """RMS of the ADC's rounding error within the pass band ``band`` (Hz), µV;
    0 when the samples ``x`` (µV) do not lie on a visible lattice of codes.

    A step q rounds with an error of RMS q / sqrt(12), spread evenly up to
    fs / 2. No noise floor can be lower: a Myo armband's int8 codes are 15
    µV apart, its quiet channels read 0 for seconds, and a floor tracked
    below one code made a one-code flicker a "1000x noise" spike. The step
    is read from the samples given (the pipeline's first second): some
    channel must cross a code there.
    """
    v = x[np.isfinite(x)].astype(np.float64)
    u = np.unique(v)
    if u.size < 2:
        return 0.0
    d = np.diff(u)
    step = float(d.min())
    if not step > 0 or not np.allclose(np.rint(d / step) * step, d, rtol=0.0, atol=1e-3 * step):
        return 0.0  # values not on one lattice: a float source, or rescaled
    share = max(0.0, min(band[1], fs / 2) - band[0]) / (fs / 2)
    return step / np.sqrt(12.0) * float(np.sqrt(share))


def initial_noise(
    x: np.ndarray, y: np.ndarray, fs: float, block_n: int, config: DetectorConfig, floor_uv: float | None = None
) -> np.ndarray:
    """Median block RMS over the first ``noise_init_s`` (valid blocks only),
    µV, and at least ``floor_uv`` (default ``config.noise_min_uv``)."""
    floor = config.noise_min_uv if floor_uv is None else floor_uv
    bn = block_n
    n_b = max(1, min(x.shape[0], round(config.noise_init_s * fs)) // bn)
    xb = x[: n_b * bn].reshape(n_b, bn, -1) if x.shape[0] >= bn else x[None]
    yb = y[: n_b * bn].reshape(n_b, bn, -1) if y.shape[0] >= bn else y[None]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(xb).all(axis=1) & (np.ptp(xb, axis=1) > config.flat_ptp_uv)
        rms = np.sqrt(np.mean(yb.astype(np.float64) ** 2, axis=1))
    rms = np.where(ok, rms, np.nan)
    noise = np.full(x.shape[1], floor)
    for c in range(x.shape[1]):
        if ok[:, c].any():
            noise[c] = max(float(np.nanmedian(rms[:, c])), floor)
    return noise


@lru_cache(maxsize=64)
def spike_threshold_scale(on_snr: float, w: int) -> float:
    """Factor applied to the spike thresholds for a ``w``-sample window.

    ``DetectorConfig.spike_on_snr`` is stated for the 8-sample window used at
    1 kHz. The mean of ``w`` squared Gaussian samples is chi-square with ``w``
    degrees of freedom over ``w``, so a 3-sample window (200-250 Hz) crosses a
    given level far more often; the threshold is raised to keep the same
    per-sample false-alarm probability (2.4 at w=8 -> 3.35 at w=3).
    """
    if on_snr <= 0:
        return 1.0
    p = chi2.sf(on_snr**2 * _REF_WINDOW, _REF_WINDOW)
    if not p > 0:
        return 1.0
    return float(np.sqrt(chi2.isf(p, w) / w) / on_snr)


_REF_WINDOW = 8


def zero_phase_filter(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Forward-backward ``sos`` filter of a whole array; lost samples are held
    at the last finite value for filtering and give 0 output."""
    x64 = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x64)
    if not finite.all():
        idx = np.where(finite, np.arange(x64.shape[0])[:, None], 0)
        np.maximum.accumulate(idx, axis=0, out=idx)
        filled = np.take_along_axis(np.where(finite, x64, 0.0), idx, axis=0)
        x64 = np.where(finite | (np.cumsum(finite, axis=0) > 0), filled, 0.0)
    padlen = min(3 * (2 * sos.shape[0] + 1), x64.shape[0] - 1)
    if padlen < 1:
        y = np.zeros_like(x64)
    else:
        y = signal.sosfiltfilt(sos, x64, axis=0, padlen=padlen)
    y[~finite] = 0.0
    return y.astype(np.float32)


#: How long a threaded segment waits for a helper to start, s.
_HELPER_START_WAIT_S = 0.001

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


class ClaimedTasks:
    """Run ``tasks`` on helper threads and on the calling thread.

    The constructor hands the tasks to ``n_threads - 1`` helper threads,
    which claim them in order; the caller may do other work, then ``join``
    runs what no helper has claimed yet and waits only for tasks a helper has
    started. A helper the OS has
    not scheduled yet (the other core busy) delays nothing. (numba's
    ``prange`` splits the work up front: on a loaded 2-core machine every
    call waited a scheduler slice, ~8 ms, for its second thread.) The tasks
    are nogil numba kernels, so the threads run in parallel.
    """

    def __init__(self, tasks: list[Callable[[], object]], n_threads: int) -> None:
        global _pool
        with _pool_lock:
            if _pool is None or _pool._max_workers < n_threads:
                _pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="emgwatch-dsp")
            pool = _pool
        self._tasks = tasks
        self._order = collections.deque(range(len(tasks)))
        self._claim = threading.Lock()
        self._done = [threading.Event() for _ in tasks]
        self._errors: list[BaseException] = []
        self._started = threading.Event()
        # n_threads in all: this thread is one of them (it joins in ``join``)
        helpers = min(n_threads - 1, len(tasks))
        for _ in range(helpers):
            pool.submit(self._work)
        if helpers:
            # Let a helper get into its kernel (which releases the GIL) before
            # this thread goes on with Python: a helper that takes the GIL
            # later, while this thread is in a numpy call, can hold it for a
            # scheduler slice if the OS preempts it. Not scheduled by then:
            # this thread does the work in ``join``.
            self._started.wait(_HELPER_START_WAIT_S)

    def _work(self) -> None:
        while True:
            with self._claim:
                if not self._order:
                    return
                k = self._order.popleft()
            self._started.set()
            try:
                self._tasks[k]()
            except BaseException as err:  # noqa: BLE001 - re-raised by join
                self._errors.append(err)
            finally:
                self._done[k].set()

    def join(self) -> None:
        """Run the tasks no helper has claimed, then wait for all."""
        self._work()
        for ev in self._done:
            ev.wait()
        if self._errors:
            raise self._errors[0]
