"""A fixed-capacity ring of rows addressed by absolute index (samples or blocks)."""

from __future__ import annotations

import numpy as np


class Ring:
    """Keeps the last ``capacity`` rows written; ``get(a, b)`` returns rows
    ``[max(a, oldest), min(b, end))`` and the index of its first row."""

    def __init__(self, capacity: int, n_cols: int, dtype: type = np.float32) -> None:
        self.capacity = max(int(capacity), 1)
        # never read before written (get clips to what was written)
        self.buf = np.empty((self.capacity, n_cols), dtype=dtype)
        self.end = 0  # absolute index one past the last row written

    @property
    def start(self) -> int:
        return max(0, self.end - self.capacity)

    def write(self, rows: np.ndarray) -> None:
        n = rows.shape[0]
        if n >= self.capacity:
            rows = rows[n - self.capacity :]
            self.end += n - self.capacity
            n = self.capacity
        p = self.end % self.capacity
        first = min(n, self.capacity - p)
        self.buf[p : p + first] = rows[:first]
        if first < n:
            self.buf[: n - first] = rows[first:]
        self.end += n

    def write_groups(self, groups: np.ndarray, n: int) -> None:
        """Write the first ``n`` rows of column groups ``groups`` (shape
        (n_groups, >= n, gw); group g holds columns g*gw..), as ``write``
        would write them side by side."""
        n_groups, _, gw = groups.shape
        skip = max(0, n - self.capacity)
        end = self.end + skip
        rows = n - skip
        p = end % self.capacity
        first = min(rows, self.capacity - p)
        n_cols = self.buf.shape[1]
        for g in range(n_groups):
            c0 = g * gw
            c1 = min(n_cols, c0 + gw)
            part = groups[g, skip:n, : c1 - c0]
            self.buf[p : p + first, c0:c1] = part[:first]
            if first < rows:
                self.buf[: rows - first, c0:c1] = part[first:]
        self.end = end + rows

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
