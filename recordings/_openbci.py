"""OpenBCI GUI text files (every version) and BrainFlow ``write_file`` output.

OpenBCI GUI v5/v6 ("%OpenBCI Raw EXG Data", v5 also "Raw EEG Data" with a
column row): ``%`` header lines (channel count, ``%Sample Rate = 250 Hz``,
``%Board = OpenBCI_GUI$BoardCytonSerial``), one row of column names, then
comma-separated rows: ``Sample Index``, ``EXG Channel 0..n-1`` (µV),
accelerometer (g), digital/analog, ``Timestamp`` (Unix ms), marker,
formatted time. Only the EXG columns become signals.

OpenBCI GUI v3/v4 ("%OpenBCI Raw EEG Data", no column row): sample index,
n EXG channels (µV), 3 aux/accelerometer columns, then (v4) a formatted time
``HH:MM:SS.mmm`` with about 10 ms resolution, used to measure the rate.

BrainFlow ``DataFilter.write_file``: tab-separated ``%.6f``, no header, one
row per sample in the board's row layout (BrainFlow board descriptors):
Ganglion 15 columns (0 package, 1-4 EXG µV, 13 Unix time s), Cyton 24
(1-8 EXG, 22 time), Cyton+Daisy 32 (1-16 EXG, 30 time). The board is inferred
from the column count, or named with ``format="brainflow-cyton"`` etc.
"""

from __future__ import annotations

import re
from pathlib import Path

from dsp import InputFormatError
from recordings._textparse import Layout, TextReader

#: BrainFlow board -> (columns, EXG columns, timestamp column, nominal Hz).
BRAINFLOW_BOARDS: dict[str, tuple[int, list[int], int, float]] = {
    "ganglion": (15, [1, 2, 3, 4], 13, 200.0),
    "cyton": (24, list(range(1, 9)), 22, 250.0),
    "cyton-daisy": (32, list(range(1, 17)), 30, 125.0),
}


def _clock_time(text: str) -> float:
    hh, mm, ss = text.strip().split(":")
    return int(hh) * 3600 + int(mm) * 60 + float(ss)


class OpenBciGuiReader(TextReader):
    name = "openbci-gui"
    description = "OpenBCI GUI text, v3/v4 ('%OpenBCI Raw EEG Data') and v5/v6 ('Raw EXG Data', column names)"
    suffixes = (".txt", ".csv")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"%OpenBCI Raw")

    def _layout(self, head: list[str]) -> Layout:
        meta = {}
        skip = 0
        while skip < len(head) and head[skip].startswith("%"):
            key, _, val = head[skip][1:].partition("=")
            meta[key.strip().lower()] = val.strip()
            skip += 1
        if skip >= len(head):
            raise InputFormatError(f"{self.path}: OpenBCI header but no data rows")
        match = re.match(r"([\d.]+)", meta.get("sample rate", ""))
        fs = float(match.group(1)) if match else None
        board = meta.get("board", "")
        device = "OpenBCI " + board.split("$Board")[-1] if "$Board" in board else "OpenBCI"
        row = head[skip]
        if row.lower().startswith("sample index"):
            names = [n.strip() for n in row.split(",")]
            sig = [i for i, n in enumerate(names) if n.upper().startswith(("EXG CHANNEL", "EEG CHANNEL"))]
            tcol = names.index("Timestamp") if "Timestamp" in names else None
            first = head[skip + 1].split(",") if skip + 1 < len(head) else []
            tscale = 1e-3 if tcol is not None and len(first) > tcol and float(first[tcol]) > 1e11 else 1.0
            version = "v6" if "EXG" in head[0] else "v5"
            chan_names = ["EXG" + re.findall(r"\d+", names[i])[0] for i in sig]
            return Layout(
                skip=skip + 1,
                delimiter=",",
                n_fields=len(names),
                signal_cols=sig,
                names=chan_names,
                types=["exg"] * len(sig),
                units=["uV"] * len(sig),
                scale=[1.0] * len(sig),
                offset=[0.0] * len(sig),
                scaling="EXG columns already in µV (accelerometer/aux left out)",
                format=f"openbci-gui-{version}",
                device=device,
                fs_nominal=fs,
                time_col=tcol,
                time_scale=tscale,
                # The Cyton counts samples 0-255; Ganglion ids are packet numbers, not samples.
                counter_col=0 if "Cyton" in board else None,
                counter_mod=256,
            )
        fields = [f.strip() for f in row.split(",")]
        has_time = ":" in fields[-1]
        n_ch = (
            int(meta["number of channels"])
            if meta.get("number of channels", "").isdigit()
            else len(fields) - 1 - 3 - (1 if has_time else 0)
        )
        if n_ch < 1:
            raise InputFormatError(f"{self.path}, line {skip + 1}: {len(fields)} fields, too few for an OpenBCI row")
        if device == "OpenBCI":
            device = {4: "OpenBCI Ganglion", 8: "OpenBCI Cyton", 16: "OpenBCI Cyton+Daisy"}.get(n_ch, "OpenBCI")
        sig = list(range(1, 1 + n_ch))
        return Layout(
            skip=skip,
            delimiter=",",
            n_fields=len(fields),
            signal_cols=sig,
            names=[f"EXG{i}" for i in range(n_ch)],
            types=["exg"] * n_ch,
            units=["uV"] * n_ch,
            scale=[1.0] * n_ch,
            offset=[0.0] * n_ch,
            scaling="EXG columns already in µV (aux/accelerometer left out)",
            format="openbci-gui-v4" if has_time else "openbci-gui-v3",
            device=device,
            fs_nominal=fs,
            time_col=len(fields) - 1 if has_time else None,
            time_conv=_clock_time if has_time else None,
            notes=[f"{self.path}: sample index cycles with the board's packet id; not used as time"],
        )


class BrainFlowReader(TextReader):
    name = "brainflow"
    description = "BrainFlow DataFilter.write_file text (tab-separated, no header; board from the column count)"
    suffixes = (".txt", ".csv", ".tsv")
    board: str | None = None

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        lines = head.decode("latin-1").splitlines()[:20]
        if len(lines) < 3:
            return False
        parts = lines[0].strip().split("\t")
        for n, _, tcol, _ in BRAINFLOW_BOARDS.values():
            if len(parts) == n:
                try:
                    return 1e9 < float(parts[tcol]) < 1e10 and all(
                        len(ln.strip().split("\t")) == n for ln in lines[1:-1]
                    )
                except ValueError:
                    return False
        return False

    def _layout(self, head: list[str]) -> Layout:
        n_fields = len(head[0].strip().split("\t"))
        board = self.board
        if board is None:
            found = [b for b, spec in BRAINFLOW_BOARDS.items() if spec[0] == n_fields]
            if not found:
                raise InputFormatError(
                    f"{self.path}, line 1: {n_fields} tab-separated columns match no known BrainFlow board "
                    f"({', '.join(f'{b}: {s[0]}' for b, s in BRAINFLOW_BOARDS.items())})"
                )
            board = found[0]
        n, exg, tcol, fs = BRAINFLOW_BOARDS[board]
        if n != n_fields:
            raise InputFormatError(f"{self.path}, line 1: {n_fields} columns, BrainFlow {board} rows have {n}")
        return Layout(
            skip=0,
            delimiter="\t",
            n_fields=n,
            signal_cols=exg,
            names=[f"EXG{i}" for i in range(len(exg))],
            types=["exg"] * len(exg),
            units=["uV"] * len(exg),
            scale=[1.0] * len(exg),
            offset=[0.0] * len(exg),
            scaling="BrainFlow EXG rows are already µV",
            format=f"brainflow-{board}",
            device=f"OpenBCI {board.title()} via BrainFlow",
            fs_nominal=fs,
            time_col=tcol,
        )


def brainflow_for(board: str) -> type[BrainFlowReader]:
    """A BrainFlowReader bound to one board (``format="brainflow-ganglion"``)."""
    return type(
        f"BrainFlow{board.title().replace('-', '')}Reader",
        (BrainFlowReader,),
        {
            "board": board,
            "name": f"brainflow-{board}",
            "description": f"BrainFlow write_file text from an OpenBCI {board}",
        },
    )
