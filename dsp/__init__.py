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
from dsp.config import DetectorConfig
from dsp.envelope import (
    RmsState,
    TkeoState,
    init_rms_state,
    init_tkeo_state,
    moving_rms,
    tkeo,
)
from dsp.features import FEATURE_NAMES
from dsp.filters import (
    FilterState,
    design_bandpass,
    design_mains_comb,
    detect_mains,
    init_filter_state,
    mains_lines,
    sos_filter,
)
from dsp.pipeline import Pipeline, detect_bursts

__all__ = [
    "ARTIFACT_KINDS",
    "BURST_KINDS",
    "EVENT_CLASSES",
    "FEATURE_NAMES",
    "Burst",
    "Chunk",
    "DetectorConfig",
    "EmgwatchError",
    "Event",
    "FilterState",
    "InputFormatError",
    "Pipeline",
    "RecordingNotFoundError",
    "RmsState",
    "SourceError",
    "SourceTimeoutError",
    "TkeoState",
    "UnknownSourceError",
    "UnsupportedFormatError",
    "design_bandpass",
    "design_mains_comb",
    "detect_bursts",
    "detect_mains",
    "init_filter_state",
    "init_rms_state",
    "init_tkeo_state",
    "mains_lines",
    "moving_rms",
    "sos_filter",
    "tkeo",
]
