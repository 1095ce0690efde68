"""A fixed-capacity ring of rows addressed by absolute index (samples or blocks)."""

from __future__ import annotations

import math
import weakref

import numpy as np

from dsp import _buffers


class Ring:
    """Keeps the last ``capacity`` rows written; ``get(a, b)`` returns rows
    ``[max(a, oldest), min(b, end))`` and the index of its first row.

    ``reserve`` adds room past the readable rows, where a thread can
    ``stage`` rows that are not readable until ``commit`` (the pipeline's
    helper threads store the next segment while this thread still reads the
    current window)."""

    def __init__(self, capacity: int, n_cols: int, dtype: type = np.float32) -> None:
        self.keep = max(int(capacity), 1)  # rows readable
        self.capacity = self.keep  # rows held, >= keep
        # never read before written (get clips to what was written)
        self.buf = _buffers.empty((self.capacity, n_cols), dtype)
        # the buffer goes back for reuse when the ring is gone
        self._done = weakref.finalize(self, _buffers.release, self.buf)
        self.end = 0  # absolute index one past the last row written
        self.first = 0  # no row before this one is held (rows dropped before a regrow)

    @property
    def start(self) -> int:
        return max(self.first, self.end - self.keep)

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` staged rows beyond the readable ones."""
        if self.capacity - self.keep >= extra:
            return
        self._regrow(self.keep, int(extra), 0)

    def keep_from(self, index: int, n_next: int, staged: int = 0) -> None:
        """Grow so that row ``index`` is still readable after ``n_next`` more
        rows are made readable (``staged``: rows already staged past ``end``,
        which are kept). Rows only ever stay longer than ``keep`` asked."""
        need = self.end + n_next - int(index)
        if need <= self.keep:
            return
        # at least double, so a long hold grows the buffer a few times only
        self._regrow(max(need, 2 * self.keep), self.capacity - self.keep, staged)

    def _regrow(self, keep: int, extra: int, staged: int) -> None:
        rows, a = self.get(self.start, self.end)
        if staged:
            p = self.end % self.capacity
            idx = (p + np.arange(staged)) % self.capacity
            rows = np.concatenate([rows, self.buf[idx]])
        self.first = a
        self.keep = keep
        self.capacity = keep + extra
        old = self.buf
        self.buf = _buffers.empty((self.capacity,) + old.shape[1:], old.dtype)
        self._done.detach()
        _buffers.release(old)
        self._done = weakref.finalize(self, _buffers.release, self.buf)
        self._put(a, rows)

    def _put(self, at: int, rows: np.ndarray) -> None:
        n = rows.shape[0]
        p = at % self.capacity
        first = min(n, self.capacity - p)
        self.buf[p : p + first] = rows[:first]
        if first < n:
            self.buf[: n - first] = rows[first:]

    def write(self, rows: np.ndarray) -> None:
        n = rows.shape[0]
        if n >= self.capacity:
            rows = rows[n - self.capacity :]
            self.end += n - self.capacity
            n = self.capacity
        self._put(self.end, rows)
        self.end += n

    def stage(self, at: int, rows: np.ndarray) -> None:
        """Store ``rows`` as absolute rows ``at..`` (at >= end, within the
        reserved room) without making them readable."""
        self._put(at, rows)

    def commit(self, n: int) -> None:
        """Make the next ``n`` staged rows readable."""
        self.end += n

    def column_min(self, a: int, b: int, col: int) -> float:
        """Smallest value of column ``col`` over rows ``[a, b)`` (as ``get``
        clips them), without copying; +inf when there is none."""
        a = max(int(a), self.start)
        b = min(int(b), self.end)
        if b <= a:
            return math.inf
        pa = a % self.capacity
        pb = pa + (b - a)
        low = float(self.buf[pa : min(pb, self.capacity), col].min())
        if pb > self.capacity:
            low = min(low, float(self.buf[: pb - self.capacity, col].min()))
        return low

    def get(self, a: int, b: int) -> tuple[np.ndarray, int]:
        a = max(int(a), self.start)
        b = min(int(b), self.end)
        if b <= a:
            return self.buf[:0].copy(), a
        pa = a % self.capacity
        pb = pa + (b - a)
        if pb <= self.capacity:
            return self.buf[pa:pb].copy(), a
        return np.concatenate([self.buf[pa:], self.buf[: pb - self.capacity]]), a
