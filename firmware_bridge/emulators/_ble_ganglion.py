"""A Ganglion on bumble's in-process BLE controllers: ``BumbleGanglion`` (protocols.md §9b).

The kernel here has no Bluetooth and released bleak has no bumble backend, so
the test double is a real GATT stack without one: two bumble ``Device``s (a
peripheral serving the Ganglion's service, a central) on one ``LocalLink``.
``BumbleGanglion.link()`` returns a ``BleLink`` for ``BleSource`` that talks
ATT/GATT to the peripheral: discovery, a CCCD subscription, write without
response, notifications of the default 23-byte MTU (20-byte payloads) and
disconnection events are all real. What is not: radio timing, loss and the
OS stack (BlueZ caching, connection intervals); faults are injected by the
peripheral (dropped notifications, a disconnection).

Requires the optional ``bumble`` package; everything runs on the event loop
of the source that connects (the world is built on the first ``connect``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from firmware_bridge.transports._ble import GANGLION_NOTIFY, GANGLION_WRITE

_SERVICE = "0000fe84-0000-1000-8000-00805f9b34fb"


class BumbleGanglion:
    """Serve ``notifications`` from a bumble Ganglion (or other) peripheral once a client writes ``start``.

    Parameters
    ----------
    notifications : list of bytes
        20-byte packets, e.g. from ``encode_ganglion``; one per 10 ms at ``rate_hz=100``.
    rate_hz : float
        Notifications per second; 0 = as fast as the stack takes them.
    drop : iterable of int
        Indices of notifications the peripheral does not send (lost on the air).
    disconnect_after : int, optional
        Disconnect after sending this many, for ``down_s`` s; the board keeps sampling meanwhile.
    down_s : float
    service, notify_uuid, write_uuid : str
        The GATT layout served; the Ganglion's by default (pass another board's, e.g. the NPG Lite's).
    start, stop : bytes
        The commands that start and stop the stream.
    mtu : int, optional
        ATT MTU the central requests after connecting; None keeps the default 23, under which
        bumble cuts longer notifications to 20 bytes, as a real stack does.

    Attributes
    ----------
    received : list of bytes
        Every command written to the peripheral.
    n_sent : int
        Notifications handled so far (sent, dropped or missed while disconnected).
    """

    def __init__(self, notifications: list[bytes], rate_hz: float = 100.0, drop: Iterable[int] = (),
                 disconnect_after: int | None = None, down_s: float = 0.2, *, service: str = _SERVICE,
                 notify_uuid: str = GANGLION_NOTIFY, write_uuid: str = GANGLION_WRITE, start: bytes = b"b",
                 stop: bytes = b"s", mtu: int | None = None) -> None:
        self.notifications = list(notifications)
        self.rate_hz = float(rate_hz)
        self.drop = set(drop)
        self.disconnect_after = disconnect_after
        self.down_s = float(down_s)
        self.service, self.notify_uuid, self.write_uuid = service, notify_uuid, write_uuid
        self.start, self.stop, self.mtu = bytes(start), bytes(stop), mtu
        self.received: list[bytes] = []
        self.n_sent = 0
        self._world = None
        self._stream_task: asyncio.Task | None = None

    async def _build(self) -> None:
        from bumble.controller import Controller
        from bumble.device import Device
        from bumble.gatt import Characteristic, CharacteristicValue, Service
        from bumble.hci import Address
        from bumble.host import Host
        from bumble.link import LocalLink
        from bumble.transport.common import AsyncPipeSink

        link = LocalLink()
        addresses = ["F0:F0:F0:F0:F0:F0", "F1:F1:F1:F1:F1:F1"]
        controllers = [Controller(f"C{i}", link=link, public_address=a) for i, a in enumerate(addresses)]
        central, peripheral = (Device(address=Address(a), host=Host(c, AsyncPipeSink(c)))
                               for a, c in zip(addresses, controllers, strict=True))
        self._notify = Characteristic(self.notify_uuid, Characteristic.NOTIFY, Characteristic.READABLE, b"")
        write = Characteristic(self.write_uuid, Characteristic.WRITE | Characteristic.WRITE_WITHOUT_RESPONSE,
                               Characteristic.WRITEABLE, CharacteristicValue(write=self._on_write))
        peripheral.add_service(Service(self.service, [self._notify, write]))
        for device in (central, peripheral):
            await device.power_on()
        await peripheral.start_advertising(advertising_interval_min=1.0)
        self._central, self._peripheral = central, peripheral
        self._world = link

    def _on_write(self, _connection, value: bytes) -> None:
        self.received.append(bytes(value))
        if value == self.start and self._stream_task is None:
            self._stream_task = asyncio.get_running_loop().create_task(self._stream())
        elif value == self.stop and self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    async def _stream(self) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        while self.n_sent < len(self.notifications):
            i = self.n_sent
            if self.rate_hz > 0:
                await asyncio.sleep(max(0.0, t0 + i / self.rate_hz - loop.time()))
            else:
                await asyncio.sleep(0)
            self.n_sent += 1
            connected = bool(self._peripheral.connections)
            if i not in self.drop and connected:
                await self._peripheral.notify_subscribers(self._notify, self.notifications[i])
            if self.disconnect_after is not None and self.n_sent == self.disconnect_after:
                loop.create_task(self._drop_connection())

    async def _drop_connection(self) -> None:
        for connection in list(self._peripheral.connections.values()):
            await connection.disconnect()
        await asyncio.sleep(self.down_s)
        await self._peripheral.start_advertising(advertising_interval_min=1.0)

    def link(self) -> _BumbleLink:
        """A new central-side ``BleLink`` to the peripheral."""
        return _BumbleLink(self)


class _BumbleLink:
    """``BleLink`` over bumble's GATT client (the central device)."""

    def __init__(self, board: BumbleGanglion) -> None:
        self.board = board
        self._peer = None
        self._connection = None

    async def connect(self, on_disconnect: Callable[[], None]) -> None:
        from bumble.device import Peer

        if self.board._world is None:
            await self.board._build()
        connection = await self.board._central.connect(self.board._peripheral.random_address)
        connection.on("disconnection", lambda *_: on_disconnect())
        self._connection = connection
        self._peer = Peer(connection)
        if self.board.mtu is not None:
            await self._peer.request_mtu(self.board.mtu)
        await self._peer.discover_services()
        await self._peer.discover_characteristics()

    def _char(self, uuid: str):
        from bumble.core import UUID

        [char] = self._peer.get_characteristics_by_uuid(UUID(uuid))
        return char

    async def start_notify(self, uuid: str, callback: Callable[[bytes], None]) -> None:
        await self._peer.subscribe(self._char(uuid), lambda value: callback(bytes(value)))

    async def write(self, uuid: str, data: bytes) -> None:
        await self._peer.write_value(self._char(uuid), data, with_response=False)

    async def disconnect(self) -> None:
        if self._connection is not None:
            await self._connection.disconnect()
