"""Upside Down Labs NPG Lite BLE notifications (protocols.md §5 "NPG Lite BLE").

Wire format (chordspy ``chords_ble.py``; NPG-Lite-IDF-Firmware ``main/src/gatt.c``):
one notification holds k samples of 7 bytes each::

    counter u8 | ch1 u16 BE | ch2 u16 BE | ch3 u16 BE

k varies by firmware (chordspy: 10 at 500 Hz; the IDF firmware: 25 at
250 Hz), so it is taken from ``len / 7``. A notification whose length is not a
multiple of 7 was cut (a 175-byte notification under the default ATT MTU of 23
arrives as 20 bytes [run]): it is counted as corrupt, and the samples it held
show up as lost at the next counter.

Values are 12-bit ADC counts; scale as for Chords (``ChordsDecoder``):
µV = (count - 2048) * vref / 4096 / gain * 1e6 when a ``gain`` is given.
Loss: the counter steps once per sample, ``(counter - last - 1) mod 256``.
In a plain byte stream (``feed``) records are taken 7 bytes at a time; a
record with a value above 4095 cannot be one, so the decoder slides a byte.
"""

from __future__ import annotations

import math

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder, unsigned_rails

RECORD = 7
N_CHANNELS = 3
ADC_BITS = 12


class NpgDecoder(Decoder):
    """Decode NPG Lite notifications into chunks.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz (500 with chordspy's firmware, 250 with the IDF firmware).
    gain : float, optional
        Front-end gain (``BIOAMP_GAIN``); without it values stay raw counts.
    vref : float
        ADC reference, V.
    search_window : int

    Examples
    --------
    >>> dec = NpgDecoder(fs=500)
    >>> [chunk] = dec.feed_notification(bytes([0, 0, 1, 0, 2, 0, 3, 1, 0, 4, 0, 5, 0, 6]))
    >>> chunk.data.tolist()
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    """

    name = "NPG Lite"
    counter_period = 256
    _unwrappable = True  # one counter step per sample

    def __init__(self, fs: float = 500.0, gain: float | None = None, vref: float = 3.3,
                 search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        if not (math.isfinite(float(fs)) and float(fs) > 0):
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        if gain is not None and not (math.isfinite(gain) and gain > 0):
            raise ValueError(f"gain must be a positive number, got {gain!r}")
        self.fs = float(fs)
        self.units = "uV" if gain is not None else "raw"
        suffix = "" if gain is not None else "_raw"
        self.channels = tuple(f"ch{i + 1}{suffix}" for i in range(N_CHANNELS))
        if gain is not None:
            self._offset, self._scale = 2.0 ** (ADC_BITS - 1), float(vref) / 2**ADC_BITS / float(gain) * 1e6
        else:
            self._offset, self._scale = 0.0, 1.0
        self.rails = unsigned_rails(ADC_BITS, self._offset, self._scale)
        self._expected: int | None = None

    def _reset_sync(self, keep_counter: bool) -> None:
        if not keep_counter:
            self._expected = None

    def feed_notification(self, payload: bytes) -> list:
        """Decode one notification; one whose length is not a multiple of 7 is counted as corrupt."""
        if len(payload) % RECORD or not payload:
            self.counters.bytes_in += len(payload)
            self._discard(len(payload))
            return []
        return self.feed(payload)

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf = self._buf
        pos = 0
        segments: list[tuple[int, list[list[float]]]] = []
        while len(buf) - pos >= RECORD:
            rec = buf[pos:pos + RECORD]
            values = [rec[1] << 8 | rec[2], rec[3] << 8 | rec[4], rec[5] << 8 | rec[6]]
            if max(values) >= 1 << ADC_BITS:
                self._discard(1)
                pos += 1
                continue
            self._accept()
            count = rec[0]
            lost = 0 if self._expected is None else self._unwrap((count - self._expected) % 256)
            self._expected = (count + 1) % 256
            if lost:
                self.counters.lost_packets += lost
                self.counters.lost_samples += lost
            row = [(v - self._offset) * self._scale for v in values]
            if lost or not segments:
                segments.append((lost, [row]))
            else:
                segments[-1][1].append(row)
            pos += RECORD
        del buf[:pos]
        return [(lost, np.asarray(rows, dtype=np.float32)) for lost, rows in segments]
