"""The BIDS-style events table: one row per event, tab-separated.

This is a contract other tools read (``emgwatch analyze --events`` writes it,
``emgwatch simulate`` writes ground truth in the same shape), so its columns
and their order are fixed:

========== ==========================================================
onset      s from the recording start
duration   s
trial_type ``fasciculation``, ``cramp``, ``voluntary`` or ``artifact``
channel    channel name; comma-joined for multi-channel events
peak_uv    peak absolute amplitude, µV
confidence 0..1
subtype    artefact subtype or refinement (``pop``, ``doublet``); may be empty
evidence   plain-words reason; may be empty
========== ==========================================================

Extra columns may follow in later versions; readers must ignore them. Missing
values are written as ``n/a`` as BIDS asks.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable
from pathlib import Path

from dsp import Event, InputFormatError

#: Column order of the events table. Never reorder: append only.
EVENT_COLUMNS: tuple[str, ...] = (
    "onset",
    "duration",
    "trial_type",
    "channel",
    "peak_uv",
    "confidence",
    "subtype",
    "evidence",
)

_REQUIRED = EVENT_COLUMNS[:6]


def _fmt(value: float, digits: int) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.{digits}f}"


def _clean_text(text: str) -> str:
    # A tab or newline inside a cell would break every TSV reader downstream.
    cleaned = " ".join(str(text).split())
    return cleaned if cleaned else "n/a"


def write_events_tsv(path: str | os.PathLike[str], events: Iterable[Event]) -> None:
    """Write ``events`` to ``path`` as a BIDS-style events table.

    Parameters
    ----------
    path : path-like
        Output file (conventionally ``*_events.tsv``).
    events : iterable of Event
        Written in onset order.
    """
    rows = sorted(events, key=lambda e: (e.onset_s, e.offset_s))
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(EVENT_COLUMNS) + "\n")
        for ev in rows:
            cells = (
                _fmt(ev.onset_s, 4),
                _fmt(ev.duration_s, 4),
                ev.trial_type,
                ",".join(ev.channels),
                _fmt(ev.peak_uv, 2),
                _fmt(ev.confidence, 3),
                _clean_text(ev.subtype),
                _clean_text(ev.evidence),
            )
            fh.write("\t".join(cells) + "\n")
    # Replace atomically so a reader never sees half a table.
    os.replace(tmp, path)


def read_events_tsv(path: str | os.PathLike[str]) -> list[Event]:
    """Read an events table written by :func:`write_events_tsv` (or any BIDS
    events file with at least the first six columns).

    Raises
    ------
    InputFormatError
        With the file and line number when a column is missing or a cell is
        not what its column promises.
    """
    path = Path(path)
    events: list[Event] = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        try:
            header = next(reader)
        except StopIteration:
            raise InputFormatError(f"{path}: empty events table, expected a header row") from None
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise InputFormatError(
                f"{path}, line 1: events table lacks column(s) {', '.join(missing)}; "
                f"expected {', '.join(EVENT_COLUMNS)}"
            )
        col = {name: header.index(name) for name in header}
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise InputFormatError(
                    f"{path}, line {line_no}: {len(row)} cell(s), the header has {len(header)}"
                )

            def cell(name: str, default: str = "n/a") -> str:
                return row[col[name]] if name in col else default

            try:
                onset = float(cell("onset"))
                duration = float(cell("duration"))
                peak = cell("peak_uv")
                conf = cell("confidence")
                events.append(
                    Event(
                        channels=tuple(c for c in cell("channel").split(",") if c),
                        onset_s=onset,
                        offset_s=onset + duration,
                        peak_uv=float("nan") if peak == "n/a" else float(peak),
                        trial_type=cell("trial_type"),
                        confidence=1.0 if conf == "n/a" else float(conf),
                        subtype="" if cell("subtype") == "n/a" else cell("subtype"),
                        evidence="" if cell("evidence") == "n/a" else cell("evidence"),
                    )
                )
            except ValueError as err:
                raise InputFormatError(f"{path}, line {line_no}: {err}") from None
    return events
