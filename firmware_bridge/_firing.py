"""Spike trains: rate-coded renewal trains, fasciculation trains, and the MUAP renderer.

Time-varying renewal trains use time rescaling: with ``Λ(t) = ∫ rate dt`` and
gamma-distributed intervals of mean 1 in Λ (shape ``1/CV²``), the spikes
``Λ⁻¹(cumsum(intervals))`` fire at the instantaneous rate with the chosen ISI
CV. That keeps the generator vectorised per unit and bit-reproducible from one
``numpy.random.Generator``.
"""

from __future__ import annotations

import numba
import numpy as np

from firmware_bridge._devices import F_INT

#: Control grid for excitation and rate profiles, s. Drive changes at <= 2 Hz (§3.2), 5 ms is ample.
DT_CTRL = 0.005


def invert_cumulative(cum: np.ndarray, targets: np.ndarray, dt: float) -> np.ndarray:
    """Times where a non-decreasing cumulative ``cum`` (sampled every ``dt`` s from 0) reaches ``targets``."""
    idx = np.searchsorted(cum, targets, side="left")
    idx = np.clip(idx, 1, len(cum) - 1)
    lo = cum[idx - 1]
    hi = cum[idx]
    frac = np.where(hi > lo, (targets - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)
    return (idx - 1 + np.clip(frac, 0.0, 1.0)) * dt


def renewal_train(rate_hz: np.ndarray, cv: float, rng: np.random.Generator, refractory_s: float = 0.002,
                  doublet_p: float = 0.0, doublet_ms: tuple[float, float] = (2.5, 10.0)) -> np.ndarray:
    """Discharge times (s) of one unit firing at ``rate_hz`` (sampled every ``DT_CTRL``).

    Parameters
    ----------
    rate_hz : ndarray, shape (n_ctrl,)
        Instantaneous rate, Hz (0 = silent).
    cv : float
        ISI coefficient of variation (voluntary 0.1-0.2 [R38], cramp ~0.45 [R25]).
    rng : numpy.random.Generator
    refractory_s : float
        Spikes closer than this to the previous one are dropped (>= 2 ms, §3.1).
    doublet_p : float
        Fraction of discharges followed by an extra one ``doublet_ms`` later
        (cramp doublets 4.1 % [R25]; interval range [A]).

    Returns
    -------
    ndarray of float64, sorted discharge times in s.
    """
    cum = np.concatenate([[0.0], np.cumsum(rate_hz) * DT_CTRL])
    total = cum[-1]
    if total < 0.5:
        return np.empty(0)
    shape = 1.0 / (cv * cv)
    n = int(total + 6.0 * np.sqrt(total) + 10)
    steps = rng.gamma(shape, 1.0 / shape, n)
    ops = np.cumsum(steps) - rng.random() * steps[0]  # stationary start phase
    ops = ops[(ops > 0) & (ops < total)]
    times = invert_cumulative(cum, ops, DT_CTRL)
    if doublet_p > 0 and times.size:
        pick = rng.random(times.size) < doublet_p
        extra = times[pick] + rng.uniform(*doublet_ms, int(pick.sum())) / 1000.0
        times = np.sort(np.concatenate([times, extra]))
    return drop_refractory(times, refractory_s)


def drop_refractory(times: np.ndarray, refractory_s: float) -> np.ndarray:
    """Remove discharges closer than ``refractory_s`` to the last kept one."""
    if times.size < 2 or not np.any(np.diff(times) < refractory_s):
        return times
    keep = np.ones(times.size, dtype=bool)
    last = times[0]
    for k in range(1, times.size):
        if times[k] - last < refractory_s:
            keep[k] = False
        else:
            last = times[k]
    return times[keep]


def fp_train(rate_per_s: np.ndarray, rng: np.random.Generator, doublet_p: float) -> tuple[np.ndarray, np.ndarray]:
    """Fasciculation discharges of one unit (science.md §3.2).

    Poisson (exponential intervals) at the time-varying ``rate_per_s`` on the
    control grid, a 100 ms refractory period, and doublets whose second
    discharge follows 32 ± 5 ms later (80 %) or 10-110 ms uniformly (20 % tail) [R4].

    Returns
    -------
    times : ndarray of float64, s
    is_doublet : ndarray of bool (True for a doublet's second discharge)
    """
    cum = np.concatenate([[0.0], np.cumsum(rate_per_s) * DT_CTRL])
    total = cum[-1]
    n = int(total + 6.0 * np.sqrt(total) + 10)
    ops = np.cumsum(rng.exponential(1.0, n))
    ops = ops[ops < total]
    first = drop_refractory(invert_cumulative(cum, ops, DT_CTRL), 0.100)
    pick = rng.random(first.size) < doublet_p
    tail = rng.random(first.size) < 0.2
    delay = np.where(tail, rng.uniform(0.010, 0.110, first.size), rng.normal(0.032, 0.005, first.size))
    delay = np.clip(delay, 0.010, 0.110)
    second = first[pick] + delay[pick]
    times = np.concatenate([first, second])
    flags = np.concatenate([np.zeros(first.size, bool), np.ones(second.size, bool)])
    order = np.argsort(times, kind="stable")
    return times[order], flags[order]


def unit_rates(excitation: np.ndarray, rte: float, mfr: float, gain: float, pfr: float) -> np.ndarray:
    """Fuglevand rate coding: ``mfr + gain·(E - RTE)`` above threshold, capped at ``pfr`` [R38]."""
    rate = np.minimum(mfr + gain * (excitation - rte), pfr)
    return np.where(excitation >= rte, rate, 0.0)


@numba.njit(cache=True, nogil=True)
def _render_kernel(out, spike_idx, spike_unit, spike_amp, templates, half):  # pragma: no cover - numba
    n_int, n_ch = out.shape
    n_taps = templates.shape[1]
    for s in range(spike_idx.shape[0]):
        start = spike_idx[s] - half
        u = spike_unit[s]
        a = spike_amp[s]
        for k in range(n_taps):
            j = start + k
            if j < 0 or j >= n_int:
                continue
            for ch in range(n_ch):
                out[j, ch] += a * templates[u, k, ch]


def render_spikes(out: np.ndarray, times_s: np.ndarray, units: np.ndarray, amps: np.ndarray,
                  templates: np.ndarray) -> None:
    """Add ``amps[s] * templates[units[s]]`` centred at ``times_s[s]`` into ``out`` (in place).

    Parameters
    ----------
    out : ndarray of float64, shape (n_int, n_channels), µV at ``F_INT``
    times_s : ndarray, discharge times in s
    units : ndarray of int, template index per discharge
    amps : ndarray, amplitude factor per discharge
    templates : ndarray, shape (n_units, n_channels, n_taps)
        Centre tap = discharge instant.
    """
    if times_s.size == 0:
        return
    n_taps = templates.shape[2]
    half = n_taps // 2
    # Trim taps that are negligible for every unit and channel (saves most of the work).
    mag = np.abs(templates).max(axis=(0, 1))
    keep = np.flatnonzero(mag > 1e-4 * mag.max())
    reach = int(max(half - keep[0], keep[-1] - half)) if keep.size else 0
    tpl = np.ascontiguousarray(templates[:, :, half - reach: half + reach + 1].transpose(0, 2, 1))
    idx = np.round(np.asarray(times_s) * F_INT).astype(np.int64)
    _render_kernel(out, idx, np.asarray(units, np.int64), np.asarray(amps, np.float64), tpl, reach)
