"""Boards on a serial port (USB dongle, USB-serial Arduino, Bluetooth SPP): ``SerialSource``.

A reader thread only reads bytes and queues them, so a slow consumer never
makes the port overflow and the decoder never blocks the port (style.md §5a);
``read()`` drains the queue through the board's sans-I/O decoder. The board's
start command is sent once the thread runs and its stop command on ``close()``.

When the port vanishes (a USB cable pulled, a dongle reset) the thread tries
to reopen the same path ``reconnects`` times, ``reconnect_delay`` s apart. A
success is counted in ``n_reconnects``, warned about (``RuntimeWarning``) and
the samples missed meanwhile travel in the next chunk's ``lost``: if the
board's packet counter cannot have wrapped (gap under half its period) the
counter measures them exactly, otherwise the host clock estimates them.
After the last failed attempt ``read()`` raises ``SourceError``.

URL forms are in ``firmware_bridge.transports._urls``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import serial

from dsp import SourceError
from firmware_bridge.decoders import Decoder
from firmware_bridge.transports._queued import QueuedSource

#: Seconds one pyserial read waits; bounds how fast the thread notices ``close()``.
_POLL_S = 0.05


class SerialSource(QueuedSource):
    """Stream a board's packets from a serial port through a decoder.

    Parameters
    ----------
    port : str
        Device path (``/dev/ttyUSB0``, ``COM3``) or any pyserial URL (``loop://``).
    decoder : Decoder or None
        The board's sans-I/O decoder; it sets ``fs`` and ``channels``. None
        if ``handshake`` returns the decoder (e.g. after reading the board's banner).
    baudrate : int
    start_command, stop_command : bytes
        Sent to start streaming (after the reader thread runs, and again
        after a reconnect) and to stop it on ``close()``; ``b""`` sends nothing.
    handshake : callable, optional
        ``handshake(serial_port) -> Decoder | None`` run once right after the
        first open, before the thread starts (e.g. the Cyton's ``v`` ... ``$$$``
        exchange); a returned decoder replaces ``decoder``. It may raise ``SourceError``.
    reconnects : int
        Attempts to reopen a vanished port before giving up.
    reconnect_delay : float
        Seconds between attempts.
    silence_s : float
        A pause between bytes longer than this (s) is reported to the decoder
        (``note_gap``), so a counter that wrapped during a radio outage is unwrapped.
    dump : str or path-like, optional
        Append every byte received to this file, so a bug report arrives as
        bytes that can be replayed through the decoder.

    Attributes
    ----------
    port : str
    n_reconnects : int
        Times the port vanished and was reopened.
    counters : DecoderCounters
        The decoder's counts (corrupt bytes, resyncs, lost packets).
    """

    link_name = "serial port"

    def __init__(self, port: str, decoder: Decoder | None, baudrate: int = 115200, start_command: bytes = b"",
                 stop_command: bytes = b"", handshake: Callable[[serial.SerialBase], Decoder | None] | None = None,
                 reconnects: int = 5, reconnect_delay: float = 0.5, dump: str | Path | None = None,
                 silence_s: float = 0.25) -> None:
        if int(reconnects) < 0:
            raise ValueError(f"reconnects must be >= 0, got {reconnects!r}")
        if not reconnect_delay >= 0:
            raise ValueError(f"reconnect_delay must be seconds >= 0, got {reconnect_delay!r}")
        self.port = str(port)
        self.baudrate = int(baudrate)
        self._ser = self._open()
        # Only now is there something to close: a port that failed to open must not warn "never closed".
        super().__init__()
        self.start_command = bytes(start_command)
        self.stop_command = bytes(stop_command)
        self.reconnects = int(reconnects)
        self.reconnect_delay = float(reconnect_delay)
        self.silence_s = float(silence_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dump = open(dump, "ab") if dump is not None else None  # noqa: SIM115 - closed in _close_internal
        try:
            if handshake is not None:
                decoder = handshake(self._ser) or decoder
            if not isinstance(decoder, Decoder):
                raise TypeError(f"decoder must be a firmware_bridge.decoders.Decoder, got {type(decoder).__name__}")
            self.decoder = decoder
            self.fs = decoder.fs
            self.channels = decoder.channels
            self._thread = threading.Thread(target=self._reader, name=f"emgwatch-serial {self.port}", daemon=True)
            self._thread.start()
            self._send(self.start_command)
        except BaseException:
            self.close()
            raise

    # -- the reader thread ------------------------------------------------------------
    def _open(self) -> serial.SerialBase:
        try:
            return serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=_POLL_S, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError) as err:
            raise SourceError(f"cannot open serial port {self.port!r}: {err}") from err

    def _send(self, command: bytes) -> None:
        if command:
            self._ser.write(command)
            self._ser.flush()

    def _reader(self) -> None:
        """Only read bytes and queue them; on a vanished port, reconnect or queue the failure."""
        t_last = time.monotonic()
        seen_data = False
        while not self._stop.is_set():
            try:
                data = self._ser.read(self._ser.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as err:
                # TypeError/AttributeError: pyserial's fd was closed under the read by close().
                if self._stop.is_set():
                    return
                if not self._reconnect(err, t_last):
                    return
                continue
            if data:
                now = time.monotonic()
                if seen_data and now - t_last > self.silence_s:
                    # A radio outage on a port that stayed open: the host clock lets the
                    # decoder unwrap a packet counter that may have gone round.
                    self._queue.put(("silence", now - t_last))
                seen_data = True
                t_last = now
                self._queue.put(data)
                if self._dump is not None:
                    try:
                        self._dump.write(data)
                    except OSError as err:  # a full disk must not pass for a vanished port
                        message = f"cannot append the raw bytes to the dump file {self._dump.name!r}: {err}"
                        self._queue.put(("failed", message))
                        return

    def _reconnect(self, err: BaseException, t_last: float) -> bool:
        try:
            self._ser.close()
        except (serial.SerialException, OSError):
            pass
        for attempt in range(1, self.reconnects + 1):
            if self._stop.wait(self.reconnect_delay):
                return False
            try:
                self._ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=_POLL_S,
                                                  write_timeout=1.0)
                self._send(self.start_command)
            except (serial.SerialException, OSError, ValueError):
                continue
            self._queue.put(("reconnected", time.monotonic() - t_last, attempt, str(err)))
            return True
        message = (f"serial port {self.port!r} vanished ({err}) and {self.reconnects} attempts to reopen it, "
                   f"{self.reconnect_delay:g} s apart, failed")
        self._queue.put(("failed", message))
        return False

    def _close_internal(self) -> None:
        self._stop.set()
        ser = getattr(self, "_ser", None)
        if ser is not None and ser.is_open:
            try:
                self._send(self.stop_command)
            except (serial.SerialException, OSError):
                pass  # the port is gone already: nothing to stop
            if hasattr(ser, "cancel_read"):
                ser.cancel_read()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(timeout=2.0)
        try:
            self._ser.close()
        except (serial.SerialException, OSError):
            pass
        if self._dump is not None:
            self._dump.close()
