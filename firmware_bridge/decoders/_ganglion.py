"""OpenBCI Ganglion BLE notifications (protocols.md §2).

Wire format: one notification = 20 bytes = packet ID + 19 bytes
(docs.openbci.com Ganglion Data Format; firmware ``compressData18/19``)::

    ID        firmware 2.x                          firmware 3.x
    0         raw: 4 x int24 BE in bytes 1-12       18-bit absolute (range 0..99)
    1-100     18-bit deltas, 2 samples              (0..99: 18-bit absolute, 2 samples)
    101-200   19-bit deltas, 2 samples              (100..199: 19-bit absolute, 2 samples)
    201-205   impedance (ASCII ohms ending 'Z')     same
    206/207   ASCII message part / last part        same

The payload is one MSB-first bit stream: sample 1 ch1..ch4 then sample 2
ch1..ch4, 8 x 18 bits (bytes 1-18) or 8 x 19 bits (bytes 1-19). Sign rule: a
set LSB means negative, sign-extended by subtracting 2**N (the doc's rule; it
reproduces all four published test vectors, BrainFlow's MSB rule does not).

* fw 2: ``delta = last - new``, so ``s1 = last - d1`` and ``s2 = s1 - d2``; an
  ID-0 packet carries one raw sample and reseeds the chain (about once a
  second). A lost packet corrupts every later sample until the next ID 0, so
  samples are delivered as NaN from a loss until then (BrainFlow keeps
  decoding against a stale base).
* fw 3: no deltas; the value is ``field << 6`` (18-bit) or ``<< 5`` (19-bit).
  ⚠ A counter bug wraps every 201 samples, so an ID one past the range (100
  or 200) turns up now and then: it is decoded, and the ring restarts.

Scale: µV/count = 1.2e6 / (8388607 * 1.5 * 51) = 0.00186995 (BrainFlow
``eeg_scale``; the doc's formula has a typo). Rate 200 Hz, 4 channels.

A notification is a frame, so there is no byte-level resync: ``feed`` takes
the stream in 20-byte frames (a BLED112 dongle delivers it so), and
``feed_notification`` takes one notification and counts a wrong length as
corrupt. Loss: the next ID should follow the ring (fw 2: 0 -> 1..100 -> 0 or
0 -> 101..200 -> 0; fw 3: 0..99 or 100..199).
"""

from __future__ import annotations

import numpy as np

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder

FRAME = 20
#: µV per count (protocols.md §2 "Scale").
GANGLION_SCALE = 1.2e6 / (8388607 * 1.5 * 51)


def unpack_bits(payload: bytes, bits: int) -> list[int]:
    """Return the 8 signed values (2 samples x 4 channels) packed MSB first in ``payload``, LSB-sign rule."""
    n_bytes = (8 * bits + 7) // 8
    stream = int.from_bytes(payload[:n_bytes], "big") >> (8 * n_bytes - 8 * bits)
    mask = (1 << bits) - 1
    out = []
    for i in range(8):
        field = (stream >> (bits * (7 - i))) & mask
        out.append(field - (1 << bits) if field & 1 else field)
    return out


class GanglionDecoder(Decoder):
    """Decode OpenBCI Ganglion notifications into µV chunks.

    Parameters
    ----------
    firmware : int
        2 or 3 (the Software Revision String's first digit; BrainFlow assumes 3).
    search_window : int

    Examples
    --------
    >>> dec = GanglionDecoder(firmware=3)
    >>> [chunk] = dec.feed(bytes([0]) + bytes(19) + bytes([1]) + bytes(19))
    >>> chunk.data.shape, chunk.fs
    ((4, 4), 200.0)
    """

    name = "Ganglion"

    def __init__(self, firmware: int = 3, search_window: int = DEFAULT_SEARCH_WINDOW) -> None:
        super().__init__(search_window)
        if firmware not in (2, 3):
            raise ValueError(f"Ganglion firmware must be 2 or 3, got {firmware!r}")
        self.firmware = firmware
        self.fs = 200.0
        self.channels = ("ch1", "ch2", "ch3", "ch4")
        self.rails = (-(2.0**23) * GANGLION_SCALE, (2.0**23 - 1) * GANGLION_SCALE)  # the MCP3912's 24-bit codes
        self.counter_period = 200
        self._last_id: int | None = None
        self._base: list[int] | None = None  # fw 2: last sample, None until an ID-0 packet after a loss
        self.messages: list[str] = []  # fw ASCII messages (IDs 206/207), joined per message
        self._message = ""

    def _reset_sync(self, keep_counter: bool) -> None:
        if not keep_counter:
            self._last_id = None
        self._base = None if self.firmware == 2 else self._base

    def feed_notification(self, payload: bytes) -> list:
        """Decode one BLE notification; a length other than 20 is counted as corrupt and dropped."""
        if len(payload) != FRAME:
            self.counters.bytes_in += len(payload)
            self._discard(len(payload))
            return []
        return self.feed(payload)

    def _missing(self, pid: int) -> list[int]:
        """IDs missing on the ring between the last ID and ``pid``."""
        last = self._last_id
        if last is None:
            return []
        if self.firmware == 2:
            # Two rings share the raw packet 0: 0, 1..100 (18-bit) and 0, 101..200 (19-bit).
            upper = (pid or last) > 100
            ring = [0] + list(range(101, 201) if upper else range(1, 101))
        else:
            lo = 0 if last < 100 else 100
            if pid == lo + 100 or (last == lo + 100 and pid == lo):
                return []  # the 201-sample counter bug's extra ID, and the restart after it
            ring = list(range(lo, lo + 100))
        if last not in ring or pid not in ring:
            return []
        gap = (ring.index(pid) - ring.index(last) - 1) % len(ring)
        start = ring.index(last) + 1
        return [ring[(start + i) % len(ring)] for i in range(gap)]

    def _decode(self) -> list[tuple[int, np.ndarray]]:
        buf = self._buf
        n_frames = len(buf) // FRAME
        segments: list[tuple[int, list[list[float]]]] = []
        for k in range(n_frames):
            frame = bytes(buf[k * FRAME:(k + 1) * FRAME])
            pid = frame[0]
            if pid > 207:
                self._discard(FRAME)
                continue
            if pid >= 201:
                self._accept()
                self._text(pid, frame)
                continue
            self._accept()
            missing = self._missing(pid)
            self._last_id = pid
            rows = self._samples(pid, frame[1:], missing)
            lost = 0
            if missing:
                self.counters.lost_packets += len(missing)
                lost = sum(1 if m == 0 and self.firmware == 2 else 2 for m in missing)  # a raw packet holds 1
                self.counters.lost_samples += lost
            if lost or not segments:
                segments.append((lost, list(rows)))
            else:
                segments[-1][1].extend(rows)
        del buf[:n_frames * FRAME]
        return [(lost, np.asarray(rows, dtype=np.float64).reshape(-1, 4) * GANGLION_SCALE)
                for lost, rows in segments]

    def _samples(self, pid: int, payload: bytes, missing: list[int]) -> list[list[float]]:
        if self.firmware == 3:
            bits = 18 if pid < 100 else 19
            v = unpack_bits(payload, bits)
            shift = 6 if bits == 18 else 5
            return [[x << shift for x in v[:4]], [x << shift for x in v[4:]]]
        if pid == 0:
            raw = [int.from_bytes(payload[3 * i:3 * i + 3], "big", signed=True) for i in range(4)]
            self._base = raw
            return [list(map(float, raw))]
        if missing:
            self._base = None  # the chain is broken until the next raw packet
        d = unpack_bits(payload, 18 if pid <= 100 else 19)
        if self._base is None:
            return [[np.nan] * 4, [np.nan] * 4]
        s1 = [b - x for b, x in zip(self._base, d[:4], strict=True)]
        s2 = [a - x for a, x in zip(s1, d[4:], strict=True)]
        self._base = s2
        return [s1, s2]

    def _text(self, pid: int, frame: bytes) -> None:
        if pid >= 206:
            self._message += frame[1:].decode("ascii", "replace").rstrip("\x00")
            if pid == 207:
                self.messages.append(self._message)
                self._message = ""
