"""What a reader knows about a recording: ``RecordingInfo`` and ``Recording``.

``RecordingInfo`` travels with the data the way MNE's ``info`` does: rate,
channel names and types, units, how raw numbers were scaled, annotations and
every warning raised while reading, so nothing about the file is silently
dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

#: Channel types a reader may report (``RecordingInfo.channel_types``).
#: ``exg`` is a biopotential input whose use the file does not state (an
#: OpenBCI or Chords input may carry EEG, ECG or EMG); callers analyse
#: ``emg`` and ``exg`` channels and leave the rest.
CHANNEL_TYPES: tuple[str, ...] = ("emg", "exg", "eeg", "eog", "ecg", "acc", "stim", "misc")


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """Description of one opened recording.

    Parameters
    ----------
    path : Path
        The file read.
    format : str
        Short reader name (``"edf+"``, ``"openbci-gui-v6"``, ...), see
        :func:`recordings.supported_formats`.
    fs : float
        Sampling rate in Hz used for the chunks (nominal, or measured when the
        file has no nominal rate).
    channels : tuple of str
        Names of the chunk columns, in order.
    units : str
        ``"uV"`` when every column is in µV, else the raw label
        (``"myo counts"``, ``"adc counts (12-bit)"``, ``"mixed"``).
    scaling : str
        How file numbers became chunk values, in words.
    n_samples : int or None
        Samples per channel, ``None`` when unknown before reading.
    duration_s : float or None
        ``n_samples / fs`` in s.
    start_time : datetime or None
        Wall-clock start when the file states one.
    annotations : tuple of (onset_s, duration_s, text)
        Onsets in s from the file start.
    warnings : tuple of str
        Everything the reader had to repair or skip, with file and line/byte.
    fs_measured : float or None
        Rate measured from the file's time stamps, Hz.
    jitter_s : float or None
        Standard deviation of the time-stamp steps, s.
    duplicates : int
        Rows whose time stamp repeats the previous one.
    device : str
        Board or sensor named by the file, ``""`` when unknown.
    channel_types : tuple of str
        One of :data:`CHANNEL_TYPES` per channel.
    channel_units : tuple of str
        Unit of each column (``"uV"``, ``"g"``, ``"adc counts"``).
    rails : (float, float) or None
        The converter's lowest and highest value in chunk units, when the
        format fixes them (14-bit counts 0-16383, Myo int8 -128..127): a
        sample there is clipped, however briefly. ``None`` when unknown.
    """

    path: Path
    format: str
    fs: float
    channels: tuple[str, ...]
    units: str = "uV"
    scaling: str = ""
    n_samples: int | None = None
    duration_s: float | None = None
    start_time: datetime | None = None
    annotations: tuple[tuple[float, float, str], ...] = ()
    warnings: tuple[str, ...] = ()
    fs_measured: float | None = None
    jitter_s: float | None = None
    duplicates: int = 0
    device: str = ""
    channel_types: tuple[str, ...] = ()
    channel_units: tuple[str, ...] = ()
    rails: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))
        fs = float(self.fs)
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"RecordingInfo: fs must be a positive rate in Hz, got {self.fs!r}")
        object.__setattr__(self, "fs", fs)
        n = len(self.channels)
        types = tuple(self.channel_types) or ("exg",) * n
        units = tuple(self.channel_units) or (self.units,) * n
        if len(types) != n or len(units) != n:
            raise ValueError(f"RecordingInfo: {n} channel(s) but {len(types)} type(s) and {len(units)} unit(s)")
        bad = [t for t in types if t not in CHANNEL_TYPES]
        if bad:
            raise ValueError(f"RecordingInfo: unknown channel type(s) {bad}; allowed {CHANNEL_TYPES}")
        object.__setattr__(self, "channel_types", types)
        object.__setattr__(self, "channel_units", units)
        object.__setattr__(self, "annotations", tuple((float(a), float(b), str(c)) for a, b, c in self.annotations))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        if self.rails is not None:
            lo, hi = (float(v) for v in self.rails)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"RecordingInfo: rails must be two finite values, lowest first, got {self.rails!r}")
            object.__setattr__(self, "rails", (lo, hi))
        if self.n_samples is not None and self.duration_s is None:
            object.__setattr__(self, "duration_s", self.n_samples / fs)

    def with_changes(self, **changes: object) -> RecordingInfo:
        """Return a copy with some fields replaced (the info itself is frozen)."""
        return replace(self, **changes)

    def describe(self) -> str:
        """A readable multi-line summary (what ``emgwatch info FILE`` prints)."""
        dur = "unknown" if self.duration_s is None else f"{self.duration_s:.2f} s"
        lines = [
            f"file:        {self.path}",
            f"format:      {self.format}" + (f" ({self.device})" if self.device else ""),
            f"rate:        {self.fs:g} Hz",
        ]
        if self.fs_measured is not None:
            jit = "" if self.jitter_s is None else f", step jitter {self.jitter_s * 1e3:.3f} ms"
            lines.append(
                f"measured:    {self.fs_measured:.3f} Hz from time stamps{jit}, {self.duplicates} duplicate(s)"
            )
        n = "unknown" if self.n_samples is None else str(self.n_samples)
        lines.append(f"samples:     {n} per channel, duration {dur}")
        if self.start_time is not None:
            lines.append(f"start:       {self.start_time.isoformat(sep=' ')}")
        lines.append(f"units:       {self.units}")
        if self.rails is not None:
            lines.append(f"rails:       {self.rails[0]:g} .. {self.rails[1]:g} (a sample there is clipped)")
        if self.scaling:
            lines.append(f"scaling:     {self.scaling}")
        lines.append(f"channels:    {len(self.channels)}")
        for name, kind, unit in zip(self.channels, self.channel_types, self.channel_units):
            lines.append(f"  {name:<16} {kind:<5} {unit}")
        if self.annotations:
            lines.append(f"annotations: {len(self.annotations)}")
            for onset, dur_s, text in self.annotations[:20]:
                lines.append(f"  {onset:10.3f} s  {dur_s:7.3f} s  {text}")
            if len(self.annotations) > 20:
                lines.append(f"  ... {len(self.annotations) - 20} more")
        if self.warnings:
            lines.append(f"warnings:    {len(self.warnings)}")
            lines.extend(f"  {w}" for w in self.warnings)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Recording:
    """A whole recording in memory.

    Parameters
    ----------
    data : ndarray of float32, shape (n_samples, n_channels)
        In ``info.units`` (µV for every biopotential file with a known scale).
    fs : float
        Sampling rate, Hz.
    channels : tuple of str
        Column names.
    info : RecordingInfo
        The reader's description.
    """

    data: np.ndarray
    fs: float
    channels: tuple[str, ...]
    info: RecordingInfo = field(repr=False)

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs
