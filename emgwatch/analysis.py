"""Offline analysis: one recording through dsp, the classifier and the advice rules.

This module only wires the layers together; every decision lives in them. The
recording is streamed chunk by chunk, so a 24-hour file needs no more memory
than a short one; what is kept for the report is a decimated min/max trace.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier import Classifier, summarize_session
from classifier.summary import SessionSummary
from dsp import Chunk, Event, Pipeline

#: Points per channel kept for the overview plot (min and max per bin).
_OVERVIEW_BINS = 4000
#: Seconds of raw signal kept around example events for the zoom panels.
_ZOOM_HALF_S = {"fasciculation": 0.15, "cramp": 2.0, "voluntary": 1.0, "artifact": 0.5}
#: Extra signal kept on each side of a zoom, s, so the report's display
#: filters settle before the part it shows (a 50/60 Hz notch rings ~0.2 s).
ZOOM_PAD_S = 1.0
_MAX_ZOOM_EVENTS = 3


@dataclass
class Overview:
    """A min/max-decimated copy of the signal for plots, built while streaming.

    ``bin_s`` doubles whenever the trace would exceed its bin budget, so the
    memory stays fixed whatever the recording's length.
    """

    channels: tuple[str, ...]
    fs: float
    bin_samples: int = 1
    t0: float = 0.0
    mins: list[np.ndarray] = field(default_factory=list)
    maxs: list[np.ndarray] = field(default_factory=list)
    _pending: np.ndarray | None = None

    def add(self, data: np.ndarray) -> None:
        if self._pending is not None and len(self._pending):
            data = np.concatenate([self._pending, data])
        n_full = (len(data) // self.bin_samples) * self.bin_samples
        if n_full:
            blocks = data[:n_full].reshape(-1, self.bin_samples, data.shape[1])
            # fmin/fmax skip lost (NaN) samples; an all-lost bin stays NaN.
            self.mins.append(np.fmin.reduce(blocks, axis=1))
            self.maxs.append(np.fmax.reduce(blocks, axis=1))
        self._pending = data[n_full:].copy()
        if sum(len(m) for m in self.mins) > 2 * _OVERVIEW_BINS:
            self._halve()

    def _halve(self) -> None:
        mins = np.concatenate(self.mins)
        maxs = np.concatenate(self.maxs)
        n = (len(mins) // 2) * 2
        new_mins = [np.fmin(mins[:n:2], mins[1:n:2])]
        new_maxs = [np.fmax(maxs[:n:2], maxs[1:n:2])]
        if n < len(mins):
            # An odd last bin is kept as a whole new bin: the plot's time axis
            # shifts by at most half a bin per halving, under one pixel.
            new_mins.append(mins[n:])
            new_maxs.append(maxs[n:])
        self.mins, self.maxs = new_mins, new_maxs
        self.bin_samples *= 2

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(t_s, mins, maxs)`` with mins/maxs shaped (n_bins, n_channels)."""
        if not self.mins:
            empty = np.zeros((0, len(self.channels)), dtype=np.float32)
            return np.zeros(0), empty, empty
        mins = np.concatenate(self.mins)
        maxs = np.concatenate(self.maxs)
        t = self.t0 + (np.arange(len(mins)) + 0.5) * self.bin_samples / self.fs
        return t, mins, maxs


@dataclass
class AnalysisResult:
    """Everything an analysis found, for the summary, the files and the report."""

    source: str
    fs: float
    channels: tuple[str, ...]
    duration_s: float
    events: list[Event]
    summary: SessionSummary
    quality: dict[str, dict[str, float]]
    info_text: str = ""
    device: str = ""
    overview: Overview | None = None
    zooms: dict[str, list[tuple[Event, np.ndarray, float]]] = field(default_factory=dict)


class _ZoomKeeper:
    """Keeps a short stretch of signal around the first few events of each class.

    Events are decided after their samples have gone by, so a ring buffer of
    the last few seconds is kept and cut when an event arrives.
    """

    def __init__(self, fs: float, n_channels: int, keep_s: float = 8.0) -> None:
        self.fs = fs
        self.n_keep = int((keep_s + ZOOM_PAD_S) * fs)
        self.buf = np.zeros((0, n_channels), dtype=np.float32)
        self.buf_t0 = 0.0
        self.zooms: dict[str, list[tuple[Event, np.ndarray, float]]] = {}

    def add(self, chunk: Chunk) -> None:
        buf = np.concatenate([self.buf, chunk.data])
        # Events of this chunk are decided after it arrives, some seconds late:
        # keep the whole chunk plus the look-back.
        n_keep = self.n_keep + chunk.n_samples
        if len(buf) > n_keep:
            drop = len(buf) - n_keep
            buf = buf[drop:]
            self.buf_t0 = chunk.t_end - len(buf) / self.fs
        elif len(self.buf) == 0:
            self.buf_t0 = chunk.t0
        self.buf = buf

    def offer(self, events: Iterable[Event]) -> None:
        for ev in events:
            got = self.zooms.setdefault(ev.trial_type, [])
            if len(got) >= _MAX_ZOOM_EVENTS:
                continue
            half = _ZOOM_HALF_S[ev.trial_type] + ZOOM_PAD_S
            centre = float(ev.features.get("t_peak_s", float("nan")))
            if not np.isfinite(centre):
                centre = (ev.onset_s + ev.offset_s) / 2
            centres = [centre]
            if ev.trial_type in ("cramp", "voluntary"):
                # The onset is what tells a cramp from a voluntary ramp; a long
                # one is decided minutes after it, when only its end (the
                # fade, evidence too) is still in the buffer.
                centres = [ev.onset_s, ev.offset_s]
            for centre in centres:
                start = round((centre - half - self.buf_t0) * self.fs)
                stop = round((centre + half - self.buf_t0) * self.fs)
                if start >= 0 and stop <= len(self.buf):
                    got.append((ev, self.buf[start:stop].copy(), self.buf_t0 + start / self.fs))
                    break
            # else: out of the buffer; later events of this class will do


def analyze_chunks(
    chunks: Iterable[Chunk],
    *,
    fs: float,
    channels: Sequence[str],
    source: str = "",
    device: str = "",
    mains_hz: float | None | str = "auto",
    keep_plot_data: bool = True,
    zero_phase: bool = False,
    rails: tuple[float, float] | None = None,
) -> AnalysisResult:
    """Run dsp and the classifier over a stream of chunks.

    The same function serves files, the simulator and live sources: what it
    returns does not depend on how the stream was cut into chunks. ``rails``
    are the converter's limits in the chunks' units when known (see
    ``dsp.Pipeline``).
    """
    channels = tuple(channels)
    pipe = Pipeline(fs, channels, mains_hz=mains_hz, zero_phase=zero_phase, rails=rails)
    clf = Classifier(fs, channels)
    events: list[Event] = []
    overview = Overview(channels, fs) if keep_plot_data else None
    zooms = _ZoomKeeper(fs, len(channels)) if keep_plot_data else None
    n_samples = 0
    t_first: float | None = None
    for chunk in chunks:
        if t_first is None:
            t_first = chunk.t0
            if overview is not None:
                overview.t0 = chunk.t0
        n_samples += chunk.n_samples
        if zooms is not None:
            zooms.add(chunk)
        if overview is not None:
            overview.add(chunk.data)
        new = clf.feed(pipe.process(chunk), settled_s=pipe.settled_s)
        if zooms is not None:
            zooms.offer(new)
        events.extend(new)
    tail = clf.feed(pipe.flush()) + clf.flush()
    if zooms is not None:
        zooms.offer(tail)
    events.extend(tail)
    events.sort(key=lambda e: (e.onset_s, e.offset_s))
    duration_s = n_samples / fs
    quality = pipe.quality()
    summary = summarize_session(
        events, duration_s=duration_s, fs=fs, channels=channels, device=device, quality=quality
    )
    return AnalysisResult(
        source=source,
        fs=fs,
        channels=channels,
        duration_s=duration_s,
        events=events,
        summary=summary,
        quality=quality,
        device=device,
        overview=overview,
        zooms=zooms.zooms if zooms is not None else {},
    )


def analyze_file(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    format: str | None = None,
    channels: Sequence[str] | None = None,
    mains_hz: float | None | str = "auto",
    keep_plot_data: bool = True,
    zero_phase: bool = False,
    rails: tuple[float, float] | None = None,
) -> AnalysisResult:
    """Analyse one recording file (any format ``recordings`` reads).

    ``zero_phase=True`` filters forward and backward (no phase delay, sharper
    twitch timing); it needs the whole recording in memory at once, so the
    file is read whole instead of streamed.
    """
    from recordings import open_recording

    with open_recording(path, fs=fs, format=format, channels=channels) as reader:
        info = reader.info
        picked = _muscle_columns(info) if channels is None else None
        names = tuple(info.channels[i] for i in picked) if picked is not None else tuple(info.channels)
        chunks: Iterable[Chunk] = reader.chunks()
        if picked is not None:
            chunks = (Chunk(c.data[:, picked], c.fs, c.t0, names, c.lost) for c in chunks)
        if zero_phase:
            # The zero-phase filter runs over the whole signal in one call.
            whole = list(chunks)
            data = np.concatenate([c.data for c in whole]) if whole else np.zeros((0, len(names)))
            chunks = [Chunk(data, info.fs, whole[0].t0, names)] if whole else []
        result = analyze_chunks(
            chunks,
            fs=info.fs,
            channels=names,
            source=str(Path(path)),
            device=info.device or info.format,
            mains_hz=mains_hz,
            keep_plot_data=keep_plot_data,
            zero_phase=zero_phase,
            rails=info.rails,
        )
        result.info_text = info.describe()
    return result


#: Channel types that can carry muscle activity ("exg": a biopotential input
#: whose use the file does not state).
_MUSCLE_TYPES = ("emg", "exg")


def _muscle_columns(info) -> list[int] | None:
    """Columns worth analysing: EMG and unlabelled biopotential inputs, not
    accelerometers, triggers or a labelled EEG/ECG channel. ``None`` (all)
    when the file labels none of its channels as such."""
    types = getattr(info, "channel_types", ()) or ()
    picked = [i for i, kind in enumerate(types) if kind in _MUSCLE_TYPES]
    return picked if picked and len(picked) < len(info.channels) else None
