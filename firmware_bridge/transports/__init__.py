"""Transports: move a board's bytes into its decoder (serial here; threads live only in this layer).

>>> from firmware_bridge.transports import SerialSource
>>> SerialSource.__mro__[1].__name__
'Source'
"""

from firmware_bridge.transports._ble import (
    BleakLink,
    BleLink,
    BleSource,
    ganglion_source,
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
