"""PLUX BITalino (r)evolution frames over Bluetooth SPP or USB serial (protocols.md §4).

Wire format (revolution-python-api ``bitalino.py`` ``read()``, cpp-api ``bitalino.cpp``):
a frame has no sync byte; its layout is counted from the end. With ``n`` analog
channels it is ``ceil((12 + 10n) / 8)`` bytes for n <= 4 and
``ceil((52 + 6(n - 4)) / 8)`` for n = 5, 6 (3, 4, 6, 7, 8, 8 bytes)::

    b[-1]  seq[3:0] << 4 | CRC4
    b[-2]  I1 I2 O1 O2 (bits 7..4) | A1[9:6]
    A1 = (b[-2] & 0x0F) << 6 | b[-3] >> 2        A2 = (b[-3] & 0x03) << 8 | b[-4]
    A3 = b[-5] << 2 | b[-6] >> 6                 A4 = (b[-6] & 0x3F) << 4 | b[-7] >> 4
    A5 = (b[-7] & 0x0F) << 2 | b[-8] >> 6        A6 = b[-8] & 0x3F      (A5, A6: 6-bit)

CRC4 (x^4 + x + 1) runs MSB first over the whole frame with the CRC nibble
zeroed. Sequence: 4 bits, +1 per frame (wraps every 16 ms at 1 kHz).

Resync: slide one byte until the CRC passes. A misaligned window passes CRC4
1 time in 16 (6.2 % [run]), so a frame is accepted only if its sequence
number is the expected one, or (after a loss or at the start) if the next
frame also passes and follows it (protocols.md §4 "Resync").

EMG sensor transfer function (PLUX datasheet, protocols.md §4):
µV = (ADC / 2**bits - 1/2) * VCC / G * 1e6 with VCC = 3.3 V, G = 1009, bits = 10
(6 for A5/A6: 51 µV per count, keep EMG on A1-A4). ``emg=False`` keeps raw counts.
"""

from __future__ import annotations

import math

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder

#: Sampling rates the device offers, Hz (rate code 0..3).
RATES = (1.0, 10.0, 100.0, 1000.0)
#: EMG sensor gain and supply (protocols.md §4; the 2014 board used G = 1000).
EMG_GAIN = 1009.0
VCC_V = 3.3


def frame_size(n_channels: int) -> int:
    """Bytes per frame with ``n_channels`` (1..6) analog channels."""
    if not 1 <= n_channels <= 6:
        raise ValueError(f"a BITalino has 1..6 analog channels, got {n_channels!r}")
    bits = 12 + 10 * n_channels if n_channels <= 4 else 52 + 6 * (n_channels - 4)
    return math.ceil(bits / 8)


def crc4(frame: bytes | bytearray) -> int:
    """CRC4 of a frame, computed with its CRC nibble taken as zero (the python API's bitwise loop)."""
    x = 0
    last = len(frame) - 1
    for i, byte in enumerate(frame):
        if i == last:
            byte &= 0xF0
        for bit in range(7, -1, -1):
            x <<= 1
            if x & 0x10:
                x ^= 0x03
            x ^= (byte >> bit) & 1
    return x & 0x0F


def unpack_frame(frame: bytes | bytearray, n_channels: int) -> list[int]:
    """The analog values A1..An (ADC counts) of one frame."""
    b = frame
    values = [((b[-2] & 0x0F) << 6) | (b[-3] >> 2)]
    if n_channels > 1:
        values.append(((b[-3] & 0x03) << 8) | b[-4])
    if n_channels > 2:
        values.append((b[-5] << 2) | (b[-6] >> 6))
    if n_channels > 3:
        values.append(((b[-6] & 0x3F) << 4) | (b[-7] >> 4))
    if n_channels > 4:
        values.append(((b[-7] & 0x0F) << 2) | (b[-8] >> 6))
    if n_channels > 5:
        values.append(b[-8] & 0x3F)
    return values


class BitalinoDecoder(Decoder):
    """Decode BITalino frames into chunks.

    Parameters
    ----------
    n_channels : int
        Analog channels acquired (A1..An, 1..6).
    fs : float
        1, 10, 100 or 1000 Hz.
    emg : bool
        Convert counts with the EMG sensor's transfer function to µV; else raw counts (``units == "raw"``).
    search_window : int

    Examples
    --------
    >>> from firmware_bridge.emulators import encode_bitalino
    >>> import numpy as np
    >>> dec = BitalinoDecoder(n_channels=2, fs=1000)
    >>> [chunk] = dec.feed(encode_bitalino(np.full((4, 2), 512), first_seq=0))
    >>> chunk.data.shape, float(chunk.data[0, 0])
    ((4, 2), 0.0)
    """

    name = "BITalino"
    counter_period = 16
    _unwrappable = True  # one frame per sample

    def __init__(self, n_channels: int = 6, fs: float = 1000.0, emg: bool = True,
                 search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        self.size = frame_size(int(n_channels))
        if float(fs) not in RATES:
            raise ValueError(f"BITalino sampling rate must be one of {RATES} Hz, got {fs!r}")
        self.n_ch = int(n_channels)
        self.fs = float(fs)
        self.units = "uV" if emg else "raw"
        suffix = "" if emg else "_raw"
        self.channels = tuple(f"A{i + 1}{suffix}" for i in range(self.n_ch))
        bits = np.array([10 if i < 4 else 6 for i in range(self.n_ch)], dtype=np.float64)
        self._full = 2.0 ** bits
        self._emg = bool(emg)
        top = self._full - 1.0  # unsigned codes 0 .. 2^bits - 1, per channel
        if self._emg:
            self.rails = (np.full(self.n_ch, -0.5 * VCC_V / EMG_GAIN * 1e6), (top / self._full - 0.5) * VCC_V / EMG_GAIN * 1e6)
        else:
            self.rails = (np.zeros(self.n_ch), top)
        self._expected: int | None = None

    def _reset_sync(self, keep_counter: bool) -> None:
        if not keep_counter:
            self._expected = None

    def _ok(self, start: int) -> bool:
        frame = self._buf[start:start + self.size]
        return crc4(frame) == frame[-1] & 0x0F

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf, size = self._buf, self.size
        pos = 0
        segments: list[tuple[int, list[list[int]]]] = []
        while len(buf) - pos >= size:
            if not self._ok(pos):
                self._discard(1)
                pos += 1
                continue
            seq = buf[pos + size - 1] >> 4
            if seq != self._expected:
                if len(buf) - pos < 2 * size:
                    break  # wait for the next frame to confirm this one
                if not (self._ok(pos + size) and buf[pos + 2 * size - 1] >> 4 == (seq + 1) % 16):
                    self._discard(1)
                    pos += 1
                    continue
            self._accept()
            lost = 0 if self._expected is None else self._unwrap((seq - self._expected) % 16)
            self._expected = (seq + 1) % 16
            if lost:
                self.counters.lost_packets += lost
                self.counters.lost_samples += lost
            values = unpack_frame(buf[pos:pos + size], self.n_ch)
            if lost or not segments:
                segments.append((lost, [values]))
            else:
                segments[-1][1].append(values)
            pos += size
        del buf[:pos]
        out = []
        for lost, rows in segments:
            counts = np.asarray(rows, dtype=np.float64)
            if self._emg:
                counts = (counts / self._full - 0.5) * VCC_V / EMG_GAIN * 1e6
            out.append((lost, counts.astype(np.float32)))
        return out
