"""Arduino-style ASCII lines: one sample per line (protocols.md §6).

Wire format: each line holds numbers separated by commas, spaces or tabs
(``[,\\t ]+``), optionally labelled (``ENV:123,RAW:456``, the Arduino Serial
Plotter protocol), and ends in ``\\r\\n`` (``Serial.println``), ``\\n`` or
``\\r``. Optionally the first column is a sample counter and further leading
columns (e.g. ``micros()``) are skipped::

    512,498\\r\\n                      # channels=2
    17,1023456,512,498\\r\\n           # channels=2, counter=1, skip=1

Such a stream has no checksum and no rate: ``fs`` must be given. Values are
ADC counts; they become µV only when a ``scale`` (µV per count, after
subtracting ``offset`` counts) is given. Otherwise ``units`` is ``"raw"`` and
the channel names say so (``ch1_raw``).

Loss: with a counter column, ``counter - last - 1`` lines are lost (a counter
that goes back is a restart: counted as a resync, no loss). Without one, a
malformed line between two good ones is taken as one lost sample, so the time
axis keeps its length; a banner or the partial first line after the port
opens is only counted in ``corrupt_bytes`` (line ends are not counted, so
the count does not depend on how ``\r\n`` was split). Lines longer than ``max_line``
bytes are discarded (bounded memory).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder

_SEP = re.compile(rb"[,\t ]+")
_EOL = re.compile(rb"\r\n|\r|\n")


class AsciiDecoder(Decoder):
    """Decode ASCII sample lines into chunks.

    Parameters
    ----------
    fs : float
        Sampling rate the board runs at, Hz (the lines do not carry it).
    channels : int or sequence of str
        Number of value columns, or their names.
    scale : float, optional
        µV per ADC count; without it values stay in raw units (``units == "raw"``).
    offset : float
        Counts subtracted before scaling (e.g. 512 for a 10-bit ADC biased at mid-rail).
    counter : bool
        The first column is a sample counter (integer, +1 per line).
    skip : int
        Leading columns to ignore after the counter (e.g. a time stamp).
    drop_first_line : bool
        Discard everything up to the first line end: after a port opens, the
        first line is usually a fragment.
    max_line : int
        Longest line accepted, bytes.
    search_window : int
        Bytes without one valid line after which ``feed`` raises ``SourceError``.

    Examples
    --------
    >>> dec = AsciiDecoder(fs=1000, channels=2)
    >>> [chunk] = dec.feed(b"512,498\\r\\n510\\t500\\r\\n")
    >>> chunk.data.tolist(), chunk.channels, dec.units
    ([[512.0, 498.0], [510.0, 500.0]], ('ch1_raw', 'ch2_raw'), 'raw')
    """

    name = "ASCII sample-line"

    def __init__(self, fs: float, channels: int | Sequence[str] = 1, scale: float | None = None, offset: float = 0.0,
                 counter: bool = False, skip: int = 0, drop_first_line: bool = False, max_line: int = 256,
                 search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        fs = float(fs)
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        if scale is not None and not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number of µV per count, got {scale!r}")
        if int(skip) < 0:
            raise ValueError(f"skip must be a number of columns >= 0, got {skip!r}")
        if int(max_line) < 8:
            raise ValueError(f"max_line must be >= 8 bytes, got {max_line!r}")
        self.fs = fs
        self.units = "uV" if scale is not None else "raw"
        if isinstance(channels, (int, np.integer)):
            if channels < 1:
                raise ValueError(f"channels must be >= 1, got {channels!r}")
            suffix = "" if scale is not None else "_raw"
            self.channels = tuple(f"ch{i + 1}{suffix}" for i in range(int(channels)))
        else:
            self.channels = tuple(str(c) for c in channels)
            if not self.channels:
                raise ValueError("channels must name at least one channel")
        self.scale = scale
        self.offset = float(offset)
        self.counter = bool(counter)
        self.skip = int(skip)
        self.max_line = int(max_line)
        self._n_lead = int(self.counter) + self.skip
        self._drop_first = self._drop_first_cfg = bool(drop_first_line)
        self._last_counter: int | None = None
        self._bad_since_good = 0

    def _reset_sync(self, keep_counter: bool) -> None:
        # After a gap the first line is a fragment again; the counter's wrap is unknown, so it is not kept.
        self._drop_first = self._drop_first_cfg
        self._last_counter = None
        self._bad_since_good = 0

    def _parse(self, line: bytes) -> tuple[int | None, list[float]] | None:
        """Return (counter, values) of a good line, or None."""
        fields = [f for f in _SEP.split(line.strip()) if f]
        if len(fields) != self._n_lead + len(self.channels):
            return None
        try:
            numbers = [float(f.rpartition(b":")[2]) for f in fields]
        except ValueError:
            return None
        if not all(math.isfinite(v) for v in numbers):
            return None
        count = None
        if self.counter:
            if numbers[0] != int(numbers[0]) or numbers[0] < 0:
                return None
            count = int(numbers[0])
        return count, numbers[self._n_lead:]

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf = self._buf
        if self._drop_first:
            m = _EOL.search(buf)
            if m is None:
                if len(buf) > self.max_line:
                    self._discard(len(buf))
                    buf.clear()
                return []
            self._discard(m.start())
            del buf[:m.end()]
            self._drop_first = False
        segments: list[tuple[int, list[list[float]]]] = []
        pos = 0
        for m in _EOL.finditer(buf):
            line = bytes(buf[pos:m.start()])
            pos = m.end()
            if not line.strip():
                continue  # the \n of a \r\n split across feeds, or a blank line
            parsed = self._parse(line) if len(line) <= self.max_line else None
            if parsed is None:
                self._discard(len(line))
                self._bad_since_good += 1
                continue
            self._take(parsed, segments)
        del buf[:pos]
        if len(buf) > self.max_line:
            # No line end within max_line bytes: binary noise or the wrong baud rate.
            self._discard(len(buf))
            self._bad_since_good += 1
            buf.clear()
        return [(lost, np.asarray(rows, dtype=np.float64)) for lost, rows in segments if rows]

    def _take(self, parsed: tuple[int | None, list[float]], segments: list) -> None:
        count, values = parsed
        first = self.counters.packets == 0
        self._accept()
        lost = 0
        if count is not None:
            if self._last_counter is not None:
                gap = count - self._last_counter - 1
                if gap >= 0:
                    lost = gap
                else:
                    self.counters.resyncs += 1  # the counter restarted (board reset)
            self._last_counter = count
        elif not first:
            lost = self._bad_since_good  # a mangled line between good ones was a sample
        self._bad_since_good = 0
        if lost:
            self.counters.lost_packets += lost
            self.counters.lost_samples += lost
        row = np.asarray(values, dtype=np.float64)
        if self.scale is not None:
            row = (row - self.offset) * self.scale
        if lost or not segments:
            segments.append((lost, [row]))
        else:
            segments[-1][1].append(row)

    def _assemble(self, segments: list[tuple[int, np.ndarray]]) -> list:
        return super()._assemble([(lost, rows.astype(np.float32)) for lost, rows in segments])
