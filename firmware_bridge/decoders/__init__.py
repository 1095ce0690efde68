"""Sans-I/O board decoders: ``feed(bytes) -> list[dsp.Chunk]`` (style.md §2).

>>> from firmware_bridge.decoders import CytonDecoder
>>> dec = CytonDecoder()
>>> dec.feed(b"")
[]
"""

from firmware_bridge.decoders._base import DEFAULT_SEARCH_WINDOW, Decoder, DecoderCounters
from firmware_bridge.decoders._cyton import CytonDecoder, cyton_scale

__all__ = [
    "DEFAULT_SEARCH_WINDOW",
    "CytonDecoder",
    "Decoder",
    "DecoderCounters",
    "cyton_scale",
]
