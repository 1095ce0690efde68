"""Writers: ``RecordingWriter`` (live or offline), ``write_recording`` and ``convert``.

The format is chosen by suffix (``WRITERS``): ``.edf`` EDF+ (int16), ``.bdf``
BDF+ (int24), ``.csv`` emgwatch CSV. The CSV starts with one comment line
``# emgwatch-csv fs=<Hz> units=<unit> device=<text>``, then a header
``time_s,<ch1>,...`` and one row per sample; ``recordings`` reads it back as
format ``emgwatch-csv``. Events go into the recording as EDF+ annotations and
beside it as a BIDS events table ``<stem>_events.tsv``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np

from dsp import Chunk, Event
from recordings._edf_writer import EdfPlusWriter, event_text, physical_range_for
from recordings.events_tsv import write_events_tsv

#: Suffix -> (format name, description) of every writer.
WRITERS: dict[str, tuple[str, str]] = {
    ".edf": ("edf+", "EDF+ 16-bit with an annotations channel, 1-s records, crash-safe"),
    ".bdf": ("bdf+", "BDF+ 24-bit with an annotations channel, 1-s records, crash-safe (24-bit boards)"),
    ".csv": ("emgwatch-csv", "comma-separated text: time_s then one column per channel"),
}


def events_tsv_path(path: Path) -> Path:
    """BIDS events table beside a recording: ``sub-01_emg.bdf`` -> ``sub-01_events.tsv``."""
    stem = path.stem[:-4] if path.stem.endswith("_emg") else path.stem
    return path.with_name(stem + "_events.tsv")


class _CsvWriter:
    def __init__(self, path: Path, fs: float, channels: Sequence[str], *, units: str, device: str, sync: bool) -> None:
        self.path, self.fs, self.channels, self.sync = path, float(fs), tuple(channels), sync
        for name in self.channels:
            if "," in name or "\n" in name:
                raise ValueError(f"{path}: channel name {name!r} contains a comma or newline, not allowed in CSV")
        self.n_samples = 0
        self.clipped = 0
        self._fh = open(path, "w", encoding="utf-8", newline="\n")
        device = " ".join(device.split())
        self._fh.write(f"# emgwatch-csv fs={self.fs!r} units={units.replace(' ', '_')} device={device}\n")
        self._fh.write("time_s," + ",".join(self.channels) + "\n")
        self._closed = False

    def add_annotation(self, onset_s: float, duration_s: float | None, text: str) -> None:
        """CSV holds no annotations; events go to the events table."""

    def write(self, data: np.ndarray) -> None:
        data = np.asarray(data, dtype=np.float32)
        if data.ndim == 1 and len(self.channels) == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != len(self.channels):
            raise ValueError(f"{self.path}: write() needs shape (n_samples, {len(self.channels)}), got {data.shape}")
        t = (self.n_samples + np.arange(data.shape[0])) / self.fs
        # %.9g keeps every float32 value exact on the way back in.
        body = np.column_stack([t, data.astype(np.float64)])
        np.savetxt(self._fh, body, fmt=["%.9f"] + ["%.9g"] * data.shape[1], delimiter=",")
        self.n_samples += data.shape[0]
        self._fh.flush()
        if self.sync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._fh.close()


class RecordingWriter:
    """Write a recording incrementally; the format follows the suffix.

    Parameters
    ----------
    path : path-like
        ``.edf`` (EDF+ int16), ``.bdf`` (BDF+ int24) or ``.csv``.
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
        Channel names.
    device : str
        Board or sensor, written to the header's equipment field.
    units : str
        Unit of the samples given to :meth:`write` (``"uV"``).
    annotations_channel : bool
        Write EDF+/BDF+ with an annotations signal (events inside the file).
    electrode_sites : mapping or sequence of str, optional
        Electrode site per channel (``{"ch1": "left calf"}``), in the
        transducer field.
    prefilter : str
        Filters applied before writing (``"HP:20Hz LP:450Hz N:50Hz"``).
    physical_range : (float, float), optional
        EDF/BDF physical min and max in ``units``; samples outside are clipped
        and counted (``clipped``).
    start_time : datetime, optional
        Wall-clock start (default: now).
    sync : bool
        fsync every record (live recording; default True). Offline
        conversions pass False and sync once at close.
    events_tsv : bool
        Also write the BIDS events table ``<stem>_events.tsv`` on close.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo.bdf"
    >>> with RecordingWriter(out, 1000.0, ["ch1"]) as w:
    ...     w.write(np.zeros((2500, 1), np.float32))
    >>> w.n_samples
    2500
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        fs: float,
        channels: Sequence[str],
        *,
        device: str = "",
        units: str = "uV",
        annotations_channel: bool = True,
        electrode_sites=None,
        prefilter: str = "",
        physical_range: tuple[float, float] | None = None,
        start_time: datetime | None = None,
        sync: bool = True,
        events_tsv: bool = True,
        patient: str = "X X X X",
    ) -> None:
        self.path = Path(path)
        self._closed = True  # until the backend exists, so __del__ has nothing to finish
        suffix = self.path.suffix.lower()
        if suffix not in WRITERS:
            raise ValueError(f"{self.path}: no writer for suffix {suffix!r}; supported: {', '.join(WRITERS)}")
        fs = float(fs)
        if not (np.isfinite(fs) and fs > 0):
            raise ValueError(f"fs must be a positive rate in Hz, got {fs!r}")
        if isinstance(channels, str):
            channels = [channels]
        self.channels = tuple(str(c) for c in channels)
        self.fs = fs
        self.events: list[Event] = []
        self._events_tsv = events_tsv
        self._sync = sync
        if suffix == ".csv":
            self._impl = _CsvWriter(self.path, fs, self.channels, units=units, device=device, sync=sync)
        else:
            self._impl = EdfPlusWriter(
                self.path,
                fs,
                self.channels,
                bdf=suffix == ".bdf",
                units=units,
                physical_range=physical_range,
                device=device,
                electrode_sites=electrode_sites,
                prefilter=prefilter,
                patient=patient,
                start_time=start_time,
                annotations_channel=annotations_channel,
                sync=sync,
            )
            if self._impl.rate_error > 1e-6:
                warnings.warn(
                    f"{self.path}: {fs:g} Hz is not a whole number of samples per 1-10 s record; "
                    f"written as {self._impl.rate_written:g} Hz",
                    stacklevel=2,
                )
        self._closed = False

    @property
    def n_samples(self) -> int:
        """Samples per channel written: complete records while an EDF/BDF file is open, every sample after close."""
        return self._impl.n_samples

    @property
    def clipped(self) -> int:
        """Samples clipped to the EDF/BDF physical range."""
        return self._impl.clipped

    def write(self, chunk_or_array: Chunk | np.ndarray) -> None:
        """Append samples: a :class:`dsp.Chunk` (its ``lost`` samples become NaN, written as 0 and
        annotated ``BAD_lost``) or an array of shape (n_samples, n_channels) in ``units``."""
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")
        if isinstance(chunk_or_array, Chunk):
            chunk = chunk_or_array
            if chunk.channels != self.channels:
                raise ValueError(f"{self.path}: chunk channels {chunk.channels} differ from the file's {self.channels}")
            if abs(chunk.fs - self.fs) > 1e-9 * self.fs:
                raise ValueError(f"{self.path}: chunk rate {chunk.fs:g} Hz differs from the file's {self.fs:g} Hz")
            data = chunk.data
            if chunk.lost:
                data = np.concatenate([np.full((chunk.lost, data.shape[1]), np.nan, np.float32), data])
        else:
            data = chunk_or_array
        self._impl.write(data)

    def add_event(self, event: Event) -> None:
        """Record an event: an annotation in the next EDF+/BDF+ record and a row of the events table."""
        if not isinstance(event, Event):
            raise TypeError(f"add_event() takes a dsp.Event, got {type(event).__name__}")
        self.events.append(event)
        self._impl.add_annotation(event.onset_s, event.duration_s, event_text(event))
        if self._sync and self._events_tsv:
            # Live recording: keep the table current (atomic replace) so a crash keeps it too.
            write_events_tsv(events_tsv_path(self.path), self.events)

    def add_annotation(self, onset_s: float, duration_s: float, text: str) -> None:
        """Record a free-text annotation (EDF+/BDF+ only), onset and duration in s."""
        self._impl.add_annotation(float(onset_s), float(duration_s), str(text))

    def close(self) -> None:
        """Finish the file (safe to call twice)."""
        if self._closed:
            return
        self._closed = True
        self._impl.close()
        if self._impl.clipped:
            warnings.warn(f"{self.path}: {self._impl.clipped} sample(s) clipped to the physical range", stacklevel=2)
        if self._events_tsv and self.events:
            write_events_tsv(events_tsv_path(self.path), self.events)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(
                f"{self.path}: RecordingWriter was never closed; closing it now", ResourceWarning, stacklevel=2
            )
            self.close()


def write_recording(
    path: str | os.PathLike[str],
    data: np.ndarray,
    fs: float,
    channels: Sequence[str],
    events: Iterable[Event] = (),
    **meta,
) -> Path:
    """Write a whole recording at once (format by suffix; see :class:`RecordingWriter`).

    Parameters
    ----------
    data : ndarray, shape (n_samples, n_channels)
        Samples in ``meta.get("units", "uV")``.
    fs : float
        Hz.
    channels : sequence of str
    events : iterable of Event
        Written as annotations and as the events table.
    **meta
        Keyword arguments of :class:`RecordingWriter`. Without
        ``physical_range`` an EDF/BDF range covering the data is chosen.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    data = np.asarray(data)
    if data.ndim == 1:
        data = data[:, None]
    if path.suffix.lower() in (".edf", ".bdf") and "physical_range" not in meta:
        meta["physical_range"] = physical_range_for(data, path.suffix.lower() == ".bdf")
    meta.setdefault("sync", False)
    with RecordingWriter(path, fs, channels, **meta) as writer:
        for ev in events:
            writer.add_event(ev)
        writer.write(data)
    return path
