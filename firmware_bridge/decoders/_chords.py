"""Upside Down Labs "Chords" serial packets (BioAmp sensors on Arduino-class boards; protocols.md §5).

Wire format (Chords-Arduino-Firmware ``UNO-R3.ino``, chordspy ``chords_serial.py``)::

    C7 7C | counter u8 | ch1_hi ch1_lo ... chN_hi chN_lo | 01      (2N + 4 bytes)

Values are unsigned 16-bit big-endian raw ADC counts; the counter increments
per packet and wraps at 256. Text commands end in a newline: ``WHORU``,
``START``, ``STOP``; any other byte sent while streaming stops an UNO-R3.

Boards (``BOARDS``: rate Hz, channels, ADC bits) are chordspy's
``supported_boards`` table.

Scale: the stream carries counts. Given ``vref`` (V) and the analogue
front-end ``gain`` (2420 for the Muscle BioAmp Candy/BisCute), µV at the
electrodes = (count - 2**(bits-1)) * vref / 2**bits / gain * 1e6: the BioAmp
output sits at mid-rail, so the mid-scale count is taken as zero (our choice;
the band-pass in ``dsp`` removes any residual offset). Without a gain the
values stay raw counts (``units == "raw"``, channels ``ch1_raw``...).

Resync: find ``C7 7C``, require ``01`` at the end; a packet with an
unexpected counter must be followed by the next ``C7 7C``; otherwise slide one
byte (chordspy does the same slide). Loss: ``(counter - last - 1) mod 256``.
"""

from __future__ import annotations

import math

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder, unsigned_rails

SYNC = b"\xc7\x7c"
END = 0x01
#: name -> (sampling rate Hz, channels, ADC bits), from chordspy's supported_boards.
BOARDS: dict[str, tuple[float, int, int]] = {
    "UNO-R3": (250.0, 6, 10),
    "UNO-R4": (500.0, 6, 14),
    "RPI-PICO-RP2040": (500.0, 3, 12),
    "NANO": (250.0, 8, 10),
    "STM32F4-BLACK-PILL": (500.0, 8, 12),
    "STM32G4-CORE-BOARD": (500.0, 16, 12),
    "MEGA-2560": (250.0, 16, 10),
    "GIGA-R1": (500.0, 6, 16),
    "NPG-LITE": (500.0, 3, 12),
}
#: Gain of the Muscle BioAmp Candy and BisCute front-ends (protocols.md §5).
BIOAMP_GAIN = 2420.0


class ChordsDecoder(Decoder):
    """Decode a Chords serial stream into chunks.

    Parameters
    ----------
    board : str, optional
        A key of ``BOARDS``; sets ``fs``, the channel count and the ADC bits.
    fs, n_channels, adc_bits : optional
        Override (or, without ``board``, give) the rate in Hz, the channel count and the ADC resolution.
    gain : float, optional
        Analogue front-end gain (``BIOAMP_GAIN`` for a Muscle BioAmp); with ``vref`` converts counts to µV.
    vref : float
        ADC reference, V (5.0 on an UNO-R3, 3.3 on most 12-bit boards).
    search_window : int

    Examples
    --------
    >>> dec = ChordsDecoder("UNO-R3")
    >>> packets = b"".join(bytes([0xC7, 0x7C, n]) + bytes(12) + b"\\x01" for n in (0, 1))
    >>> [chunk] = dec.feed(packets)
    >>> chunk.data.shape, chunk.fs, dec.units
    ((2, 6), 250.0, 'raw')
    """

    name = "Chords"

    def __init__(self, board: str | None = None, fs: float | None = None, n_channels: int | None = None,
                 adc_bits: int | None = None, gain: float | None = None, vref: float = 5.0,
                 search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        if board is not None:
            key = board.upper()
            if key not in BOARDS:
                raise ValueError(f"unknown Chords board {board!r}; boards are {sorted(BOARDS)}")
            b_fs, b_n, b_bits = BOARDS[key]
            fs = b_fs if fs is None else fs
            n_channels = b_n if n_channels is None else n_channels
            adc_bits = b_bits if adc_bits is None else adc_bits
        if fs is None or n_channels is None or adc_bits is None:
            raise ValueError("give a Chords board name, or all of fs, n_channels and adc_bits")
        if not (math.isfinite(float(fs)) and float(fs) > 0):
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        if not 1 <= int(n_channels) <= 64:
            raise ValueError(f"n_channels must be 1..64, got {n_channels!r}")
        if not 1 <= int(adc_bits) <= 16:
            raise ValueError(f"adc_bits must be 1..16, got {adc_bits!r}")
        if gain is not None and not (math.isfinite(gain) and gain > 0):
            raise ValueError(f"gain must be a positive number, got {gain!r}")
        self.fs = float(fs)
        self.n_ch = int(n_channels)
        self.adc_bits = int(adc_bits)
        self.packet_size = 2 * self.n_ch + 4
        self.units = "uV" if gain is not None else "raw"
        suffix = "" if gain is not None else "_raw"
        self.channels = tuple(f"ch{i + 1}{suffix}" for i in range(self.n_ch))
        if gain is not None:
            self._offset = float(2 ** (self.adc_bits - 1))
            self._scale = float(vref) / 2**self.adc_bits / float(gain) * 1e6
        else:
            self._offset, self._scale = 0.0, 1.0
        self.rails = unsigned_rails(self.adc_bits, self._offset, self._scale)
        self._expected: int | None = None

    counter_period = 256
    _unwrappable = True  # one packet per sample

    def _reset_sync(self, keep_counter: bool) -> None:
        if not keep_counter:
            self._expected = None

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf, size = self._buf, self.packet_size
        pos = 0
        segments: list[tuple[int, list[int]]] = []
        while len(buf) - pos >= size:
            if buf[pos:pos + 2] != SYNC:
                nxt = buf.find(SYNC, pos + 1)
                end = len(buf) - 1 if nxt < 0 else nxt  # keep a last 0xC7: it may start a sync
                self._discard(end - pos)
                pos = end
                continue
            if buf[pos + size - 1] != END:
                self._discard(1)
                pos += 1
                continue
            count = buf[pos + 2]
            if count != self._expected:
                if len(buf) - pos < size + 2:
                    break
                if buf[pos + size:pos + size + 2] != SYNC:
                    self._discard(1)
                    pos += 1
                    continue
            self._accept()
            lost = 0 if self._expected is None else self._unwrap((count - self._expected) % 256)
            self._expected = (count + 1) % 256
            if lost:
                self.counters.lost_packets += lost
                self.counters.lost_samples += lost
            if lost or not segments:
                segments.append((lost, [pos]))
            else:
                segments[-1][1].append(pos)
            pos += size
        out = []
        if segments:
            arr = np.frombuffer(bytes(buf), dtype=np.uint8)
            for lost, offsets in segments:
                idx = np.asarray(offsets, dtype=np.intp)[:, None] + 3 + np.arange(2 * self.n_ch)[None, :]
                raw = arr[idx].reshape(len(offsets), self.n_ch, 2).astype(np.float64)
                counts = raw[..., 0] * 256.0 + raw[..., 1]
                out.append((lost, ((counts - self._offset) * self._scale).astype(np.float32)))
        del buf[:pos]
        return out

