"""dsp: the numeric core of emgwatch (no I/O).

Shared value types (``Chunk``, ``Burst``, ``Event``), the error hierarchy,
filters with explicit state, envelopes, noise-floor tracking, artefact guards
and burst detection.

Quick start::

    from dsp import Chunk, DetectorConfig, Pipeline, detect_bursts

    pipe = Pipeline(250.0, ("ch1", "ch2"), mains_hz="auto", config=DetectorConfig())
    for chunk in source:                 # any chunk sizes: results do not change
        for burst in pipe.process(chunk):  # completed bursts, onset order per call
            ...
    tail = pipe.flush()                  # close open bursts at end of stream
    pipe.noise_uv, pipe.quality()        # noise floor (µV) and per-channel quality

    bursts = detect_bursts(data, fs, channels)   # whole array at once

Burst kinds: "spike" (candidate fasciculation), "sustained" (cramp or
voluntary), "artifact" (``Burst.artifact`` in dropout, flat, clipping, pop,
motion). Feature names and units: ``dsp.features`` (``FEATURE_NAMES``).
Thresholds and their units: ``DetectorConfig``.
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
