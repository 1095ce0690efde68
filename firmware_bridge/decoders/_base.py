"""The sans-I/O decoder contract shared by every board protocol (style.md §2).

A decoder turns the bytes a board sends into ``dsp.Chunk`` blocks and does no
I/O at all: ``feed(data)`` takes whatever a ``read()`` or a BLE notification
returned (any split, even one byte) and returns the chunks completed by it.
The same object therefore serves the serial reader, the BLE handler, a byte
dump replayed from a file and the tests.

Bad bytes from the device are counted and resynchronised, never raised: a
sensor cannot be told off. A decoder raises only on misuse (``TypeError`` for
a non-bytes argument) or when no valid packet turned up in a bounded window
(``SourceError``: "no Cyton packets in the first 4096 bytes: is this the right
board?"). After that error every later ``feed`` fails with the same message,
like h11's ERROR state.

Loss travels with the data: a gap found from a packet counter becomes
``Chunk.lost`` on the next chunk (the consumer turns it into NaN rows), and
``Chunk.t0`` counts the lost samples, so the time axis never slips.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from dsp import Chunk, SourceError

#: Bytes without one valid packet after which a decoder gives up (style.md §2).
DEFAULT_SEARCH_WINDOW = 4096


@dataclass
class DecoderCounters:
    """What a decoder has seen so far; all counts since the decoder was made.

    Attributes
    ----------
    bytes_in : int
        Bytes passed to ``feed``.
    packets : int
        Valid packets (or lines) decoded.
    corrupt_bytes : int
        Bytes discarded because they were not part of a valid packet (noise,
        a banner, a partial first line, a packet with a broken footer).
    resyncs : int
        Times a valid packet was found again after discarded bytes.
    lost_packets : int
        Packets the counter says never arrived.
    lost_samples : int
        Samples (rows) those packets held; the sum of ``Chunk.lost``.
    """

    bytes_in: int = 0
    packets: int = 0
    corrupt_bytes: int = 0
    resyncs: int = 0
    lost_packets: int = 0
    lost_samples: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for logs and the monitor's status line)."""
        return asdict(self)


def unsigned_rails(bits: int, offset: float, scale: float) -> tuple[float, float]:
    """What an unsigned ``bits``-bit converter's codes 0 and 2^bits - 1 read as,
    for values ``(code - offset) * scale``."""
    return (0.0 - offset) * scale, (2.0**bits - 1 - offset) * scale


class Decoder:
    """Base class: buffering, chunk assembly, counters and the search window.

    A subclass sets ``fs``, ``channels`` and ``name`` and implements
    ``_decode()``, which consumes ``self._buf`` and returns a list of
    ``(lost_samples_before, rows)`` segments with ``rows`` shaped
    (n, n_channels) in the decoder's units. It removes the bytes it consumed
    from ``self._buf``, calls ``self._discard(n)`` to count bytes it threw
    away and ``self._accept()`` for each valid packet.

    Attributes
    ----------
    fs : float
        Sampling rate, Hz.
    channels : tuple of str
    units : str
        ``"uV"``, or ``"raw"`` when the board's counts could not be converted.
    rails : (lowest, highest) or None
        The values the board's lowest and highest ADC codes decode to, each a
        number or one per channel (``dsp.Pipeline``'s ``rails``); None when
        unknown.
    counters : DecoderCounters
    """

    name: str = "board"
    #: Samples after which the board's packet counter wraps (None: no counter, or an unknown wrap).
    counter_period: int | None = None
    #: One counter step is one sample, so a long gap can be unwrapped with a host-clock hint.
    _unwrappable: bool = False
    fs: float = 0.0
    channels: tuple[str, ...] = ()
    units: str = "uV"
    rails: tuple | None = None

    def __init__(self, search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        if int(search_window) < 1:
            raise ValueError(f"search_window must be a number of bytes >= 1, got {search_window!r}")
        self.search_window = int(search_window)
        self.counters = DecoderCounters()
        self._buf = bytearray()
        self._in_garbage = False
        self._n_time = 0  # samples delivered + lost: the clock of Chunk.t0
        self._pending_lost = 0
        self._error: str | None = None
        self._head = bytearray()
        self._gap_hint: int | None = None

    # -- helpers for subclasses ------------------------------------------------------
    def _discard(self, n: int) -> None:
        """Count ``n`` bytes thrown away as corrupt (the subclass removes them from the buffer)."""
        self.counters.corrupt_bytes += n
        self._in_garbage = True

    def _accept(self) -> None:
        """Count one valid packet; a packet after discarded bytes is a resync."""
        self.counters.packets += 1
        if self._in_garbage:
            self.counters.resyncs += 1
            self._in_garbage = False

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        raise NotImplementedError(f"{type(self).__name__} must implement _decode()")

    # -- the public API --------------------------------------------------------------
    def feed(self, data: bytes) -> list[Chunk]:
        """Decode the next bytes of the stream.

        Parameters
        ----------
        data : bytes, bytearray or memoryview
            Any number of bytes (0 is allowed and returns nothing), split anywhere.

        Returns
        -------
        list of dsp.Chunk
            Chunks completed by these bytes, in order; samples in µV (or raw
            units, see ``units``), ``lost`` set after a gap.

        Raises
        ------
        TypeError
            ``data`` is not bytes-like.
        SourceError
            No valid packet in the first ``search_window`` bytes.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"{type(self).__name__}.feed expects bytes, got {type(data).__name__}")
        if self._error is not None:
            raise SourceError(self._error)
        self.counters.bytes_in += len(data)
        if len(self._head) < 32:
            # Kept for the "wrong board?" message: the first bytes say what the device speaks.
            self._head += bytes(data[: 32 - len(self._head)])
        self._buf += data
        segments = self._decode()
        if self.counters.packets == 0 and self.counters.corrupt_bytes >= self.search_window:
            self._error = (
                f"no {self.name} packets in the first {self.counters.corrupt_bytes} bytes: is this the right board "
                f"(and baud rate)? First bytes: {bytes(self._head)!r}"
            )
            raise SourceError(self._error)
        return self._assemble(segments)

    def add_gap(self, n_samples: int) -> None:
        """Report ``n_samples`` lost outside the byte stream (e.g. while a port was reconnecting).

        The next chunk carries them in ``lost``; the buffer and the packet
        counter's expectation are cleared, so the next packet starts afresh.
        """
        if int(n_samples) < 0:
            raise ValueError(f"n_samples must be >= 0, got {n_samples!r}")
        self._pending_lost += int(n_samples)
        self.counters.lost_samples += int(n_samples)
        self.counters.corrupt_bytes += len(self._buf)
        self._buf.clear()
        self._reset_sync(keep_counter=False)

    def note_gap(self, gap_s: float, reopened: bool = True) -> int:
        """The byte stream stopped for ``gap_s`` s; account for the samples missed.

        Parameters
        ----------
        gap_s : float
            Host-clock seconds without data (a port reconnect, or a radio silence).
        reopened : bool
            True when the link was reopened: a partial packet in the buffer is
            then dropped (counted as corrupt). False for a silence on a link
            that stayed open, where the buffer is kept.

        Returns
        -------
        int
            Samples added as lost from the host clock (0 when the counter will tell).

        Notes
        -----
        An 8-bit counter cannot tell 10 lost packets from 266 (protocols.md §1
        "Packet-loss detection"). Where one counter step is one sample
        (Cyton, Daisy frames, Chords), the gap becomes a hint: the next
        counter gap is unwrapped by whole counter periods to be nearest
        ``round(gap_s * fs)``, which is exact while the host clock errs by less
        than half a period (0.5 s on a Cyton). Other decoders trust the counter
        only for gaps under half its period and otherwise add the host-clock
        estimate (``add_gap``), resetting the counter.
        """
        if not gap_s >= 0:
            raise ValueError(f"gap_s must be seconds >= 0, got {gap_s!r}")
        n = round(gap_s * self.fs)
        if reopened:
            self.counters.corrupt_bytes += len(self._buf)
            self._buf.clear()
        if self.counter_period is not None and (self._unwrappable or n < self.counter_period // 2):
            if self._unwrappable:
                self._gap_hint = n
            if reopened:
                self._reset_sync(keep_counter=True)
            return 0
        if not reopened:
            return 0  # a silence with no counter to unwrap: nothing is known to be lost
        self.add_gap(n)
        return n

    def _unwrap(self, lost: int) -> int:
        """Add whole counter periods to a counter gap, to come nearest the host-clock hint (if any)."""
        hint, self._gap_hint = self._gap_hint, None
        if hint is None or not self.counter_period:
            return lost
        return lost + max(0, round((hint - lost) / self.counter_period)) * self.counter_period

    def _reset_sync(self, keep_counter: bool) -> None:
        """Forget a partial packet's state, and the expected counter unless ``keep_counter`` (a subclass hook)."""

    def _assemble(self, segments: list[tuple[int, np.ndarray]]) -> list[Chunk]:
        """Join segments into chunks; a segment with loss before it starts a new chunk."""
        chunks: list[Chunk] = []
        rows: list[np.ndarray] = []
        lost = 0
        for seg_lost, seg in segments:
            seg_lost += self._pending_lost
            self._pending_lost = 0
            if seg_lost and rows:
                chunks.append(self._chunk(rows, lost))
                rows, lost = [], 0
            if seg_lost:
                lost = seg_lost
                self._n_time += seg_lost
            rows.append(seg)
        if rows:
            chunks.append(self._chunk(rows, lost))
        return chunks

    def _chunk(self, rows: list[np.ndarray], lost: int) -> Chunk:
        data = np.concatenate(rows, axis=0) if len(rows) > 1 else rows[0]
        t0 = self._n_time / self.fs
        self._n_time += data.shape[0]
        return Chunk(data, self.fs, t0, self.channels, lost=lost)

    def __repr__(self) -> str:
        c = self.counters
        return (f"<{type(self).__name__} fs={self.fs:g} Hz, {len(self.channels)} ch, {c.packets} packets, "
                f"{c.corrupt_bytes} corrupt bytes, {c.resyncs} resyncs, {c.lost_packets} lost packets>")
