"""PLUX OpenSignals files (BITalino, biosignalsplux): text with a JSON header, and HDF5.

Text: ``# OpenSignals Text File Format``, ``# {JSON}``, ``# EndOfHeader``,
then tab-separated rows ``nSeq DI CH1 CH2 ...`` (each row ends with a tab).
The JSON is keyed by the device MAC and gives ``sensor``, ``label``,
``column``, ``resolution`` (bits), ``sampling rate``, ``device``, ``date``,
``time``. HDF5: one group per device MAC with attributes ``sampling rate``,
``resolution``, ``device``, and datasets ``raw/channel_<n>`` (uint16,
N x 1, attribute ``sensor``) and ``raw/nSeq``.

EMG channels are converted with the PLUX EMG transfer function
(biosignalsplux EMG datasheet): EMG_mV = (ADC / 2**n - 0.5) * VCC / G with
VCC = 3000 mV and G = 1000, i.e. µV = (ADC / 2**n - 0.5) * 3000. Other
sensors (accelerometer ``XYZ``/``ACC`` ...) stay raw ADC counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from dsp import InputFormatError
from recordings._base import BaseReader
from recordings._info import RecordingInfo
from recordings._textparse import Layout, TextReader

_VCC_MV, _GAIN = 3000.0, 1000.0


def _plux(sensor: str, bits: int) -> tuple[str, str, float, float]:
    """(type, unit, scale, offset) of one PLUX channel."""
    s = sensor.upper()
    if s.startswith("EMG"):
        scale = _VCC_MV / _GAIN * 1000.0 / 2**bits  # µV per count
        return "emg", "uV", scale, -0.5 * _VCC_MV / _GAIN * 1000.0
    kind = "acc" if s in ("XYZ", "ACC", "ACCX", "ACCY", "ACCZ") else ("ecg" if s.startswith("ECG") else "misc")
    return kind, f"adc counts ({bits}-bit)", 1.0, 0.0


def _start(date: str, time: str) -> datetime | None:
    try:
        y, m, d = (int(x) for x in date.split("-"))
        hh, mm, ss = time.split(":")
        sec = float(ss)
        return datetime(y, m, d, int(hh), int(mm), int(sec), int(round((sec % 1) * 1e6)) % 1000000)
    except (ValueError, AttributeError):
        return None


_SCALING = "PLUX EMG: µV = (ADC/2**n - 0.5) * 3000 (VCC 3 V, gain 1000); other sensors raw ADC counts"


class OpenSignalsTextReader(TextReader):
    name = "opensignals-text"
    description = "PLUX OpenSignals text (JSON header; BITalino/biosignalsplux; EMG -> µV)"
    suffixes = (".txt",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.lstrip().startswith(b"# OpenSignals Text File Format")

    def _layout(self, head: list[str]) -> Layout:
        try:
            skip = next(i for i, ln in enumerate(head) if ln.startswith("# EndOfHeader")) + 1
            meta_all = json.loads(head[1].lstrip("#").strip())
        except (StopIteration, IndexError, json.JSONDecodeError) as err:
            raise InputFormatError(f"{self.path}, line 2: OpenSignals JSON header unreadable ({err})") from None
        if len(meta_all) != 1:
            raise InputFormatError(
                f"{self.path}, line 2: {len(meta_all)} devices in one file; only single-device files are supported"
            )
        meta = next(iter(meta_all.values()))
        columns = meta.get("column", [])
        labels, sensors = meta.get("label", []), meta.get("sensor", [])
        bits = meta.get("resolution", [16] * len(labels))
        sig = [columns.index(lab) for lab in labels]
        kinds = [_plux(s, b) for s, b in zip(sensors, bits)]
        return Layout(
            skip=skip,
            delimiter="\t",
            n_fields=len(columns),
            signal_cols=sig,
            names=labels,
            types=[k[0] for k in kinds],
            units=[k[1] for k in kinds],
            scale=[k[2] for k in kinds],
            offset=[k[3] for k in kinds],
            scaling=_SCALING,
            format=self.name,
            device=str(meta.get("device", "PLUX")),
            fs_nominal=float(meta["sampling rate"]),
            start_time=_start(meta.get("date", ""), meta.get("time", "")),
            # nSeq counts samples modulo 16 (PLUX); a skipped value is a lost sample.
            counter_col=columns.index("nSeq") if "nSeq" in columns else None,
            counter_mod=16,
        )


class OpenSignalsH5Reader(BaseReader):
    name = "opensignals-h5"
    description = "PLUX OpenSignals HDF5 (.h5; raw/channel_n datasets; EMG -> µV)"
    suffixes = (".h5", ".hdf5")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head.startswith(b"\x89HDF\r\n\x1a\n")

    def _open(self) -> RecordingInfo:
        import h5py

        try:
            self._h5 = h5py.File(self.path, "r")
        except OSError as err:
            raise InputFormatError(f"{self.path}: not a readable HDF5 file ({err})") from None
        groups = [k for k in self._h5.keys() if isinstance(self._h5[k], h5py.Group) and "raw" in self._h5[k]]
        if len(groups) != 1:
            raise InputFormatError(f"{self.path}: expected one OpenSignals device group with raw/, found {groups}")
        g = self._h5[groups[0]]
        attrs = g.attrs
        names = sorted((k for k in g["raw"].keys() if k.startswith("channel_")), key=lambda k: int(k.split("_")[1]))
        if not names:
            raise InputFormatError(f"{self.path}: {groups[0]}/raw holds no channel_<n> datasets")
        self._dsets = [g["raw"][k] for k in names]
        bits = list(np.atleast_1d(attrs.get("resolution", [16] * len(names))))
        if len(bits) != len(names):
            bits = [int(bits[0])] * len(names)
        sensors = [str(d.attrs.get("sensor", "")) for d in self._dsets]
        kinds = [_plux(s, int(b)) for s, b in zip(sensors, bits)]
        self._scale = np.array([k[2] for k in kinds])
        self._offset = np.array([k[3] for k in kinds])
        lengths = {d.shape[0] for d in self._dsets}
        if len(lengths) != 1:
            raise InputFormatError(f"{self.path}: channel datasets differ in length {sorted(lengths)}")
        n = lengths.pop()
        warns = []
        if "nsamples" in attrs and int(attrs["nsamples"]) != n:
            warns.append(f"{self.path}: attribute nsamples={int(attrs['nsamples'])} but datasets hold {n}; reading {n}")
        return RecordingInfo(
            path=self.path,
            format=self.name,
            fs=float(attrs["sampling rate"]),
            channels=names,
            scaling=_SCALING,
            n_samples=n,
            start_time=_start(str(attrs.get("date", "")), str(attrs.get("time", ""))),
            warnings=warns,
            device=str(attrs.get("device", "PLUX")),
            channel_types=[k[0] for k in kinds],
            channel_units=[k[1] for k in kinds],
        )

    def _blocks(self) -> Iterator[np.ndarray]:
        n = self._dsets[0].shape[0]
        step = 1 << 18
        for a in range(0, n, step):
            cols = [np.asarray(d[a : a + step]).reshape(-1).astype(np.float64) for d in self._dsets]
            yield (np.column_stack(cols) * self._scale + self._offset).astype(np.float32)

    def _close(self) -> None:
        h5 = getattr(self, "_h5", None)
        if h5 is not None:
            h5.close()
