"""Streaming envelopes with explicit state: moving RMS and the TKEO.

Both are ``y, state = f(x, state)``; any split of the input, carrying the
state, gives the same output as the whole (tested). The state of a moving RMS
holds the last ``n_win`` squares, so the first ``n_win - 1`` outputs average
over zeros (a causal start).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = [
    "RmsState",
    "TkeoState",
    "init_rms_state",
    "init_tkeo_state",
    "moving_rms",
    "moving_rms_reference",
    "tkeo",
    "tkeo_reference",
]


@dataclass(slots=True)
class RmsState:
    """Last ``n_win`` squared samples per channel (``ring``, shape (n_channels, n_win)),
    the write position ``pos`` and the running sum ``total`` (n_channels,)."""

    ring: np.ndarray
    pos: np.ndarray
    total: np.ndarray


def init_rms_state(n_win: int, n_channels: int) -> RmsState:
    """Zero state for a moving RMS over ``n_win`` samples (``n_win >= 1``)."""
    if n_win < 1:
        raise ValueError(f"init_rms_state: n_win must be >= 1 sample, got {n_win}")
    return RmsState(np.zeros((n_channels, n_win)), np.zeros(1, dtype=np.int64), np.zeros(n_channels))


@numba.njit(cache=True, nogil=True)
def _rms_kernel(x, ring, pos, total, y):  # pragma: no cover - compiled
    n, n_ch = x.shape
    n_win = ring.shape[1]
    p0 = pos[0]
    for c in range(n_ch):
        p = p0
        s = total[c]
        for i in range(n):
            v = np.float64(x[i, c])
            sq = v * v
            s += sq - ring[c, p]
            ring[c, p] = sq
            p += 1
            if p == n_win:
                p = 0
            y[i, c] = np.sqrt(max(s, 0.0) / n_win)
        total[c] = s
    pos[0] = (p0 + n) % n_win


def moving_rms(x: np.ndarray, state: RmsState) -> tuple[np.ndarray, RmsState]:
    """Causal moving RMS, µV in, µV out (float32, shape of ``x``)."""
    x = np.ascontiguousarray(x)
    if x.ndim != 2 or x.shape[1] != state.ring.shape[0]:
        raise ValueError(f"moving_rms: x must have shape (n, {state.ring.shape[0]}), got {x.shape}")
    y = np.empty(x.shape, dtype=np.float32)
    _rms_kernel(x, state.ring, state.pos, state.total, y)
    return y, state


def moving_rms_reference(x: np.ndarray, n_win: int) -> np.ndarray:
    """numpy moving RMS of a whole signal from a zero state (for tests)."""
    sq = np.asarray(x, dtype=np.float64) ** 2
    c = np.cumsum(np.vstack([np.zeros((n_win, sq.shape[1])), sq]), axis=0)
    return np.sqrt(np.maximum((c[n_win:] - c[:-n_win]) / n_win, 0.0)).astype(np.float32)


@dataclass(slots=True)
class TkeoState:
    """The last two input samples per channel (``prev``, shape (n_channels, 2));
    ``count`` samples seen so far (the first output needs one of look-ahead)."""

    prev: np.ndarray
    count: np.ndarray


def init_tkeo_state(n_channels: int) -> TkeoState:
    """Fresh TKEO state."""
    return TkeoState(np.zeros((n_channels, 2)), np.zeros(1, dtype=np.int64))


@numba.njit(cache=True, nogil=True)
def _tkeo_kernel(x, prev, count, y):  # pragma: no cover - compiled
    n, n_ch = x.shape
    c0 = count[0]
    for c in range(n_ch):
        a = prev[c, 0]  # x[k-2]
        b = prev[c, 1]  # x[k-1]
        for i in range(n):
            v = np.float64(x[i, c])
            # psi[k-1] = x[k-1]^2 - x[k-2] * x[k]: one sample of delay.
            y[i, c] = b * b - a * v if c0 + i >= 2 else 0.0
            a = b
            b = v
        prev[c, 0] = a
        prev[c, 1] = b
    count[0] = c0 + n


def tkeo(x: np.ndarray, state: TkeoState) -> tuple[np.ndarray, TkeoState]:
    """Teager-Kaiser energy ``x[k-1]^2 - x[k-2] x[k]`` (µV², one sample late; first two outputs 0)."""
    x = np.ascontiguousarray(x)
    if x.ndim != 2 or x.shape[1] != state.prev.shape[0]:
        raise ValueError(f"tkeo: x must have shape (n, {state.prev.shape[0]}), got {x.shape}")
    y = np.empty(x.shape, dtype=np.float64)
    _tkeo_kernel(x, state.prev, state.count, y)
    return y, state


def tkeo_reference(x: np.ndarray) -> np.ndarray:
    """numpy TKEO of a whole signal, aligned like ``tkeo`` (for tests)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.zeros_like(x)
    y[2:] = x[1:-1] ** 2 - x[:-2] * x[2:]
    return y
