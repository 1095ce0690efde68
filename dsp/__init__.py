"""dsp: the numeric core of emgwatch (no I/O).

Shared value types (``Chunk``, ``Burst``, ``Event``), the error hierarchy,
filters with explicit state, envelopes, noise-floor tracking, artefact guards
and burst detection.
"""

from dsp._errors import (
    EmgwatchError,
    InputFormatError,
    RecordingNotFoundError,
    SourceError,
    SourceTimeoutError,
    UnknownSourceError,
    UnsupportedFormatError,
)
from dsp._types import ARTIFACT_KINDS, BURST_KINDS, EVENT_CLASSES, Burst, Chunk, Event

__all__ = [
    "ARTIFACT_KINDS",
    "BURST_KINDS",
    "EVENT_CLASSES",
    "Burst",
    "Chunk",
    "EmgwatchError",
    "Event",
    "InputFormatError",
    "RecordingNotFoundError",
    "SourceError",
    "SourceTimeoutError",
    "UnknownSourceError",
    "UnsupportedFormatError",
]
