"""Text formats without a vendor SDK: each is a :class:`Layout` and a sniff test.

=================  ==========================================================
simple-text        OpenSignals/BioSPPy "Simple Text Format": ``#`` header with
                   ``Sampling Rate (Hz):= 1000.00``, ``Resolution:= 12``,
                   ``Labels:= EMG``; one value per channel per line. Raw ADC.
myo-csv            Myo armband dump: 8 int8 EMG columns + gesture label, no
                   header, no time (Myo's nominal 200 Hz is assumed).
uci-myo-tsv        UCI "EMG data for gestures": ``time channel1..8 class``,
                   time in ms, values are Myo counts x 1e-5, logger duplicates.
chords-csv         Upside Down Labs Chords: ``Timestamp,Counter,Channel1..``,
                   time ``HH:MM:SS:microseconds``, 14-bit ADC counts.
daq-volts          Grove EMG via NI myDAQ: ``ch1_V ch2_V sample_index time_s``.
emgwatch-csv       our CSV writer's output (``# emgwatch-csv fs=... units=...``).
text               any other numeric CSV/TSV/whitespace table, with or
                   without a header row and a time column; values as written.
=================  ==========================================================
"""

from __future__ import annotations

import re
from pathlib import Path

from dsp import InputFormatError
from recordings._textparse import Layout, TextReader

_TIME_NAMES = {
    "time": 1.0,
    "t": 1.0,
    "time_s": 1.0,
    "time (s)": 1.0,
    "timestamp": 1.0,
    "seconds": 1.0,
    "time_ms": 1e-3,
    "time (ms)": 1e-3,
    "ms": 1e-3,
}


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _data_lines(head: list[str], skip_prefix: tuple[str, ...] = ("#", "%")) -> tuple[int, list[str]]:
    n = 0
    while n < len(head) and (head[n].startswith(skip_prefix) or not head[n].strip()):
        n += 1
    return n, head[n:]


def _delimiter(line: str) -> str | None:
    for d in ("\t", ",", ";"):
        if d in line:
            return d
    return None


#: The Myo's EMG is signed 8-bit.
MYO_RAILS = (-128.0, 127.0)


def _raw_layout(fmt: str, names, sig_cols, unit: str, scaling: str, **kw) -> dict:
    n = len(sig_cols)
    return dict(
        format=fmt,
        names=list(names),
        signal_cols=list(sig_cols),
        types=kw.pop("types", ["exg"] * n),
        units=[unit] * n,
        scale=kw.pop("scale", [1.0] * n),
        offset=kw.pop("offset", [0.0] * n),
        scaling=scaling,
        **kw,
    )


class SimpleTextReader(TextReader):
    name = "simple-text"
    description = "OpenSignals/BioSPPy Simple Text Format ('# Simple Text Format', raw ADC counts)"
    suffixes = (".txt",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"# Simple Text Format")

    def _layout(self, head: list[str]) -> Layout:
        meta = {}
        for line in head:
            if line.startswith("#") and ":=" in line:
                key, _, val = line[1:].partition(":=")
                meta[key.strip().lower()] = val.strip()
        skip, rows = _data_lines(head)
        if not rows:
            raise InputFormatError(f"{self.path}: Simple Text Format header but no data rows")
        n_fields = len(rows[0].split())
        labels = meta.get("labels", "").split() or [f"ch{i + 1}" for i in range(n_fields)]
        if len(labels) != n_fields:
            labels = [f"ch{i + 1}" for i in range(n_fields)]
        try:
            fs = float(meta["sampling rate (hz)"])
        except (KeyError, ValueError):
            fs = None
        bits = meta.get("resolution", "")
        unit = f"adc counts ({bits}-bit)" if bits else "adc counts"
        types = ["emg" if lab.upper().startswith("EMG") else "exg" for lab in labels]
        return Layout(
            skip=skip,
            delimiter=None,
            n_fields=n_fields,
            fs_nominal=fs,
            **_raw_layout(
                self.name,
                labels,
                range(n_fields),
                unit,
                "raw ADC counts as written (the file gives no sensor transfer function)",
                types=types,
            ),
        )


class MyoCsvReader(TextReader):
    name = "myo-csv"
    description = "Myo armband CSV: 8 int8 EMG columns + gesture label, no header (200 Hz assumed)"
    suffixes = (".csv", ".txt")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        lines = [ln for ln in head.decode("latin-1").splitlines()[:50] if ln.strip()]
        if len(lines) < 5:
            return False
        for ln in lines[:-1]:
            parts = ln.strip().split(",")
            if len(parts) != 9 or not all(re.fullmatch(r"-?\d+", p.strip()) for p in parts):
                return False
            if not all(-128 <= int(p) <= 127 for p in parts[:8]):
                return False
        return True

    def _layout(self, head: list[str]) -> Layout:
        return Layout(
            skip=0,
            delimiter=",",
            n_fields=9,
            fs_nominal=200.0,
            label_col=8,
            label_text="gesture {}",
            device="Thalmic Labs Myo armband",
            rails=MYO_RAILS,
            notes=[]
            if self._fs_override
            else [f"{self.path}: no time stamps; assuming the Myo's nominal 200 Hz (pass fs= to change)"],
            **_raw_layout(
                self.name,
                [f"emg{i + 1}" for i in range(8)],
                range(8),
                "myo counts",
                "Myo int8 counts as written (the Myo gives no µV calibration)",
                types=["emg"] * 8,
            ),
        )


class UciMyoReader(TextReader):
    name = "uci-myo-tsv"
    description = "UCI 'EMG data for gestures' TSV (Myo counts x 1e-5, time in ms, duplicated rows)"
    suffixes = (".txt", ".tsv")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        first = head.split(b"\n", 1)[0].strip().split(b"\t")
        return len(first) >= 3 and first[0] == b"time" and first[1] == b"channel1" and first[-1] == b"class"

    def _layout(self, head: list[str]) -> Layout:
        names = head[0].strip().split("\t")
        sig = [i for i, n in enumerate(names) if n.startswith("channel")]
        return Layout(
            skip=1,
            delimiter="\t",
            n_fields=len(names),
            time_col=0,
            time_scale=1e-3,
            label_col=names.index("class"),
            label_text="class {}",
            dedup=True,
            device="Thalmic Labs Myo armband",
            rails=MYO_RAILS,
            **_raw_layout(
                self.name,
                [names[i] for i in sig],
                sig,
                "myo counts",
                "file values x 1e5 -> Myo int8 counts (the dataset stored counts x 1e-5)",
                types=["emg"] * len(sig),
                scale=[1e5] * len(sig),
            ),
        )


def _chords_time(text: str) -> float:
    hh, mm, ss, us = text.strip().split(":")
    return int(hh) * 3600 + int(mm) * 60 + int(ss) + int(us) * 1e-6


class ChordsCsvReader(TextReader):
    name = "chords-csv"
    description = "Upside Down Labs Chords CSV (Timestamp HH:MM:SS:us, Counter, 14-bit ADC channels)"
    suffixes = (".csv",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"Timestamp,Counter,Channel1")

    def _layout(self, head: list[str]) -> Layout:
        names = [n.strip() for n in head[0].split(",")]
        sig = [i for i, n in enumerate(names) if n.startswith("Channel")]
        counter = names.index("Counter") if "Counter" in names else None
        return Layout(
            skip=1,
            delimiter=",",
            n_fields=len(names),
            time_col=0,
            time_conv=_chords_time,
            counter_col=counter,
            counter_mod=256,
            device="Upside Down Labs Chords (BioAmp)",
            rails=(0.0, 16383.0),
            **_raw_layout(
                self.name,
                [names[i] for i in sig],
                sig,
                "adc counts (14-bit)",
                "raw 14-bit ADC counts (0-16383) as written; BioAmp gain not stated in the file",
            ),
        )


class DaqVoltsReader(TextReader):
    name = "daq-volts"
    description = "Grove EMG via NI myDAQ text: 'ch1_V ch2_V sample_index time_s' (volts -> µV)"
    suffixes = (".txt",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        lines = [ln.split() for ln in head.decode("latin-1").splitlines()[:40] if ln.strip()]
        if len(lines) < 10 or any(len(p) != 4 or not all(_is_number(x) for x in p) for p in lines[:-1]):
            return False
        rows = [[float(x) for x in p] for p in lines[:-1]]
        idx_ok = all(b[2] - a[2] == 1 for a, b in zip(rows, rows[1:]))
        t_ok = all(b[3] > a[3] for a, b in zip(rows, rows[1:]))
        volts = all(-5.5 <= r[0] <= 5.5 and -5.5 <= r[1] <= 5.5 for r in rows)
        return idx_ok and t_ok and volts

    def _layout(self, head: list[str]) -> Layout:
        return Layout(
            skip=0,
            delimiter=None,
            n_fields=4,
            time_col=3,
            device="Grove EMG Detector via NI myDAQ",
            **_raw_layout(
                self.name,
                ["ch1", "ch2"],
                [0, 1],
                "uV",
                "sensor output volts x 1e6 -> µV (Grove output includes its ~1.5 V offset)",
                types=["emg", "emg"],
                scale=[1e6, 1e6],
            ),
        )


class EmgwatchCsvReader(TextReader):
    name = "emgwatch-csv"
    description = "emgwatch CSV ('# emgwatch-csv fs=... units=...', then time_s and channels)"
    suffixes = (".csv",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.startswith(b"# emgwatch-csv")

    def _layout(self, head: list[str]) -> Layout:
        meta = dict(re.findall(r"(\w+)=(\S*)", head[0]))
        device = head[0].partition("device=")[2].strip()
        names = head[1].split(",")
        unit = meta.get("units", "uV").replace("_", " ")
        try:
            fs = float(meta["fs"])
        except (KeyError, ValueError):
            raise InputFormatError(f"{self.path}, line 1: emgwatch-csv header lacks fs=<Hz>") from None
        n = len(names) - 1
        lay = Layout(
            skip=2,
            delimiter=",",
            n_fields=len(names),
            time_col=None,
            fs_nominal=fs,
            device=device,
            **_raw_layout(self.name, names[1:], range(1, n + 1), unit, "as written by emgwatch"),
        )
        return lay


class GenericTextReader(TextReader):
    name = "text"
    description = "numeric CSV/TSV/whitespace table, optional header row and time column (values as written)"
    suffixes = (".csv", ".tsv", ".txt", ".dat", ".asc")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        skip, rows = _data_lines(head.decode("latin-1").splitlines()[:64])
        rows = [r for r in rows if r.strip()]
        if len(rows) < 3:
            return False
        d = _delimiter(rows[1])
        return all(_is_number(x) for x in rows[1].strip().split(d))

    def _layout(self, head: list[str]) -> Layout:
        skip, rows = _data_lines(head)
        rows = [r for r in rows if r.strip()]
        if len(rows) < 2:
            raise InputFormatError(f"{self.path}: fewer than 2 data rows")
        delim = _delimiter(rows[1])
        first = [x.strip() for x in rows[0].strip().split(delim)]
        has_header = not all(_is_number(x) for x in first)
        n_fields = len(rows[1].strip().split(delim))
        names = first if has_header and len(first) == n_fields else [f"ch{i + 1}" for i in range(n_fields)]
        body = rows[1:] if has_header else rows
        time_col, time_scale = None, 1.0
        if has_header:
            for i, n in enumerate(names):
                if n.lower() in _TIME_NAMES:
                    time_col, time_scale = i, _TIME_NAMES[n.lower()]
                    break
        elif n_fields > 1:
            t = [float(r.strip().split(delim)[0]) for r in body[:50] if _is_number(r.strip().split(delim)[0])]
            steps = [b - a for a, b in zip(t, t[1:])]
            if len(steps) > 5 and all(s > 0 for s in steps) and max(steps) < 1.0 and any(x != int(x) for x in t):
                time_col = 0
        sig = [i for i in range(n_fields) if i != time_col]
        notes = []
        if time_col is not None:
            notes.append(
                f"{self.path}: column {time_col + 1} ({names[time_col]}) read as time stamps in "
                f"{'ms' if time_scale == 1e-3 else 's'}"
            )
        units, scale = [], []
        for i in sig:
            low = names[i].lower()
            if re.search(r"(\(|_|\[|\s)(uv|µv)\)?\]?$", low):
                units.append("uV"), scale.append(1.0)
            elif re.search(r"(\(|_|\[|\s)mv\)?\]?$", low):
                units.append("uV"), scale.append(1e3)
            else:
                units.append("raw (as written)"), scale.append(1.0)
        lay = Layout(
            skip=skip + (1 if has_header else 0),
            delimiter=delim,
            n_fields=n_fields,
            time_col=time_col,
            time_scale=time_scale,
            notes=notes,
            **_raw_layout(
                self.name,
                [names[i] for i in sig],
                sig,
                "raw (as written)",
                "values as written (units not stated; mV/uV column names are converted)",
                scale=scale,
            ),
        )
        lay.units = units
        return lay
