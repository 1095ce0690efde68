"""Sources the app adds on top of ``firmware_bridge``: ``file://`` replay.

URL form::

    file://PATH[?speed=X][&chunk=N][&fs=HZ][&format=NAME]

* ``speed``: 1 = real time (default), X = X times faster, 0 = as fast as possible.
* ``chunk``: samples per chunk (default: 0.1 s worth, like a board's packets).
* ``fs``, ``format``: as ``emgwatch analyze --fs/--format`` for files that need them.

Example: ``emgwatch monitor file://night.bdf?speed=10``.

``file://`` lives here, not in ``firmware_bridge``, because reading files is
the ``recordings`` layer's job and ``firmware_bridge`` sits below it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from dsp import Chunk, UnknownSourceError
from firmware_bridge import Source, open_source, parse_source_url, register_source

_FORM = "file://PATH?speed=X&chunk=N&fs=HZ&format=NAME"
_OPTIONS = {"speed": float, "chunk": int, "fs": float, "format": str}


class FileSource(Source):
    """Replays a recording as if it came from a board, paced by ``speed``."""

    def __init__(self, path: str | Path, *, speed: float = 1.0, chunk_samples: int | None = None,
                 fs: float | None = None, format: str | None = None) -> None:
        super().__init__()
        from recordings import open_recording

        if not speed >= 0:
            raise ValueError(f"speed must be >= 0 (0 = as fast as possible), got {speed!r}")
        self._reader = open_recording(path, fs=fs, format=format)
        info = self._reader.info
        self.fs = float(info.fs)
        self.channels = tuple(info.channels)
        self.speed = float(speed)
        n = chunk_samples if chunk_samples else max(1, round(0.1 * self.fs))
        if n < 1:
            raise ValueError(f"chunk must be >= 1 sample, got {chunk_samples!r}")
        self._chunks: Iterator[Chunk] = self._reader.chunks(n)
        self._t_start = time.monotonic()
        self._sent_s = 0.0

    @classmethod
    def from_url(cls, url: str) -> FileSource:
        path, opts = parse_source_url(url, _OPTIONS, _FORM)
        if not path:
            raise UnknownSourceError(f"{url!r} names no file; expected {_FORM}")
        src = cls(path, speed=opts.get("speed", 1.0), chunk_samples=opts.get("chunk"), fs=opts.get("fs"),
                  format=opts.get("format"))
        src.url = url
        return src

    def _read_internal(self, timeout: float | None) -> Chunk | None:
        chunk = next(self._chunks, None)
        if chunk is None:
            self._mark_finished()
            return None
        self._sent_s = chunk.t_end
        if self.speed > 0:
            # Deliver a block once its last sample "has been acquired", like a board.
            delay = self._t_start + self._sent_s / self.speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return chunk

    def _close_internal(self) -> None:
        self._reader.close()


register_source("file", FileSource.from_url)


def open_any_source(url: str) -> Source:
    """Open a source URL; a bare path means ``file://PATH`` at real time."""
    if "://" not in url and Path(url).exists():
        url = f"file://{url}"
    return open_source(url)
