"""A Cyton dongle on a pseudo-terminal: ``CytonEmulator`` (protocols.md §9a "pty pair").

The emulator owns the master side of ``os.openpty()``; the serial source opens
the slave path exactly as it opens ``/dev/ttyUSB0``. It answers the commands
a client sends (``v`` -> a firmware-3 banner ending in ``$$$``, ``b`` start,
``s`` stop, ``d`` -> defaults, ``x CH P G I B S2 S1 X`` -> that channel's gain) and streams the packets ``encode_cyton`` makes
from a µV array (e.g. ``simulate(...).data``), paced at the board's rate or
as fast as the pty takes them. Faults are injected where a real link has them:
packets dropped (NaN rows), garbage bytes after chosen packets, and
``unplug()``, which makes the port vanish for a while and come back under the
same path (a symlink), as a USB dongle re-enumerates.

Pitfalls handled (protocols.md §9a): the slave is put in raw mode before
anything is written, and one slave fd stays open, so the master never sees
EIO when a client closes its side; a pty ignores the baud rate, so the
emulator paces itself. POSIX only.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
import tty
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import numpy as np

from firmware_bridge.decoders._cyton import GAINS
from firmware_bridge.emulators._cyton_codec import encode_cyton

PACKET_SIZE = 33


def _banner(daisy: bool) -> bytes:
    lines = ["OpenBCI V3 8-16 channel", "On Board ADS1299 Device ID: 0x3E"]
    if daisy:
        lines.append("On Daisy ADS1299 Device ID: 0x3E")
    lines += ["LIS3DH Device ID: 0x33", "Firmware: v3.1.2", "$$$"]
    return "\n".join(lines).encode()


class CytonEmulator:
    """Stream Cyton packets of ``data_uv`` over a pty pair, in a thread.

    Parameters
    ----------
    data_uv : ndarray, shape (n_samples, 8 or 16), µV
        What the board measures; NaN rows are packets the radio drops.
    fs : float, optional
        Frame rate the stream is paced at, Hz (default 250, or 125 with 16 channels).
    speed : float
        1 = real time; 0 = as fast as the pty accepts.
    garbage : mapping of int to bytes
        Bytes written after the packet of that sample index (noise on the line).
    link : str or path-like, optional
        A symlink to the slave, which ``unplug`` re-points at a new pty; ``port`` returns it.
    gains : int or sequence of int
        The channels' ADS1299 gains at power-up; ``x...X`` commands change them.

    Attributes
    ----------
    port : str
        The path a client opens.
    received : bytearray
        Every byte the client sent (commands).
    n_sent : int
        Sample rows handled so far (sent or dropped).
    """

    def __init__(self, data_uv: np.ndarray, fs: float | None = None, speed: float = 1.0,
                 garbage: Mapping[int, bytes] | None = None, link: str | os.PathLike | None = None,
                 gains: int | list[int] = 24) -> None:
        data = np.asarray(data_uv, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] not in (8, 16):
            raise ValueError(f"data_uv must have shape (n_samples, 8 or 16), got {data.shape}")
        if not speed >= 0:
            raise ValueError(f"speed must be >= 0 (0 = unpaced), got {speed!r}")
        self.daisy = data.shape[1] == 16
        self.fs = float(fs) if fs is not None else (125.0 if self.daisy else 250.0)
        self.speed = float(speed)
        self._data = data
        self._garbage = dict(garbage or {})
        n_ch = data.shape[1]
        self.gains = [int(gains)] * n_ch if isinstance(gains, (int, np.integer)) else [int(g) for g in gains]
        self._setting: str | None = None
        self._encode()
        self.received = bytearray()
        self.n_sent = 0
        self._streaming = False
        self._t_stream = 0.0
        self._n_at_start = 0
        self._out = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._down_until = 0.0
        self.link = Path(link) if link is not None else None
        self._open_pty()
        self._thread = threading.Thread(target=self._run, name="cyton-emulator", daemon=True)
        self._thread.start()

    def _encode(self) -> None:
        """Encode every row with the current gains (a channel command changes them, as on the board)."""
        per_row = 2 if self.daisy else 1
        rows = []
        for i in range(len(self._data)):
            # Row by row with the right sample number; a NaN row encodes to nothing.
            pkt = encode_cyton(self._data[i:i + 1], gains=self.gains, first_sample_number=(i * per_row) % 256)
            rows.append(pkt + bytes(self._garbage.get(i, b"")))
        self._rows = rows

    # -- the pty -----------------------------------------------------------------------
    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # before anything is written, or echo and CR/LF translation corrupt bytes
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self.slave_name = os.ttyname(slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            if tmp.is_symlink():
                tmp.unlink()
            tmp.symlink_to(self.slave_name)
            tmp.replace(self.link)

    def _close_pty(self) -> None:
        if self.link is not None and self.link.is_symlink():
            # The device node goes away with the device; a stale link could reach a pty that the
            # system has since handed to another program.
            self.link.unlink()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self._master = self._slave = -1

    @property
    def port(self) -> str:
        return str(self.link) if self.link is not None else self.slave_name

    @property
    def done(self) -> bool:
        """True once every row has been sent (or dropped) and the output drained."""
        with self._lock:
            return self.n_sent >= len(self._rows) and not self._out

    def unplug(self, down_s: float) -> None:
        """Make the port vanish for ``down_s`` s, then reappear at ``port`` (the board keeps sampling)."""
        with self._lock:
            self._down_until = time.monotonic() + down_s
            self._close_pty()
            self._out.clear()

    # -- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                down = self._master < 0
                if down and time.monotonic() >= self._down_until:
                    self._open_pty()
                    down = False
                if not down:
                    self._serve()
            if down:
                with self._lock:
                    self._advance(drop=True)
            time.sleep(0.002)

    def _serve(self) -> None:
        try:
            ready, _, _ = select.select([self._master], [], [], 0)
            if ready:
                self._command(os.read(self._master, 1024))
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EIO):
                raise
        self._advance(drop=False)
        if self._out:
            try:
                n = os.write(self._master, self._out)
                del self._out[:n]
            except BlockingIOError:
                pass  # the client is not reading: keep the bytes, as a UART's FIFO would until it overflows

    def _command(self, data: bytes) -> None:
        self.received += data
        for byte in data:
            ch = chr(byte)
            if self._setting is not None:
                # Inside "x CH P G I B S2 S1 X": collect up to the closing X (protocols.md §1).
                self._setting += ch
                if ch == "X":
                    self._channel_setting(self._setting)
                    self._setting = None
                continue
            if ch == "x":
                self._setting = ""
            elif ch == "v":
                self._streaming = False
                self._out += _banner(self.daisy)
            elif ch == "d":
                self._out += b"updating channel settings to default$$$"
            elif ch == "b" and not self._streaming:
                self._streaming = True
                self._t_stream = time.monotonic()
                self._n_at_start = self.n_sent
            elif ch == "s":
                self._streaming = False

    def _channel_setting(self, setting: str) -> None:
        keys = "12345678QWERTYUI"
        n_ch = 16 if self.daisy else 8
        if len(setting) != 8 or setting[0] not in keys[:n_ch] or not setting[2].isdigit() or int(setting[2]) > 6:
            self._out += f"Failure: invalid channel setting x{setting}$$$".encode()
            return
        self.gains[keys.index(setting[0])] = GAINS[int(setting[2])]
        self._encode()
        self._out += f"Success: Channel set for {keys.index(setting[0]) + 1}$$$".encode()

    def _advance(self, drop: bool) -> None:
        """Queue (or, while unplugged, drop) the rows that are due."""
        if not self._streaming:
            return
        if self.speed > 0:
            due = self._n_at_start + int((time.monotonic() - self._t_stream) * self.fs * self.speed)
        else:
            due = self.n_sent + 64 if len(self._out) < 4096 else self.n_sent
        due = min(due, len(self._rows))
        while self.n_sent < due:
            if not drop:
                self._out += self._rows[self.n_sent]
            self.n_sent += 1

    def close(self) -> None:
        """Stop the thread and close the pty (safe to call twice)."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        with self._lock:
            if self._master >= 0:
                self._close_pty()
        if self.link is not None and self.link.is_symlink():
            self.link.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
