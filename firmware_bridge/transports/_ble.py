"""Boards on BLE notifications: ``BleSource``, the bleak link, and the ``ganglion://`` and ``nus://`` URLs.

The source runs an asyncio event loop in a thread of its own. The
notification handler only queues the bytes (style.md §5a); ``read()`` decodes
them on the caller's thread (``QueuedSource``). When the device disconnects,
the loop tries ``reconnects`` times to connect, subscribe and start again,
then queues a failure that ``read()`` raises as ``SourceError``.

What the source needs from a connection is the small ``BleLink`` protocol
(protocols.md §9b "narrow link"): ``BleakLink`` wraps ``bleak.BleakClient``
for real devices; the tests use a link over bumble's in-process controllers
(``firmware_bridge.emulators.BumbleGanglion``), a real GATT stack without a
kernel or BlueZ.

URL forms::

    ganglion://ADDRESS_OR_NAME[?firmware=3][&reconnects=5][&scan=5][&dump=FILE]
    npg://[NAME][?fs=500][&gain=2420][&vref=3.3][&reconnects=5][&scan=5][&dump=FILE]
    nus://NAME?format=ascii&fs=HZ[&channels=N][&scale=..][&offset=..][&counter=0|1][&skip=N]
               [&start=TEXT][&stop=TEXT][&reconnects=5][&scan=5][&dump=FILE]

``ganglion://`` with no name scans for "Ganglion"; a name is matched as a
substring of the advertised name, and an ambiguous name lists the candidates.
Ganglion (protocols.md §2): notify ``2d30c082-...``, write ``2d30c083-...``,
``b`` starts and ``s`` stops. NPG Lite (protocols.md §5): data ``beb5483e-...``,
control ``0000ff01-...`` takes ``START``/``STOP``; name "NPG" by default
(its UUIDs are the stock ESP32 example's, so the name matters). Nordic UART (protocols.md §7): notify (TX)
``6e400003-...``, write (RX) ``6e400002-...``; a byte stream, so frames are
reassembled across notifications by the decoder.
Example: ``ganglion://Ganglion-1a2b?firmware=3``, ``nus://MyoWare?format=ascii&fs=200&channels=1``.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Protocol

from dsp import SourceError, UnknownSourceError
from firmware_bridge._source import parse_source_url
from firmware_bridge.decoders import Decoder, GanglionDecoder, NpgDecoder
from firmware_bridge.transports._ascii_opts import ascii_decoder, line_commands
from firmware_bridge.transports._queued import QueuedSource

GANGLION_NOTIFY = "2d30c082-f39f-4ce6-923f-3484ea480596"
GANGLION_WRITE = "2d30c083-f39f-4ce6-923f-3484ea480596"
NPG_SERVICE = "4fafc201-1fb5-459e-8fcc-c5c9c331914b"
NPG_DATA = "beb5483e-36e1-4688-b7f5-ea07361b26a8"
NPG_CONTROL = "0000ff01-0000-1000-8000-00805f9b34fb"
NUS_NOTIFY = "6e400003-b5a3-f393-e0a9-e50e24dcca9e"
NUS_WRITE = "6e400002-b5a3-f393-e0a9-e50e24dcca9e"
# A MAC address (Linux, Windows) or a CoreBluetooth UUID (macOS).
_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")


class BleLink(Protocol):
    """One BLE connection, as ``BleSource`` uses it; every coroutine runs on the source's loop."""

    async def connect(self, on_disconnect: Callable[[], None]) -> None: ...

    async def start_notify(self, uuid: str, callback: Callable[[bytes], None]) -> None: ...

    async def write(self, uuid: str, data: bytes) -> None: ...

    async def disconnect(self) -> None: ...


class BleakLink:
    """``BleLink`` over ``bleak.BleakClient``: connect by address, or by a name found in a scan.

    Parameters
    ----------
    target : str
        Address, or a substring of the advertised name.
    scan_s : float
        Seconds to scan when ``target`` is a name.
    """

    def __init__(self, target: str, scan_s: float = 5.0) -> None:
        self.target = target
        self.scan_s = float(scan_s)
        self._client = None

    async def _resolve(self):
        from bleak import BleakScanner

        if _ADDRESS.match(self.target):
            return self.target
        found = [d for d in await BleakScanner.discover(timeout=self.scan_s)
                 if d.name and self.target.lower() in d.name.lower()]
        if not found:
            raise SourceError(f"no BLE device whose name contains {self.target!r} answered a {self.scan_s:g} s "
                              "scan: is it on, charged and not connected to another program?")
        if len(found) > 1:
            listing = "\n".join(f"  [{d.address}] {d.name}" for d in found)
            raise SourceError(f"several BLE devices match {self.target!r}; name one by address:\n{listing}")
        return found[0]

    async def connect(self, on_disconnect: Callable[[], None]) -> None:
        from bleak import BleakClient

        device = await self._resolve()
        self._client = BleakClient(device, disconnected_callback=lambda _client: on_disconnect())
        await self._client.connect()

    async def start_notify(self, uuid: str, callback: Callable[[bytes], None]) -> None:
        await self._client.start_notify(uuid, lambda _char, data: callback(bytes(data)))

    async def write(self, uuid: str, data: bytes) -> None:
        await self._client.write_gatt_char(uuid, data, response=False)

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.disconnect()


class BleSource(QueuedSource):
    """Stream a BLE board's notifications through a decoder.

    Parameters
    ----------
    link_factory : callable
        ``link_factory() -> BleLink``, called for every (re)connection.
    decoder : Decoder
        Sets ``fs`` and ``channels``. One with ``feed_notification`` (the
        Ganglion) gets one notification per call; others get the byte stream.
    notify_uuid, write_uuid : str
        The characteristic that notifies data, and the one that takes commands.
    start_command, stop_command : bytes
    port : str
        The device's address or name, for messages.
    reconnects : int
    reconnect_delay : float
        Seconds between attempts.
    connect_timeout : float
        Seconds the first connection may take.
    attempt_timeout : float
        Seconds one reconnection attempt may take (a device that stopped advertising never answers).
    dump : str or path-like, optional
        Append every notification's bytes to this file (on the reading thread, never in the
        handler); the Ganglion's and NPG's fixed-size frames replay through ``decoder.feed``.
    """

    link_name = "BLE device"

    def __init__(self, link_factory: Callable[[], BleLink], decoder: Decoder, notify_uuid: str, write_uuid: str,
                 start_command: bytes = b"", stop_command: bytes = b"", port: str = "", reconnects: int = 5,
                 reconnect_delay: float = 1.0, connect_timeout: float = 30.0, attempt_timeout: float = 10.0,
                 dump: str | os.PathLike | None = None) -> None:
        if int(reconnects) < 0:
            raise ValueError(f"reconnects must be >= 0, got {reconnects!r}")
        super().__init__()
        self.decoder = decoder
        self.fs = decoder.fs
        self.channels = decoder.channels
        self.port = port
        self._link_factory = link_factory
        self.notify_uuid, self.write_uuid = notify_uuid, write_uuid
        self.start_command, self.stop_command = bytes(start_command), bytes(stop_command)
        self.reconnects = int(reconnects)
        self.reconnect_delay = float(reconnect_delay)
        self.attempt_timeout = float(attempt_timeout)
        self._link: BleLink | None = None
        self._closing = False
        self._connected = False
        self._t_last = time.monotonic()
        self._per_note = hasattr(decoder, "feed_notification")
        self._dump = open(dump, "ab") if dump is not None else None  # noqa: SIM115 - closed in _close_internal
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"emgwatch-ble {port}", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._connect_and_start(), self._loop).result(connect_timeout)
        except SourceError:
            self.close()
            raise
        except Exception as err:  # bleak raises BleakError, OSError, FileNotFoundError (no D-Bus), TimeoutError
            self.close()
            raise SourceError(f"cannot connect to BLE device {port!r}: {type(err).__name__}: {err}") from err

    async def _connect_and_start(self) -> None:
        link = self._link_factory()
        await link.connect(self._on_disconnect)
        self._link = link
        self._connected = True
        await link.start_notify(self.notify_uuid, self._on_notify)
        if self.start_command:
            await link.write(self.write_uuid, self.start_command)

    def _on_notify(self, data: bytes) -> None:
        # The handler only queues: decoding happens on the reader's thread.
        self._t_last = time.monotonic()
        self._queue.put(("note", bytes(data)) if self._per_note else bytes(data))

    def _on_disconnect(self) -> None:
        self._connected = False
        if not self._closing:
            self._loop.call_soon_threadsafe(lambda: self._loop.create_task(self._reconnect()))

    async def _reconnect(self) -> None:
        last_error = "none tried"
        for attempt in range(1, self.reconnects + 1):
            await asyncio.sleep(self.reconnect_delay)
            if self._closing:
                return
            try:
                await asyncio.wait_for(self._connect_and_start(), self.attempt_timeout)
            except Exception as err:  # noqa: BLE001 - any failure is one failed attempt; the last one is reported
                last_error = f"{type(err).__name__}: {err}"
                continue
            self._queue.put(("reconnected", time.monotonic() - self._t_last, attempt, "disconnected"))
            return
        message = (f"BLE device {self.port!r} disconnected and {self.reconnects} attempts to reconnect, "
                   f"{self.reconnect_delay:g} s apart, failed (last: {last_error})")
        self._queue.put(("failed", message))

    def _handle(self, item: bytes | tuple) -> None:
        data = item[1] if isinstance(item, tuple) and item[0] == "note" else item
        if self._dump is not None and isinstance(data, bytes):
            self._dump.write(data)
        if data is not item:
            self._pending.extend(self.decoder.feed_notification(data))
        else:
            super()._handle(item)

    async def _shutdown(self) -> None:
        if self._link is None or not self._connected:
            return  # nothing to stop: a write to a vanished device would only time out
        try:
            if self.stop_command:
                await asyncio.wait_for(self._link.write(self.write_uuid, self.stop_command), 2.0)
            await asyncio.wait_for(self._link.disconnect(), 2.0)
        except Exception:  # noqa: BLE001, S110 - the device may be gone already; closing must not fail
            pass

    def _close_internal(self) -> None:
        self._closing = True
        if self._loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5.0)
            except Exception:  # noqa: BLE001, S110 - a hung stack must not hang close()
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5.0)
        if not self._loop.is_running():
            self._loop.close()
        if self._dump is not None:
            self._dump.close()


def _options(extra: dict) -> dict:
    return {"reconnects": int, "scan": float, "dump": str, **extra}


def ganglion_source(url: str) -> BleSource:
    """Open ``ganglion://ADDRESS_OR_NAME?...`` (see the module docstring)."""
    form = "ganglion://ADDRESS_OR_NAME?firmware=3&reconnects=5&scan=5"
    target, opts = parse_source_url(url, _options({"firmware": int}), form)
    target = target or "Ganglion"
    try:
        decoder = GanglionDecoder(firmware=opts.get("firmware", 3))
    except ValueError as err:
        raise UnknownSourceError(f"bad option in {url!r}: {err}") from None
    scan = opts.get("scan", 5.0)
    src = BleSource(lambda: BleakLink(target, scan), decoder, GANGLION_NOTIFY, GANGLION_WRITE, b"b", b"s",
                    port=target, reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src


def nus_source(url: str) -> BleSource:
    """Open ``nus://NAME?format=ascii&fs=HZ...`` (see the module docstring)."""
    form = "nus://NAME?format=ascii&fs=HZ&channels=N&scale=..&offset=..&counter=0|1&skip=N&start=..&stop=.."
    extra = {"format": str, "fs": float, "channels": int, "scale": float, "offset": float,
             "counter": lambda v: v == "1", "skip": int, "start": str, "stop": str}
    target, opts = parse_source_url(url, _options(extra), form)
    if not target:
        raise UnknownSourceError(f"{url!r} names no device: expected {form}")
    decoder = ascii_decoder(url, opts, form, "nus:// knows 'ascii'")
    scan = opts.get("scan", 5.0)
    start, stop = line_commands(opts)
    src = BleSource(lambda: BleakLink(target, scan), decoder, NUS_NOTIFY, NUS_WRITE, start, stop, port=target,
                    reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src


def npg_source(url: str) -> BleSource:
    """Open ``npg://[NAME]?...`` (see the module docstring)."""
    form = "npg://NAME?fs=500&gain=2420&vref=3.3&reconnects=5&scan=5"
    target, opts = parse_source_url(url, _options({"fs": float, "gain": float, "vref": float}), form)
    target = target or "NPG"
    try:
        decoder = NpgDecoder(fs=opts.get("fs", 500.0), gain=opts.get("gain"), vref=opts.get("vref", 3.3))
    except ValueError as err:
        raise UnknownSourceError(f"bad option in {url!r}: {err}") from None
    scan = opts.get("scan", 5.0)
    src = BleSource(lambda: BleakLink(target, scan), decoder, NPG_DATA, NPG_CONTROL, b"START", b"STOP",
                    port=target, reconnects=opts.get("reconnects", 5), dump=opts.get("dump"))
    src.url = url
    return src
