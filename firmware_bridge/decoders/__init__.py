"""Sans-I/O board decoders: ``feed(bytes) -> list[dsp.Chunk]`` (style.md §2).

Each decoder's module header gives its wire format and source (protocols.md).

>>> from firmware_bridge.decoders import CytonDecoder
>>> dec = CytonDecoder()
>>> dec.feed(b"")
[]
"""

from firmware_bridge.decoders._ascii import AsciiDecoder
from firmware_bridge.decoders._base import (
    DEFAULT_SEARCH_WINDOW,
    Decoder,
    DecoderCounters,
)
from firmware_bridge.decoders._bitalino import BitalinoDecoder
from firmware_bridge.decoders._chords import BIOAMP_GAIN, BOARDS, ChordsDecoder
from firmware_bridge.decoders._cyton import CytonDecoder, cyton_scale
from firmware_bridge.decoders._ganglion import GANGLION_SCALE, GanglionDecoder
from firmware_bridge.decoders._npg import NpgDecoder

__all__ = [
    "BIOAMP_GAIN",
    "BOARDS",
    "DEFAULT_SEARCH_WINDOW",
    "GANGLION_SCALE",
    "AsciiDecoder",
    "BitalinoDecoder",
    "ChordsDecoder",
    "CytonDecoder",
    "Decoder",
    "DecoderCounters",
    "GanglionDecoder",
    "NpgDecoder",
    "cyton_scale",
]
