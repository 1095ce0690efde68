"""Choosing a reader: by ``format=``, else by sniffing the content, else by suffix.

``.txt`` and ``.csv`` are ambiguous (OpenBCI GUI, BrainFlow, Myo, plain
tables), so content decides first: each reader's ``sniff`` looks at the first
64 KiB, candidates are tried in ``_SNIFF_ORDER`` (most specific first), and if
none fits the error lists every supported format and what each candidate said.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dsp import InputFormatError, RecordingNotFoundError, UnsupportedFormatError
from recordings._base import BaseReader
from recordings._edf import EdfReader
from recordings._info import Recording, RecordingInfo
from recordings._openbci import BRAINFLOW_BOARDS, BrainFlowReader, OpenBciGuiReader, brainflow_for
from recordings._opensignals import OpenSignalsH5Reader, OpenSignalsTextReader
from recordings._text_formats import (
    ChordsCsvReader,
    DaqVoltsReader,
    EmgwatchCsvReader,
    GenericTextReader,
    MyoCsvReader,
    SimpleTextReader,
    UciMyoReader,
)
from recordings._wfdb_wav import WavReader, WfdbReader
from recordings._writer import WRITERS, RecordingWriter

_SNIFF_ORDER: tuple[type[BaseReader], ...] = (
    EdfReader,
    WavReader,
    OpenSignalsH5Reader,
    WfdbReader,
    EmgwatchCsvReader,
    OpenSignalsTextReader,
    SimpleTextReader,
    OpenBciGuiReader,
    ChordsCsvReader,
    UciMyoReader,
    BrainFlowReader,
    MyoCsvReader,
    DaqVoltsReader,
    GenericTextReader,
)

#: Format name -> reader class. ``format=`` takes these names.
READERS: dict[str, type[BaseReader]] = {cls.name: cls for cls in _SNIFF_ORDER}
for _board in BRAINFLOW_BOARDS:
    READERS[f"brainflow-{_board}"] = brainflow_for(_board)
# The EDF reader also answers to the names it reports.
for _alias in ("edf+", "bdf", "bdf+"):
    READERS[_alias] = EdfReader


def supported_formats() -> list[tuple[str, str]]:
    """Every readable format as (name, description), in sniffing order."""
    return [(name, cls.description) for name, cls in READERS.items() if name not in ("edf+", "bdf", "bdf+")]


def _format_list() -> str:
    return ", ".join(n for n, _ in supported_formats()) + " (descriptions: recordings.supported_formats())"


def open_recording(
    path: str | os.PathLike[str],
    *,
    fs: float | None = None,
    format: str | None = None,
    channels: Sequence[str] | None = None,
) -> BaseReader:
    """Open a recording for streaming.

    Parameters
    ----------
    path : path-like
        The file (for WFDB the ``.hea`` or ``.dat``).
    fs : float, optional
        Sampling rate in Hz, overriding the file (required for files with no
        rate and no time stamps).
    format : str, optional
        A name from :func:`supported_formats` (skips sniffing).
    channels : sequence of str, optional
        Keep only these channels.

    Returns
    -------
    BaseReader
        A context manager with ``info`` (:class:`RecordingInfo`) and
        ``chunks(chunk_samples)``.

    Raises
    ------
    RecordingNotFoundError
        The file does not exist.
    UnsupportedFormatError
        No reader recognises the file (the message lists the formats).
    InputFormatError
        The file claims a format but breaks it (file and byte/line named).
    """
    path = Path(path)
    if not path.exists():
        raise RecordingNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise RecordingNotFoundError(f"{path}: is a directory, expected a recording file")
    if format is not None:
        if format not in READERS:
            raise UnsupportedFormatError(
                f"Invalid value for the 'format' parameter: {format!r}. Allowed: {_format_list()}"
            )
        return READERS[format](path, fs=fs, channels=channels)
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as err:
        raise RecordingNotFoundError(f"{path}: cannot be opened ({err.strerror})") from None
    tried: list[str] = []
    candidates = [cls for cls in _SNIFF_ORDER if cls.sniff(path, head)]
    if not candidates:
        candidates = [
            cls for cls in _SNIFF_ORDER if path.suffix.lower() in cls.suffixes and cls is not GenericTextReader
        ]
    for cls in candidates:
        try:
            return cls(path, fs=fs, channels=channels)
        except UnsupportedFormatError:
            raise
        except InputFormatError as err:
            tried.append(f"{cls.name}: {err}")
            if len(candidates) == 1:
                raise
    detail = f" Tried: {' | '.join(tried)}." if tried else ""
    hint = ""
    if path.suffix.lower() == ".dat":
        hint = " A .dat file needs its WFDB .hea header beside it."
    raise UnsupportedFormatError(
        f"{path}: no reader recognises this file.{detail}{hint} Supported formats: {_format_list()}"
    )


def read_recording(path: str | os.PathLike[str], **kwargs) -> Recording:
    """Read a whole recording into memory (same keywords as :func:`open_recording`).

    Returns
    -------
    Recording
        ``data`` float32 (n_samples, n_channels) in ``info.units``.
    """
    with open_recording(path, **kwargs) as reader:
        data = reader.read_all()
        info = reader.info
    return Recording(data=data, fs=info.fs, channels=info.channels, info=info)


def _short_unit(unit: str) -> str:
    return unit if len(unit) <= 8 else unit.split()[0][:8]


def convert(in_path: str | os.PathLike[str], out_path: str | os.PathLike[str], **reader_kwargs) -> RecordingInfo:
    """Convert any readable recording to EDF+ (.edf), BDF+ (.bdf) or CSV (.csv).

    Samples stream through in chunks; for EDF/BDF a first pass finds the
    data's min and max so the physical range fits the data without clipping. The
    reader's annotations are copied into EDF+/BDF+ files.

    Returns
    -------
    RecordingInfo
        The input's info (what was converted).
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() not in WRITERS:
        raise ValueError(f"{out_path}: no writer for {out_path.suffix!r}; supported: {', '.join(WRITERS)}")
    with open_recording(in_path, **reader_kwargs) as reader:
        info = reader.info
        meta = dict(device=info.device, units=_short_unit(info.units), start_time=info.start_time, sync=False)
        if out_path.suffix.lower() in (".edf", ".bdf"):
            lo, hi = np.inf, -np.inf
            for chunk in reader.chunks():
                finite = chunk.data[np.isfinite(chunk.data)]
                if finite.size:
                    lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            from recordings._edf_writer import physical_range_for

            span = np.array([lo, hi]) if lo <= hi else np.array([np.nan])
            meta["physical_range"] = physical_range_for(span, out_path.suffix.lower() == ".bdf")
        with RecordingWriter(out_path, info.fs, info.channels, **meta) as writer:
            for onset, dur, text in info.annotations:
                writer.add_annotation(onset, dur, text)
            for chunk in reader.chunks():
                writer.write(chunk.data)
    return info
