"""firmware_bridge: getting samples in (layer 2).

Sources behind one contract (``Source``, ``open_source(url)``), and the
physiological sEMG simulator, a board like the others (``sim://``):

>>> from firmware_bridge import simulate, list_scenarios, DEVICES, open_source
>>> rec = simulate("rest_benign", device="cyton_250", duration_s=10, seed=1)
>>> rec.fs, rec.channels[:2]
(250.0, ('ch1', 'ch2'))
"""

from firmware_bridge._devices import DEVICES, F_INT, DeviceModel
from firmware_bridge._scenario import list_scenarios, load_scenario
from firmware_bridge._sim_source import SimSource
from firmware_bridge._simulate import SimRecording, simulate
from firmware_bridge._source import (
    SOURCES,
    Source,
    open_source,
    parse_source_url,
    register_source,
)
from firmware_bridge.transports import PortInfo, list_serial_ports

__all__ = [
    "DEVICES",
    "F_INT",
    "SOURCES",
    "DeviceModel",
    "PortInfo",
    "SimRecording",
    "SimSource",
    "Source",
    "list_scenarios",
    "list_serial_ports",
    "load_scenario",
    "open_source",
    "parse_source_url",
    "register_source",
    "simulate",
]
