"""``QueuedSource``: the half of a transport that runs on the caller's thread.

A transport's I/O side (a serial reader thread, a BLE notification handler)
only puts items on a queue and never blocks (style.md §5a):

* ``bytes``: data for the decoder;
* ``("reconnected", gap_s, attempt, reason)``: the link dropped and came back;
* ``("silence", gap_s)``: no bytes for ``gap_s`` s on a link that stayed open;
* ``("failed", message)``: the link is lost for good.

``read()`` drains the queue through the decoder, turns a reconnection into a
warning, a count (``n_reconnects``) and loss in the next chunk, and a failure
into ``SourceError``.
"""

from __future__ import annotations

import queue
import time
import warnings

from dsp import Chunk, SourceError
from firmware_bridge._source import Source
from firmware_bridge.decoders import Decoder, DecoderCounters


class QueuedSource(Source):
    """Base of the transports: a queue of bytes and events in, decoded chunks out.

    Attributes
    ----------
    decoder : Decoder
    n_reconnects : int
        Times the link dropped and was re-established.
    n_silences : int
        Pauses in the byte stream long enough to be reported to the decoder.
    """

    #: Word for the link in messages ("serial port", "BLE device").
    link_name = "link"

    def __init__(self) -> None:
        super().__init__()
        self.decoder: Decoder | None = None
        self.n_reconnects = 0
        self.n_silences = 0
        self._queue: queue.Queue = queue.Queue()
        self._pending: list[Chunk] = []

    @property
    def rails(self) -> tuple | None:  # type: ignore[override]
        """The decoder's rails (what its extreme codes read as), None when unknown."""
        return self.decoder.rails if self.decoder is not None else None

    @property
    def counters(self) -> DecoderCounters:
        """The decoder's counts (corrupt bytes, resyncs, lost packets)."""
        return self.decoder.counters

    def _feed(self, data: bytes) -> list[Chunk]:
        return self.decoder.feed(data)

    def _read_internal(self, timeout: float | None) -> Chunk | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                return None
            self._handle(item)
            # Drain what else has arrived, so one read() catches up with a backlog.
            while True:
                try:
                    self._handle(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not self._pending and deadline is not None and time.monotonic() >= deadline:
                return None
        return self._pending.pop(0)

    def _handle(self, item: bytes | tuple) -> None:
        if isinstance(item, bytes):
            self._pending.extend(self._feed(item))
            return
        if item[0] == "failed":
            raise SourceError(item[1])
        if item[0] == "silence":
            self.n_silences += 1
            self.decoder.note_gap(item[1], reopened=False)
            return
        _, gap_s, attempt, reason = item
        self.n_reconnects += 1
        n_gap = self.decoder.note_gap(gap_s)
        warnings.warn(
            f"{self.link_name} {self.port} dropped ({reason}); reconnected on attempt {attempt} after {gap_s:.2f} s"
            + (f", about {n_gap} samples lost" if n_gap else "; the packet counter will count the samples lost"),
            RuntimeWarning, stacklevel=5)
