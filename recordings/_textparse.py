"""Streaming parser for delimited numeric text, and the base of every text reader.

A text format is described by a :class:`Layout` (header lines to skip,
delimiter, field count, which fields are signals, time stamps, labels and how
to scale them). :class:`TextReader` pre-scans the file once at open (row
count, malformed lines, NaN/inf, time-stamp rate and jitter, label changes)
without keeping the samples, then streams the rows again in blocks for
``chunks()``. Malformed lines never stop the read: each becomes a row of NaN
(so later samples keep their time) and is named, with its line number, in the
warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from dsp import InputFormatError
from recordings._base import BaseReader, TimeStats
from recordings._info import RecordingInfo

_BLOCK_LINES = 65536
_MAX_LISTED = 10
#: Text files up to this size keep their parsed samples from the pre-scan, so
#: ``chunks()`` need not parse them again; larger files are parsed twice and
#: never held in memory.
_CACHE_BYTES = 32 * 1024 * 1024


@dataclass
class Layout:
    """How to read one delimited text format (filled in by each format's ``_layout``)."""

    skip: int  # lines before the first data row
    delimiter: str | None  # None: any whitespace
    n_fields: int
    signal_cols: list[int]
    names: list[str]
    types: list[str]
    units: list[str]
    scale: list[float]
    offset: list[float]
    scaling: str
    format: str
    device: str = ""
    fs_nominal: float | None = None
    time_col: int | None = None
    time_conv: Callable[[str], float] | None = None  # for non-numeric time fields
    time_scale: float = 1.0  # time field unit -> s
    label_col: int | None = None
    label_text: str = "label {}"
    dedup: bool = False  # drop rows repeating the previous row's signal values
    counter_col: int | None = None  # a wrapping sample counter (Chords, OpenBCI v5/v6, PLUX nSeq)
    counter_mod: int = 256
    start_time: object = None
    notes: list[str] = field(default_factory=list)
    rails: tuple[float, float] | None = None  # the converter's limits in chunk units, when fixed


def _to_float(text: str) -> float:
    return float(text)


def iter_rows(
    path: Path, lay: Layout, block_lines: int = _BLOCK_LINES
) -> Iterator[tuple[np.ndarray, list[tuple[int, str]]]]:
    """Yield (rows, bad) blocks: rows float64 (n, k) for the fields
    ``signal_cols + [time_col] + [label_col] + [counter_col]``; ``bad`` lists (line number, reason)
    of rows that became NaN."""
    cols = list(lay.signal_cols)
    conv: list[Callable[[str], float]] = [_to_float] * len(cols)
    if lay.time_col is not None:
        cols.append(lay.time_col)
        conv.append(lay.time_conv or _to_float)
    if lay.label_col is not None:
        cols.append(lay.label_col)
        conv.append(_to_float)
    if lay.counter_col is not None:
        cols.append(lay.counter_col)
        conv.append(_to_float)
    special = [i for i, c in enumerate(conv) if c is not _to_float]
    with open(path, "rb") as fh:
        for _ in range(lay.skip):
            fh.readline()
        line_no = lay.skip
        while True:
            raw = list(islice(fh, block_lines))
            if not raw:
                return
            first = line_no + 1
            line_no += len(raw)
            nos, texts = [], []
            for k, line in enumerate(raw):
                text = line.decode("latin-1").strip()
                if text:
                    nos.append(first + k)
                    texts.append(text)
            out = np.full((len(texts), len(cols)), np.nan)
            bad: list[tuple[int, str]] = []
            if lay.delimiter is None:
                counts_ok = all(len(t.split()) == lay.n_fields for t in texts)
            else:
                counts_ok = all(t.count(lay.delimiter) == lay.n_fields - 1 for t in texts)
            if counts_ok and texts:
                try:
                    # numpy's C parser; per-line Python only when a line is bad.
                    out[:] = np.loadtxt(
                        texts,
                        delimiter=lay.delimiter,
                        usecols=cols,
                        ndmin=2,
                        comments=None,
                        converters={c: conv[i] for i, c in enumerate(cols) if i in special} or None,
                    )
                    yield out, bad
                    continue
                except ValueError:
                    out[:] = np.nan
            parts = [t.split(lay.delimiter) for t in texts]
            for r, p in enumerate(parts):
                if len(p) != lay.n_fields:
                    bad.append((nos[r], f"{len(p)} field(s), expected {lay.n_fields}"))
                    continue
                try:
                    out[r] = [conv[i](p[cols[i]]) for i in range(len(cols))]
                except ValueError as err:
                    out[r] = np.nan
                    bad.append((nos[r], str(err)))
            yield out, bad


class TextReader(BaseReader):
    """Base of the delimited-text readers: subclasses give ``_layout(head_lines)``."""

    def _layout(self, head: list[str]) -> Layout:  # pragma: no cover - every format overrides
        raise NotImplementedError

    def _open(self) -> RecordingInfo:
        with open(self.path, "rb") as fh:
            head = [ln.decode("latin-1").rstrip("\r\n") for ln in islice(fh, 64)]
        lay = self._layout(head)
        self._lay = lay
        self._check_counter(head)
        n_sig = len(lay.signal_cols)
        stats = TimeStats()
        n_rows = n_bad = n_nonfinite = n_dropped = n_nan = 0
        bad_listed: list[str] = []
        labels: list[tuple[float, float, str]] = []
        cur_label = None
        label_start = 0
        prev = None
        gap = {"last": None, "gaps": 0, "lost": 0, "first": None}
        cache: list[np.ndarray] | None = [] if self.path.stat().st_size <= _CACHE_BYTES else None
        for rows, bad in iter_rows(self.path, lay):
            n_bad += len(bad)
            for no, why in bad[: max(0, _MAX_LISTED - len(bad_listed))]:
                bad_listed.append(f"line {no} ({why})")
            if lay.dedup:
                rows, prev, dropped = _dedup(rows, n_sig, prev)
                n_dropped += dropped
            if lay.counter_col is not None:
                rows, gap = self._fill_gaps(rows, gap, n_rows)
            sig = rows[:, :n_sig]
            if cache is not None:
                cache.append(self._scaled(sig))
            n_nonfinite += int(np.count_nonzero(np.isinf(sig)))
            n_nan += int(np.count_nonzero(np.isnan(sig))) - len(bad) * n_sig
            if lay.time_col is not None:
                stats.feed(rows[:, n_sig] * lay.time_scale)
            if lay.label_col is not None:
                lab = rows[:, n_sig + (lay.time_col is not None)]
                change = np.flatnonzero(
                    np.diff(np.concatenate(([np.nan if cur_label is None else cur_label], lab))) != 0
                )
                for idx in change:
                    if cur_label is not None and cur_label == cur_label and cur_label != 0:
                        labels.append((label_start, n_rows + idx - label_start, lay.label_text.format(int(cur_label))))
                    cur_label = lab[idx]
                    label_start = n_rows + idx
            n_rows += rows.shape[0]
        if lay.label_col is not None and cur_label is not None and cur_label == cur_label and cur_label != 0:
            labels.append((label_start, n_rows - label_start, lay.label_text.format(int(cur_label))))
        if n_rows == 0:
            raise InputFormatError(f"{self.path}: no data rows after line {lay.skip} ({lay.format})")
        warns = list(lay.notes)
        if n_bad:
            more = f" and {n_bad - len(bad_listed)} more" if n_bad > len(bad_listed) else ""
            warns.append(
                f"{self.path}: {n_bad} malformed line(s) skipped, their samples set to NaN: "
                f"{'; '.join(bad_listed)}{more}"
            )
            if n_bad > max(10, 0.1 * n_rows):  # a few bad lines are quirks; most bad lines mean the wrong reader
                raise InputFormatError(
                    f"{self.path}: {n_bad} of {n_rows} rows are malformed ({bad_listed[0]}); "
                    f"is this really {lay.format}? Pass format= to choose another reader"
                )
        if n_nonfinite:
            warns.append(f"{self.path}: {n_nonfinite} infinite value(s) set to NaN")
        if gap["gaps"]:
            warns.append(
                f"{self.path}: {gap['gaps']} gap(s) in the sample counter, {gap['lost']} lost sample(s) "
                f"filled with NaN to keep the timing (first at sample {gap['first']})"
            )
            n_nan -= gap["lost"] * n_sig
        if n_nan:
            warns.append(f"{self.path}: {n_nan} NaN value(s) in the file kept as NaN (missing samples)")
        if n_dropped:
            warns.append(f"{self.path}: {n_dropped} row(s) repeating the previous row dropped (logger duplicates)")
        fs = lay.fs_nominal
        fs_measured = stats.fs
        if fs_measured is not None:
            if fs is not None and abs(fs_measured - fs) > 0.001 * fs:
                warns.append(
                    f"{self.path}: nominal rate {fs:g} Hz, time stamps give {fs_measured:.3f} Hz; "
                    "using the measured rate"
                )
            fs = fs_measured
        if stats.jitter_s is not None and fs_measured is not None and stats.jitter_s > 0.5 / fs_measured:
            warns.append(
                f"{self.path}: time stamps are irregular (step SD {stats.jitter_s * 1e3:.2f} ms at "
                f"{fs_measured:.3f} Hz, {stats.duplicates} repeated); samples are taken as evenly spaced "
                f"at the mean rate"
            )
        if stats.backwards:
            warns.append(f"{self.path}: time stamps go backwards {stats.backwards} time(s)")
        if fs is None:
            if self._fs_override is None:
                raise InputFormatError(
                    f"{self.path}: {lay.format} file states no sampling rate and has no time stamps; pass fs= (Hz)"
                )
            fs = self._fs_override
        ann = tuple((a / fs, d / fs, t) for a, d, t in labels)
        self._cache = cache
        return RecordingInfo(
            path=self.path,
            format=lay.format,
            fs=fs,
            channels=lay.names,
            units="uV",
            scaling=lay.scaling,
            n_samples=n_rows,
            start_time=lay.start_time,
            annotations=ann,
            warnings=warns,
            fs_measured=fs_measured,
            jitter_s=stats.jitter_s,
            duplicates=stats.duplicates,
            device=lay.device,
            channel_types=lay.types,
            channel_units=lay.units,
            rails=lay.rails,
        )

    def _check_counter(self, head: list[str]) -> None:
        """Use the sample counter only if it steps by 1 in the first rows (a board that counts
        in 2s, or packet ids, would otherwise be "filled" with NaN rows)."""
        lay = self._lay
        if lay.counter_col is None:
            return
        vals = []
        for line in head[lay.skip :]:
            parts = line.strip().split(lay.delimiter)
            if len(parts) == lay.n_fields:
                try:
                    vals.append(float(parts[lay.counter_col]))
                except ValueError:
                    pass
        steps = np.mod(np.diff(vals), lay.counter_mod)
        if steps.size >= 5 and np.mean(steps == 1) < 0.8:
            lay.notes.append(
                f"{self.path}: the counter in column {lay.counter_col + 1} does not step by 1 "
                f"(steps {sorted(set(steps.astype(int).tolist()))[:5]}); not used to find lost samples"
            )
            lay.counter_col = None

    def _fill_gaps(self, rows: np.ndarray, gap: dict, n_before: int) -> tuple[np.ndarray, dict]:
        """Insert NaN rows where the wrapping sample counter skips values."""
        return _fill_gaps_impl(rows, gap, n_before, self._lay.counter_mod)

    def _scaled(self, sig: np.ndarray) -> np.ndarray:
        lay = self._lay
        out = sig * np.asarray(lay.scale) + np.asarray(lay.offset)
        out[np.isinf(out)] = np.nan
        return out.astype(np.float32)

    def _blocks(self) -> Iterator[np.ndarray]:
        if self._cache is not None:
            yield from self._cache
            return
        lay = self._lay
        n_sig = len(lay.signal_cols)
        prev = None
        gap = {"last": None, "gaps": 0, "lost": 0, "first": None}
        for rows, _ in iter_rows(self.path, lay):
            if lay.dedup:
                rows, prev, _ = _dedup(rows, n_sig, prev)
            if lay.counter_col is not None:
                rows, gap = self._fill_gaps(rows, gap, 0)
            yield self._scaled(rows[:, :n_sig])


def _fill_gaps_impl(rows: np.ndarray, gap: dict, n_before: int, mod: int) -> tuple[np.ndarray, dict]:
    counter = rows[:, -1]
    prev = gap["last"]
    seq = counter if prev is None else np.concatenate(([prev], counter))
    ok = np.isfinite(seq)
    steps = np.where(ok[1:] & ok[:-1], np.mod(np.diff(seq), mod), 1.0)
    missing = (steps - 1).astype(np.int64)
    missing[missing < 0] = 0  # a repeated counter value is a duplicate, not a loss
    if prev is None:
        missing = np.concatenate(([0], missing))[: rows.shape[0]]
    finite = counter[np.isfinite(counter)]
    gap = dict(gap, last=float(finite[-1]) if finite.size else prev)
    if not missing.any():
        return rows, gap
    where = np.flatnonzero(missing)
    gap["gaps"] += where.size
    gap["lost"] += int(missing.sum())
    if gap["first"] is None:
        gap["first"] = n_before + int(where[0])
    filler = np.full((1, rows.shape[1]), np.nan)
    parts, start = [], 0
    for i in where:
        parts.append(rows[start:i])
        parts.append(np.repeat(filler, missing[i], axis=0))
        start = i
    parts.append(rows[start:])
    return np.concatenate(parts), gap


def _dedup(rows: np.ndarray, n_sig: int, prev: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, int]:
    if rows.shape[0] == 0:
        return rows, prev, 0
    sig = rows[:, :n_sig]
    before = np.vstack([prev[None, :] if prev is not None else np.full((1, n_sig), np.nan), sig[:-1]])
    keep = ~np.all(sig == before, axis=1)
    return rows[keep], sig[-1].copy(), int((~keep).sum())
