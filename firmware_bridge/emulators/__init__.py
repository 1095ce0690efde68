"""Board emulators: packet encoders and a pty-backed Cyton for tests without hardware.

>>> import numpy as np
>>> from firmware_bridge.emulators import encode_cyton
>>> len(encode_cyton(np.zeros((2, 8))))
66
"""

from firmware_bridge.emulators._bitalino_codec import encode_bitalino
from firmware_bridge.emulators._ble_ganglion import BumbleGanglion
from firmware_bridge.emulators._chords_codec import encode_chords, encode_npg
from firmware_bridge.emulators._cyton_codec import encode_cyton, quantise_cyton
from firmware_bridge.emulators._ganglion_codec import encode_ganglion, quantise_ganglion
from firmware_bridge.emulators._pty import CytonEmulator

__all__ = [
    "BumbleGanglion",
    "CytonEmulator",
    "encode_bitalino",
    "encode_chords",
    "encode_cyton",
    "encode_ganglion",
    "encode_npg",
    "quantise_cyton",
    "quantise_ganglion",
]
