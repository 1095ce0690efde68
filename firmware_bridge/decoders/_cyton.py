"""OpenBCI Cyton and Cyton+Daisy serial packets (protocols.md §1).

Wire format, one 33-byte packet per sample (docs.openbci.com Cyton Data Format)::

    byte 0       0xA0 header
    byte 1       sample number 0..255, wraps
    bytes 2-25   8 channels x 24-bit signed two's complement, MSB first
    bytes 26-31  aux (accelerometer / raw aux / time stamp; not decoded here)
    byte 32      footer 0xC0..0xC6

Scale: µV per count = 4.5 V / gain / (2**23 - 1) * 1e6 (0.0223517 at the
default gain 24; protocols.md §1 "Scaling", BrainFlow ``cyton.cpp``).

Framing and resync (protocols.md §1 "Resynchronisation"): a packet is accepted
when byte 0 is 0xA0 and byte 32 a valid footer; otherwise one byte is dropped
and the scan goes on (a 1-byte slide loses only the corrupted packets, where
BrainFlow's 32-byte skip lost twice as many in the [run] test). To reject false
headers inside noise, a packet whose sample number is not the expected one is
also required to be followed by 0xA0 (the next header), so the decoder waits
for one more byte after a gap.

Loss: ``lost = (sn - last - 1) mod 256`` packets; ambiguous at >= 256 lost
(1.024 s), which only host timing can resolve: the serial source reports a
silence or a reconnect with ``note_gap``, and the next gap is unwrapped by
whole counter cycles to the nearest of the host-clock estimate.

Daisy (16 channels): packets alternate between the chips; an even sample
number carries channels 9-16 and the following odd one channels 1-8, which
completes a 125 Hz frame (protocols.md §1 "Daisy", BrainFlow
``cyton_daisy.cpp``). The firmware already averages each chip's current and
previous sample; the very first frame is therefore invalid and is delivered as
NaN. A frame missing either half is dropped and counted as lost.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder

PACKET_SIZE = 33
HEADER = 0xA0
FOOTERS = frozenset(range(0xC0, 0xC7))
#: ADS1299 programmable gains (protocols.md §1 command ``x``: codes 0..6).
GAINS = (1, 2, 4, 6, 8, 12, 24)
#: Full-scale reference of the ADS1299 on the Cyton, V (protocols.md §1 "Scaling").
VREF_V = 4.5


def cyton_scale(gain: int = 24) -> float:
    """Return the Cyton's µV per ADC count at an ADS1299 ``gain``.

    Parameters
    ----------
    gain : int
        One of 1, 2, 4, 6, 8, 12, 24 (the board's default is 24).

    Returns
    -------
    float
        µV per count (0.0223517 at gain 24).
    """
    if gain not in GAINS:
        raise ValueError(f"Cyton gain must be one of {GAINS}, got {gain!r}")
    return VREF_V / gain / (2**23 - 1) * 1e6


def channel_scales(gains: int | Sequence[int], n_channels: int) -> np.ndarray:
    """Per-channel µV/count as float64, shape (n_channels,), from one gain or one per channel."""
    if isinstance(gains, (int, np.integer)):
        gains = [int(gains)] * n_channels
    gains = list(gains)
    if len(gains) != n_channels:
        raise ValueError(f"gains must be one gain or {n_channels} gains (one per channel), got {len(gains)}")
    return np.array([cyton_scale(int(g)) for g in gains], dtype=np.float64)


def _int24(block: np.ndarray) -> np.ndarray:
    """Big-endian 24-bit two's complement, uint8 shape (..., 3) -> int32 shape (...)."""
    b = block.astype(np.int32)
    value = (b[..., 0] << 16) | (b[..., 1] << 8) | b[..., 2]
    return np.where(value >= 1 << 23, value - (1 << 24), value)


class CytonDecoder(Decoder):
    """Decode an OpenBCI Cyton (or Cyton+Daisy) byte stream into µV chunks.

    Parameters
    ----------
    daisy : bool
        True for the 16-channel Cyton+Daisy (frames at half the packet rate).
    gains : int or sequence of int
        ADS1299 gain of every channel, or one per channel (default 24, the
        board's default after ``d`` or ``v``).
    fs : float, optional
        Frame rate in Hz (default 250, or 125 with the Daisy).
    search_window : int
        Bytes without a valid packet after which ``feed`` raises ``SourceError``.

    Examples
    --------
    >>> from firmware_bridge.emulators import encode_cyton
    >>> import numpy as np
    >>> dec = CytonDecoder()
    >>> [chunk] = dec.feed(encode_cyton(np.zeros((5, 8))))
    >>> chunk.data.shape, chunk.fs
    ((5, 8), 250.0)
    """

    name = "Cyton"

    def __init__(self, daisy: bool = False, gains: int | Sequence[int] = 24, fs: float | None = None,
                 search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        self.daisy = bool(daisy)
        n_ch = 16 if self.daisy else 8
        self.fs = float(fs) if fs is not None else (125.0 if self.daisy else 250.0)
        if not self.fs > 0:
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        self.channels = tuple(f"ch{i + 1}" for i in range(n_ch))
        self.counter_period = 128 if self.daisy else 256  # frames per sample-number cycle
        self._unwrappable = True
        self.scales = channel_scales(gains, n_ch)
        # signed 24-bit codes: -2^23 .. 2^23 - 1, per channel's gain
        self.rails = (-(2.0**23) * self.scales, (2.0**23 - 1) * self.scales)
        self._expected: int | None = None  # next sample number
        self._daisy_half: tuple[int, np.ndarray] | None = None  # (sample number, counts of ch9-16)
        self._last_frame: int | None = None
        self._first_frame = True

    def _reset_sync(self, keep_counter: bool) -> None:
        self._daisy_half = None
        if not keep_counter:
            self._expected = None
            self._last_frame = None

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf = self._buf
        pos = 0
        # Segments of accepted packets: (lost samples before, [offsets of packets or (daisy, board) pairs]).
        segments: list[tuple[int, list]] = []
        while len(buf) - pos >= PACKET_SIZE:
            if buf[pos] != HEADER:
                nxt = buf.find(HEADER, pos + 1)
                end = len(buf) if nxt < 0 else nxt
                self._discard(end - pos)
                pos = end
                continue
            if buf[pos + 32] not in FOOTERS:
                self._discard(1)
                pos += 1
                continue
            sn = buf[pos + 1]
            if sn != self._expected:
                # Unexpected counter: only trust the packet if the next header follows it.
                if len(buf) - pos < PACKET_SIZE + 1:
                    break
                if buf[pos + PACKET_SIZE] != HEADER:
                    self._discard(1)
                    pos += 1
                    continue
            self._accept()
            gap = 0 if self._expected is None else (sn - self._expected) % 256
            self._expected = (sn + 1) % 256
            if self.daisy:
                self.counters.lost_packets += gap
                self._take_daisy(sn, pos, segments)
            else:
                gap = self._unwrap(gap)  # one packet per sample: a host-clock hint can unwrap the counter
                self.counters.lost_packets += gap
                self._take(gap, pos, segments)
            pos += PACKET_SIZE
        out = [(lost, self._values(items)) for lost, items in segments]
        del buf[:pos]
        return out

    def _take(self, lost: int, pos: int, segments: list) -> None:
        self.counters.lost_samples += lost
        if lost or not segments:
            segments.append((lost, [pos]))
        else:
            segments[-1][1].append(pos)

    def _take_daisy(self, sn: int, pos: int, segments: list) -> None:
        counts = self._counts_at(pos)
        if sn % 2 == 0:
            self._daisy_half = (sn, counts)
            return
        half, self._daisy_half = self._daisy_half, None
        if half is None or half[0] != (sn - 1) % 256:
            return  # the Daisy half is missing: the frame is dropped (counted as lost at the next frame)
        frame = sn // 2  # 0..127: one counter cycle holds 128 frames
        lost = 0
        if self._last_frame is not None:
            lost = (frame - self._last_frame - 1) % 128
            unwrapped = self._unwrap(lost)
            self.counters.lost_packets += 2 * (unwrapped - lost)  # whole counter cycles the counter could not see
            lost = unwrapped
        self._last_frame = frame
        self.counters.lost_samples += lost
        item = np.concatenate([counts, half[1]])
        if lost or not segments:
            segments.append((lost, [item]))
        else:
            segments[-1][1].append(item)

    def _counts_at(self, pos: int) -> np.ndarray:
        """int32 counts, shape (8,), of the packet at buffer offset ``pos``."""
        raw = np.frombuffer(bytes(self._buf[pos + 2:pos + 26]), dtype=np.uint8)
        return _int24(raw.reshape(8, 3))

    def _values(self, items: list) -> np.ndarray:
        if not self.daisy:
            arr = np.frombuffer(bytes(self._buf), dtype=np.uint8)
            idx = np.asarray(items, dtype=np.intp)[:, None] + np.arange(2, 26)[None, :]
            counts = _int24(arr[idx].reshape(len(items), 8, 3))
        else:
            counts = np.stack(items)  # board ch1-8 then Daisy ch9-16
        values = (counts * self.scales).astype(np.float32)
        if self.daisy and self._first_frame and len(values):
            # The firmware averages with the previous sample, which the first frame does not have.
            values[0] = np.nan
            self._first_frame = False
        return values
