"""Reuse of large row buffers between pipelines.

A fresh multi-megabyte numpy array is fresh memory: numpy asks the kernel for
2 MB pages for arrays of 4 MB and more, and on a virtual machine the first
write into each page can take milliseconds while the host finds one. A
pipeline's sample rings are written first by the helper thread in the middle
of the run, so those faults stalled it (segments of 1.5 ms took 7-12 ms).
Buffers of finished pipelines are kept here, up to ``LIMIT_BYTES``, and
handed to the next pipeline that asks for the same shape and type.
"""

from __future__ import annotations

import math
import threading

import numpy as np

#: Most bytes kept for reuse (a few pipelines' rings at 1-2 kHz).
LIMIT_BYTES = 64 << 20
#: Smaller buffers come from numpy directly (malloc reuses them itself).
MIN_BYTES = 1 << 20

_lock = threading.Lock()
_free: dict[tuple[tuple[int, ...], str], list[np.ndarray]] = {}
_kept = 0
ENABLED = True


def empty(shape: tuple[int, ...], dtype: type | np.dtype) -> np.ndarray:
    """``np.empty(shape, dtype)``, reusing a released buffer when one fits."""
    key = (tuple(int(n) for n in shape), np.dtype(dtype).str)
    global _kept
    if ENABLED and math.prod(key[0]) * np.dtype(dtype).itemsize >= MIN_BYTES:
        with _lock:
            stack = _free.get(key)
            if stack:
                buf = stack.pop()
                _kept -= buf.nbytes
                return buf
    return np.empty(key[0], dtype=dtype)


def release(buf: np.ndarray) -> None:
    """Offer ``buf`` (no longer used by its owner) for reuse."""
    global _kept
    if not ENABLED or buf.nbytes < MIN_BYTES or not buf.flags.c_contiguous or buf.base is not None:
        return
    with _lock:
        if _kept + buf.nbytes > LIMIT_BYTES:
            return
        _free.setdefault((buf.shape, buf.dtype.str), []).append(buf)
        _kept += buf.nbytes
