"""Value types shared by every layer: ``Chunk``, ``Burst`` and ``Event``.

Units are fixed across the project: samples in microvolts (µV), times in
seconds (s) from the start of the recording (or the source's clock), rates in
hertz (Hz). Every value type is a frozen dataclass that checks its fields when
it is built, so a malformed value fails where it is made, not deep inside a
numba kernel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

#: The four event classes of the BIDS-style events table (``trial_type``).
EVENT_CLASSES: tuple[str, ...] = ("fasciculation", "cramp", "voluntary", "artifact")

#: Artefact subtypes reported by the guards and the classifier.
ARTIFACT_KINDS: tuple[str, ...] = (
    "motion",
    "pop",
    "ecg",
    "clipping",
    "mains",
    "dropout",
    "flat",
)

#: What the detector can say about a burst before classification.
#: ``spike``: a brief isolated discharge (candidate fasciculation);
#: ``sustained``: activity lasting longer than a spike (cramp or voluntary);
#: ``artifact``: an interval a guard flagged (see ``Burst.artifact``).
BURST_KINDS: tuple[str, ...] = ("spike", "sustained", "artifact")


def _frozen_mapping(values: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(values or {}))


def _check_channels(channels: Any, where: str) -> tuple[str, ...]:
    if isinstance(channels, str):
        channels = (channels,)
    channels = tuple(str(c) for c in channels)
    if not channels:
        raise ValueError(f"{where}: at least one channel name is required, got none")
    return channels


def _check_interval(onset_s: float, offset_s: float, where: str) -> None:
    if not (math.isfinite(onset_s) and math.isfinite(offset_s)):
        raise ValueError(f"{where}: onset and offset must be finite seconds, got {onset_s!r}, {offset_s!r}")
    if offset_s < onset_s:
        raise ValueError(f"{where}: offset_s ({offset_s:.6f} s) is before onset_s ({onset_s:.6f} s)")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A block of consecutive samples from one source.

    Parameters
    ----------
    data : ndarray of float32, shape (n_samples, n_channels), µV
        Converted to C-contiguous float32 if given otherwise. NaN marks a
        sample that was lost or unreadable.
    fs : float
        Sampling rate in Hz.
    t0 : float
        Time of the first sample in seconds, on the source's clock.
    channels : tuple of str
        One name per column of ``data``.
    lost : int
        Samples known to be missing just before this chunk (from packet
        counters), so loss travels with the data.
    """

    data: np.ndarray
    fs: float
    t0: float
    channels: tuple[str, ...]
    lost: int = 0

    def __post_init__(self) -> None:
        channels = _check_channels(self.channels, "Chunk")
        data = np.asarray(self.data)
        if data.ndim == 1 and len(channels) == 1:
            data = data[:, None]
        if data.ndim != 2:
            raise ValueError(
                f"Chunk: data must have shape (n_samples, n_channels), got an array with {data.ndim} dimension(s)"
            )
        if data.shape[1] != len(channels):
            raise ValueError(
                f"Chunk: data has {data.shape[1]} column(s) but {len(channels)} channel name(s) were given: {channels}"
            )
        data = np.ascontiguousarray(data, dtype=np.float32)
        fs = float(self.fs)
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"Chunk: fs must be a positive rate in Hz, got {self.fs!r}")
        t0 = float(self.t0)
        if not math.isfinite(t0):
            raise ValueError(f"Chunk: t0 must be a finite time in s, got {self.t0!r}")
        lost = int(self.lost)
        if lost < 0:
            raise ValueError(f"Chunk: lost must be a count of samples >= 0, got {self.lost!r}")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "t0", t0)
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "lost", lost)

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration_s(self) -> float:
        """Duration covered by the samples, in s."""
        return self.n_samples / self.fs

    @property
    def t_end(self) -> float:
        """Time just after the last sample, in s."""
        return self.t0 + self.duration_s


@dataclass(frozen=True, slots=True)
class Burst:
    """A stretch of activity found by ``dsp`` on one or more channels.

    Parameters
    ----------
    channels : tuple of str
        Channels on which the burst was above threshold, strongest first.
    onset_s, offset_s : float
        Start and end in s on the recording's clock.
    peak_uv : float
        Largest absolute filtered amplitude over the burst, µV.
    kind : str
        One of ``BURST_KINDS``.
    artifact : str
        For ``kind == "artifact"``, one of ``ARTIFACT_KINDS``; else ``""``.
    features : mapping of str to float
        Measured features (see ``dsp.features`` for names and units).
    parts : tuple of Burst
        For a short ``sustained`` burst: the separate discharges dsp found
        inside it (spike bursts, in time order), so a cluster of twitches
        can be counted one by one (``DetectorConfig.parts_max_s``); else
        empty.
    """

    channels: tuple[str, ...]
    onset_s: float
    offset_s: float
    peak_uv: float
    kind: str
    artifact: str = ""
    features: Mapping[str, float] = field(default_factory=dict)
    parts: tuple[Burst, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", _check_channels(self.channels, "Burst"))
        _check_interval(self.onset_s, self.offset_s, "Burst")
        if self.kind not in BURST_KINDS:
            raise ValueError(f"Burst: kind must be one of {BURST_KINDS}, got {self.kind!r}")
        if self.kind == "artifact" and self.artifact not in ARTIFACT_KINDS:
            raise ValueError(f"Burst: artifact must be one of {ARTIFACT_KINDS}, got {self.artifact!r}")
        object.__setattr__(self, "onset_s", float(self.onset_s))
        object.__setattr__(self, "offset_s", float(self.offset_s))
        object.__setattr__(self, "peak_uv", float(self.peak_uv))
        object.__setattr__(self, "features", _frozen_mapping(self.features))
        parts = tuple(self.parts)
        if any(not isinstance(b, Burst) or b.kind != "spike" for b in parts):
            raise ValueError("Burst: parts must be spike Bursts")
        object.__setattr__(self, "parts", parts)

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s


@dataclass(frozen=True, slots=True)
class Event:
    """A classified event, as shown to the user and written to the events table.

    Parameters
    ----------
    channels : tuple of str
        Channel names, strongest first.
    onset_s, offset_s : float
        Start and end in s from the recording start.
    peak_uv : float
        Peak absolute amplitude, µV.
    trial_type : str
        One of ``EVENT_CLASSES``.
    confidence : float
        0 to 1.
    evidence : str
        Plain words saying why ("single 14 ms biphasic spike on ch3, 9x noise").
    subtype : str
        Artefact subtype (``ARTIFACT_KINDS``) or a refinement such as
        ``"doublet"``; ``""`` when none.
    features : mapping of str to float
        The features the decision used.
    """

    channels: tuple[str, ...]
    onset_s: float
    offset_s: float
    peak_uv: float
    trial_type: str
    confidence: float
    evidence: str = ""
    subtype: str = ""
    features: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", _check_channels(self.channels, "Event"))
        _check_interval(self.onset_s, self.offset_s, "Event")
        if self.trial_type not in EVENT_CLASSES:
            raise ValueError(f"Event: trial_type must be one of {EVENT_CLASSES}, got {self.trial_type!r}")
        confidence = float(self.confidence)
        if not (0.0 <= confidence <= 1.0):
            raise ValueError(f"Event: confidence must be within 0..1, got {self.confidence!r}")
        object.__setattr__(self, "onset_s", float(self.onset_s))
        object.__setattr__(self, "offset_s", float(self.offset_s))
        object.__setattr__(self, "peak_uv", float(self.peak_uv))
        object.__setattr__(self, "confidence", confidence)
        object.__setattr__(self, "features", _frozen_mapping(self.features))

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s
