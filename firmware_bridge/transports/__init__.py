"""Transports: move a board's bytes into its decoder; threads and sockets live only in this layer.

Serial boards (``cyton://``, ``serial://``, ``chords://``, ``bitalino://``) run
through ``SerialSource``; BLE boards (``ganglion://``, ``npg://``, ``nus://``)
through ``BleSource``. Both are ``QueuedSource``s: the I/O side only queues
bytes, and ``read()`` decodes them.

>>> from firmware_bridge.transports import QueuedSource, SerialSource
>>> issubclass(SerialSource, QueuedSource)
True
"""

from firmware_bridge.transports._ble import (
    BleakLink,
    BleLink,
    BleSource,
    ganglion_source,
    npg_source,
    nus_source,
)
from firmware_bridge.transports._discover import (
    PortInfo,
    guess_board,
    list_serial_ports,
)
from firmware_bridge.transports._queued import QueuedSource
from firmware_bridge.transports._serial import SerialSource
from firmware_bridge.transports._urls import (
    bitalino_source,
    chords_source,
    cyton_handshake,
    cyton_source,
    serial_source,
)

__all__ = [
    "BleLink",
    "BleSource",
    "BleakLink",
    "PortInfo",
    "QueuedSource",
    "SerialSource",
    "bitalino_source",
    "chords_source",
    "cyton_handshake",
    "cyton_source",
    "ganglion_source",
    "guess_board",
    "list_serial_ports",
    "npg_source",
    "nus_source",
    "serial_source",
]
