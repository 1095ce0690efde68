"""WFDB records (PhysioNet) through ``wfdb``, and WAV audio from EMG kits.

WFDB: a ``.hea`` header (record line ``name n_sig fs n_samples``, one line per
signal ``file format gain/units ...``) and signal files (``.dat``). Opening
either the ``.hea`` or the ``.dat`` works. Physical values come from
``wfdb.rdrecord(physical=True)`` and mV/V are converted to µV. A header that
promises more samples than the signal file holds is read up to what is there,
with a warning.

WAV (RIFF, PCM 8/16/24/32-bit or float32): parsed here, not by
``scipy.io.wavfile``, because the Backyard Brains SpikerBox files claim 4 more
bytes than they hold; we read the whole frames present and warn with the
count of missing bytes. Units are raw audio counts: the kits give no µV scale.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from dsp import InputFormatError, UnsupportedFormatError
from recordings._base import BaseReader
from recordings._edf_header import _TO_UV, channel_type_from_label
from recordings._info import RecordingInfo

#: Bytes per sample of the WFDB storage formats whose length we can check.
_WFDB_BYTES = {8: 1, 16: 2, 24: 3, 32: 4, 61: 2, 80: 1, 160: 2, 212: 1.5, 310: 4 / 3, 311: 4 / 3}


class WfdbReader(BaseReader):
    name = "wfdb"
    description = "PhysioNet WFDB record (.hea header + .dat signal files), e.g. emgdb"
    suffixes = (".hea", ".dat")

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        if path.suffix.lower() == ".dat":
            return path.with_suffix(".hea").exists()
        if path.suffix.lower() != ".hea":
            return False
        parts = head.split(b"\n", 1)[0].split()
        return len(parts) >= 2 and parts[1].isdigit()

    def _open(self) -> RecordingInfo:
        import wfdb

        self._name = str(self.path.with_suffix(""))
        if not self.path.with_suffix(".hea").exists():
            raise UnsupportedFormatError(
                f"{self.path}: a .dat file needs its WFDB .hea header beside it "
                f"({self.path.with_suffix('.hea').name} not found)"
            )
        try:
            h = wfdb.rdheader(self._name)
        except Exception as err:  # wfdb raises bare ValueError/FileNotFoundError with terse text
            raise InputFormatError(f"{self.path.with_suffix('.hea')}: unreadable WFDB header ({err})") from None
        self._h = h
        warns = []
        n = int(h.sig_len or 0)
        files = {}
        for fname, fmt in zip(h.file_name, h.fmt):
            files.setdefault(fname, []).append(int(fmt))
        for fname, fmts in files.items():
            fpath = self.path.parent / fname
            if not fpath.exists():
                raise InputFormatError(f"{self.path}: WFDB signal file {fpath} named in the header is missing")
            per_frame = sum(_WFDB_BYTES.get(f, 0) for f in fmts)
            if per_frame:
                have = int(fpath.stat().st_size // per_frame)
                if have < n:
                    warns.append(f"{fpath}: header promises {n} samples, the file holds {have}; reading {have}")
                    n = have
        self._n = n
        factors, units = [], []
        for u in h.units:
            f = _TO_UV.get((u or "").lower())
            factors.append(1.0 if f is None else f)
            units.append("uV" if f is not None else (u or "unitless"))
        self._factor = np.array(factors)
        comments = " ".join(h.comments or [])
        return RecordingInfo(
            path=self.path,
            format=self.name,
            fs=float(h.fs),
            channels=list(h.sig_name),
            n_samples=n,
            scaling="WFDB (digital - baseline) / gain, mV -> µV",
            start_time=h.base_datetime,
            warnings=warns,
            device="needle electrode" if "needle" in comments.lower() else "",
            channel_types=[channel_type_from_label(s, u) for s, u in zip(h.sig_name, h.units)],
            channel_units=units,
        )

    def _blocks(self) -> Iterator[np.ndarray]:
        import wfdb

        step = 1 << 18
        for a in range(0, self._n, step):
            rec = wfdb.rdrecord(self._name, sampfrom=a, sampto=min(self._n, a + step), physical=True)
            yield (rec.p_signal * self._factor).astype(np.float32)


class WavReader(BaseReader):
    name = "wav"
    description = "WAV audio from EMG kits (Backyard Brains SpikerBox ...); raw audio counts; truncated files read"
    suffixes = (".wav",)

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"

    def _open(self) -> RecordingInfo:
        size = self.path.stat().st_size
        with open(self.path, "rb") as fh:
            riff = fh.read(12)
            if riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
                raise InputFormatError(f"{self.path}, byte 0: not a RIFF/WAVE file")
            riff_claim = struct.unpack("<I", riff[4:8])[0] + 8
            fmt = None
            pos = 12
            while True:
                hdr = fh.read(8)
                if len(hdr) < 8:
                    raise InputFormatError(f"{self.path}, byte {pos}: no 'data' chunk before the end of the file")
                cid, clen = hdr[:4], struct.unpack("<I", hdr[4:])[0]
                if cid == b"fmt ":
                    body = fh.read(clen)
                    tag, nch, rate, _, align, bits = struct.unpack("<HHIIHH", body[:16])
                    if tag == 0xFFFE and len(body) >= 26:
                        tag = struct.unpack("<H", body[24:26])[0]
                    fmt = (tag, nch, rate, align, bits)
                elif cid == b"data":
                    break
                else:
                    fh.seek(clen + (clen & 1), 1)
                pos = fh.tell()
            if fmt is None:
                raise InputFormatError(f"{self.path}: 'data' chunk comes before any 'fmt ' chunk")
        tag, nch, rate, align, bits = fmt
        dtypes = {(1, 8): "u1", (1, 16): "<i2", (1, 32): "<i4", (3, 32): "<f4", (1, 24): "i24"}
        if (tag, bits) not in dtypes:
            raise InputFormatError(f"{self.path}: WAV format tag {tag} with {bits}-bit samples is not supported")
        self._dtype = dtypes[(tag, bits)]
        self._data_offset = pos + 8
        have = size - self._data_offset
        warns = []
        if riff_claim > size:
            warns.append(
                f"{self.path}, byte 4: RIFF size claims {riff_claim} bytes, the file holds {size} "
                f"({riff_claim - size} byte(s) missing: truncated)"
            )
        avail = min(clen, have)
        if clen > have:
            warns.append(
                f"{self.path}: data chunk claims {clen} bytes, the file holds {have} "
                f"({clen - have} byte(s) missing, truncated); reading the {have // align} whole frame(s) present"
            )
        if avail % align:
            warns.append(
                f"{self.path}, byte {self._data_offset + avail - avail % align}: "
                f"{avail % align} byte(s) of a partial frame ignored"
            )
        self._align, self._nch = align, nch
        self._n = avail // align
        names = ["audio"] if nch == 1 else [f"audio{i + 1}" for i in range(nch)]
        return RecordingInfo(
            path=self.path,
            format=self.name,
            fs=float(rate),
            channels=names,
            n_samples=self._n,
            scaling=f"{bits}-bit PCM counts as stored (audio kits give no µV scale)",
            warnings=warns,
            channel_types=["emg"] * nch,
            channel_units=[f"audio counts ({bits}-bit)"] * nch,
        )

    def _blocks(self) -> Iterator[np.ndarray]:
        step = 1 << 18
        with open(self.path, "rb") as fh:
            fh.seek(self._data_offset)
            for a in range(0, self._n, step):
                k = min(step, self._n - a)
                raw = fh.read(k * self._align)
                if self._dtype == "i24":
                    b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
                    v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
                    x = np.where(v >= 1 << 23, v - (1 << 24), v)
                else:
                    x = np.frombuffer(raw, self._dtype).astype(np.float64)
                    if self._dtype == "u1":
                        x = x - 128.0
                yield x.reshape(k, self._nch).astype(np.float32)
