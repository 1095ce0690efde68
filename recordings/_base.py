"""The reader contract every format fills in.

A reader subclasses :class:`BaseReader` and writes two hooks, in the manner of
MNE's ``_read_segment_file``:

``_open() -> RecordingInfo``
    Parse the header (and, for text, pre-scan the rows) and describe the file
    with *all* its signal columns.
``_blocks() -> Iterator[ndarray]``
    Yield consecutive float32 blocks of shape (n, n_all_channels), in the
    units the info states, of any size. Memory stays bounded by the block size.

The public ``chunks()`` is written once here: it re-cuts the blocks into
fixed-size :class:`dsp.Chunk` objects, keeps only the requested channels and
stamps ``t0`` from the file start.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

from dsp import Chunk, InputFormatError
from recordings._info import RecordingInfo


class BaseReader:
    """Base class of every file reader (a context manager).

    Parameters
    ----------
    path : path-like
        The file.
    fs : float, optional
        Sampling rate in Hz; overrides what the file says (needed for files
        with neither a rate nor time stamps, e.g. a Myo CSV).
    channels : sequence of str, optional
        Keep only these channels, in this order.
    """

    #: Short format name (the ``format=`` value and ``RecordingInfo.format``).
    name: ClassVar[str] = ""
    #: One line saying what the format is.
    description: ClassVar[str] = ""
    #: Lower-case suffixes this reader is a candidate for.
    suffixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, path: str | Path, *, fs: float | None = None, channels: Sequence[str] | None = None) -> None:
        self.path = Path(path)
        if fs is not None and not (math.isfinite(float(fs)) and float(fs) > 0):
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        self._fs_override = None if fs is None else float(fs)
        self._closed = False
        try:
            full = self._open()
        except BaseException:
            self._closed = True
            self._close()
            raise
        if self._fs_override is not None and self._fs_override != full.fs:
            note = f"{self.path}: rate set by the caller to {self._fs_override:g} Hz (file says {full.fs:g} Hz)"
            full = full.with_changes(fs=self._fs_override, duration_s=None, warnings=(*full.warnings, note))
            if full.n_samples is not None:
                full = full.with_changes(duration_s=full.n_samples / full.fs)
        self._full_info = full
        self._pick = self._select(full, channels)
        pick = self._pick
        self.info = full.with_changes(
            channels=tuple(full.channels[i] for i in pick),
            channel_types=tuple(full.channel_types[i] for i in pick),
            channel_units=tuple(full.channel_units[i] for i in pick),
        )
        units = set(self.info.channel_units)
        self.info = self.info.with_changes(units=units.pop() if len(units) == 1 else "mixed")
        for w in full.warnings:
            warnings.warn(w, stacklevel=3)

    # -- hooks -----------------------------------------------------------------
    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        """Return True when ``head`` (the file's first 64 KiB) looks like this format."""
        return False

    def _open(self) -> RecordingInfo:  # pragma: no cover - every reader overrides
        raise NotImplementedError(f"{type(self).__name__} must implement _open()")

    def _blocks(self) -> Iterator[np.ndarray]:  # pragma: no cover - every reader overrides
        raise NotImplementedError(f"{type(self).__name__} must implement _blocks()")

    def _close(self) -> None:
        """Release file handles (optional hook)."""

    # -- public ----------------------------------------------------------------
    @staticmethod
    def _select(info: RecordingInfo, channels: Sequence[str] | None) -> list[int]:
        if channels is None:
            return list(range(len(info.channels)))
        if isinstance(channels, str):
            channels = [channels]
        pick = []
        for name in channels:
            if name not in info.channels:
                raise ValueError(f"{info.path}: no channel named {name!r}; the file has {', '.join(info.channels)}")
            pick.append(info.channels.index(name))
        if not pick:
            raise ValueError(f"{info.path}: channels=[] selects nothing; the file has {', '.join(info.channels)}")
        return pick

    def chunks(self, chunk_samples: int = 65536) -> Iterator[Chunk]:
        """Yield the recording as consecutive :class:`dsp.Chunk` objects.

        Parameters
        ----------
        chunk_samples : int
            Samples per chunk; the last chunk may be shorter.

        Yields
        ------
        Chunk
            ``t0`` in s from the file start, data in ``info.units``.
        """
        if self._closed:
            raise ValueError(f"{self.path}: reader is closed")
        chunk_samples = int(chunk_samples)
        if chunk_samples < 1:
            raise ValueError(f"chunk_samples must be >= 1, got {chunk_samples}")
        fs = self.info.fs
        names = self.info.channels
        pick = self._pick
        whole = pick == list(range(len(self._full_info.channels)))
        pending: list[np.ndarray] = []
        n_pending = 0
        start = 0
        n_all = len(self._full_info.channels)
        for block in self._blocks():
            if block.ndim != 2 or block.shape[1] != n_all:
                raise InputFormatError(
                    f"{self.path}: reader produced a block of shape {block.shape}, expected (n, {n_all})"
                )
            block = block if whole else block[:, pick]
            pending.append(block)
            n_pending += block.shape[0]
            while n_pending >= chunk_samples:
                joined = pending[0] if len(pending) == 1 else np.concatenate(pending)
                yield Chunk(joined[:chunk_samples], fs, start / fs, names)
                start += chunk_samples
                rest = joined[chunk_samples:]
                pending = [rest] if rest.shape[0] else []
                n_pending = rest.shape[0]
        if n_pending:
            joined = pending[0] if len(pending) == 1 else np.concatenate(pending)
            yield Chunk(joined, fs, start / fs, names)

    def read_all(self) -> np.ndarray:
        """Return every sample as one float32 array, shape (n_samples, n_channels)."""
        parts = [c.data for c in self.chunks(1 << 20)]
        if not parts:
            return np.zeros((0, len(self.info.channels)), dtype=np.float32)
        return np.concatenate(parts)

    def close(self) -> None:
        """Release the file; safe to call twice."""
        if not self._closed:
            self._closed = True
            self._close()

    def __enter__(self) -> BaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(
                f"{self.path}: reader was never closed; use it as a context manager", ResourceWarning, stacklevel=2
            )
            self.close()


class TimeStats:
    """Running statistics of a time-stamp column (constant memory).

    Feeds arrays of time stamps in s; reports the measured rate, the jitter
    (standard deviation of positive steps) and the count of repeated stamps.
    """

    def __init__(self) -> None:
        self.first: float | None = None
        self.last: float | None = None
        self.n = 0
        self.n_rows = 0
        self._first_row = 0
        self._last_row = 0
        self.duplicates = 0
        self.backwards = 0
        self._steps = 0
        self._mean = 0.0
        self._m2 = 0.0

    def feed(self, t: np.ndarray) -> None:
        t = np.asarray(t, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(t))
        base = self.n_rows
        self.n_rows += t.size
        if finite.size == 0:
            return
        if self.first is None:
            self._first_row = base + int(finite[0])
        self._last_row = base + int(finite[-1])
        t = t[finite]
        seq = t if self.last is None else np.concatenate(([self.last], t))
        if self.first is None:
            self.first = float(t[0])
        d = np.diff(seq)
        self.duplicates += int(np.count_nonzero(d == 0))
        self.backwards += int(np.count_nonzero(d < 0))
        pos = d[d > 0]
        if pos.size:
            # Chan's parallel update of the running mean and variance.
            n_b = pos.size
            mean_b = float(pos.mean())
            m2_b = float(((pos - mean_b) ** 2).sum())
            n_a = self._steps
            delta = mean_b - self._mean
            tot = n_a + n_b
            self._mean += delta * n_b / tot
            self._m2 += m2_b + delta * delta * n_a * n_b / tot
            self._steps = tot
        self.n += t.size
        self.last = float(t[-1])

    @property
    def fs(self) -> float | None:
        """Samples per second over the whole span, Hz (None if < 2 stamps).

        Counts rows between the first and last valid stamp, so rows whose stamp
        was unreadable still count as samples.
        """
        if self.n < 2 or self.first is None or self.last is None or self.last <= self.first:
            return None
        return (self._last_row - self._first_row) / (self.last - self.first)

    @property
    def jitter_s(self) -> float | None:
        if self._steps < 2:
            return None
        return math.sqrt(self._m2 / (self._steps - 1))
