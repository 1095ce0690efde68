"""EDF/BDF header parsing and the low-level pieces of the EDF reader.

Main header (256 bytes): version (``0`` or ``\\xffBIOSEMI``), patient,
recording, start date ``dd.mm.yy``, start time ``hh.mm.ss``, header size,
reserved (``EDF+C``/``EDF+D``/``BDF+C``...), record count (``-1`` while
recording), record duration (s), signal count. Then per signal, field by
field for all signals: label 16, transducer 80, physical dimension 8,
physical min/max 8+8, digital min/max 8+8, prefiltering 80, samples per
record 8, reserved 32 (EDF spec, Kemp et al. 1992; EDF+ spec 2003).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from dsp import InputFormatError

#: EDF+ annotation of samples that were lost (written as 0: EDF has no NaN).
LOST_ANNOTATION = "BAD_lost"
#: Physical dimensions we convert to µV, with the factor.
_TO_UV = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "mv": 1e3, "v": 1e6, "nv": 1e-3}  # micro sign and Greek mu
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_EEG_LABEL = re.compile(r"^(fp|af|f|fc|ft|c|cp|t|tp|p|po|o|a|m|i)\d*z?\d*$", re.IGNORECASE)


def channel_type_from_label(label: str, unit: str) -> str:
    """Guess a channel type from an EDF label and its physical dimension."""
    low = label.strip().lower()
    for prefix, kind in (
        ("emg", "emg"),
        ("ecg", "ecg"),
        ("ekg", "ecg"),
        ("eog", "eog"),
        ("eeg", "eeg"),
        ("acc", "acc"),
        ("trigger", "stim"),
        ("status", "stim"),
        ("stim", "stim"),
    ):
        if low.startswith(prefix):
            return kind
    if _EEG_LABEL.match(low.replace("-", "").split()[0] if low else ""):
        return "eeg"
    return "exg" if unit.lower() in _TO_UV else "misc"


def _field(raw: bytes, start: int, width: int) -> str:
    return raw[start : start + width].decode("latin-1").strip()


class EdfHeader:
    """Parsed EDF/BDF header. Raises InputFormatError naming the byte offset of a bad field."""

    def __init__(self, path: Path, fh) -> None:
        self.path = path
        main = fh.read(256)
        if len(main) < 256:
            raise InputFormatError(f"{path}: {len(main)} byte(s), an EDF/BDF header needs at least 256")
        self.bdf = main[:8] == b"\xffBIOSEMI"
        if not self.bdf and main[:8].strip() != b"0":
            raise InputFormatError(
                f"{path}, byte 0: version field {main[:8]!r} is neither '0' (EDF) nor '\\xffBIOSEMI' (BDF)"
            )
        self.patient = _field(main, 8, 80)
        self.recording = _field(main, 88, 80)
        self.startdate = _field(main, 168, 8)
        self.starttime = _field(main, 176, 8)
        self.header_bytes = self._int(main, 184, 8, "header size")
        self.reserved = _field(main, 192, 44)
        self.n_records_header = self._int(main, 236, 8, "number of data records")
        self.record_s = self._float(main, 244, 8, "data record duration")
        self.ns = self._int(main, 252, 4, "number of signals")
        if self.ns < 1 or self.header_bytes != 256 * (self.ns + 1):
            raise InputFormatError(
                f"{path}, byte 184: header size {self.header_bytes} does not match {self.ns} signal(s) "
                f"(expected {256 * (self.ns + 1)})"
            )
        sig = fh.read(256 * self.ns)
        if len(sig) < 256 * self.ns:
            raise InputFormatError(f"{path}: signal headers truncated at byte {256 + len(sig)}")
        ns = self.ns

        def col(offset: int, width: int) -> list[str]:
            base = offset * ns
            return [sig[base + i * width : base + (i + 1) * width].decode("latin-1").strip() for i in range(ns)]

        self.labels = col(0, 16)
        self.transducers = col(16, 80)
        self.units = col(96, 8)
        names = ("physical minimum", "physical maximum", "digital minimum", "digital maximum")
        nums = []
        for k, off in enumerate((104, 112, 120, 128)):
            vals = []
            for i, text in enumerate(col(off, 8)):
                try:
                    vals.append(float(text))
                except ValueError:
                    raise InputFormatError(
                        f"{path}, byte {256 + off * ns + 8 * i}: {names[k]} of signal {i + 1} "
                        f"({self.labels[i]!r}) is {text!r}, not a number"
                    ) from None
            nums.append(np.array(vals))
        self.pmin, self.pmax, self.dmin, self.dmax = nums
        self.prefilters = col(136, 80)
        spr = []
        for i, text in enumerate(col(216, 8)):
            try:
                spr.append(int(text))
            except ValueError:
                raise InputFormatError(
                    f"{path}, byte {256 + 216 * ns + 8 * i}: samples per record of signal {i + 1} is {text!r}"
                ) from None
        self.spr = np.array(spr, dtype=np.int64)
        self.bytes_per_sample = 3 if self.bdf else 2
        self.is_annotation = [lab in ("EDF Annotations", "BDF Annotations") for lab in self.labels]
        self.record_bytes = int(self.spr.sum()) * self.bytes_per_sample
        self.offsets = np.concatenate(([0], np.cumsum(self.spr)[:-1])) * self.bytes_per_sample
        self.plus = self.reserved.startswith(("EDF+", "BDF+"))
        if self.record_bytes <= 0:
            raise InputFormatError(f"{path}: data records hold 0 bytes (every signal has 0 samples per record)")

    def _int(self, raw: bytes, start: int, width: int, what: str) -> int:
        text = _field(raw, start, width)
        try:
            return int(text)
        except ValueError:
            raise InputFormatError(f"{self.path}, byte {start}: {what} is {text!r}, not an integer") from None

    def _float(self, raw: bytes, start: int, width: int, what: str) -> float:
        text = _field(raw, start, width)
        try:
            return float(text)
        except ValueError:
            raise InputFormatError(f"{self.path}, byte {start}: {what} is {text!r}, not a number") from None

    def start_datetime(self) -> datetime | None:
        try:
            d, m, y = (int(x) for x in self.startdate.split("."))
            hh, mm, ss = (int(x) for x in self.starttime.split("."))
        except ValueError:
            return None
        year = 1900 + y if y >= 85 else 2000 + y  # EDF's clipping years 1985-2084
        parts = self.recording.split()
        if self.plus and len(parts) > 1 and parts[0] == "Startdate":
            match = re.match(r"(\d\d)-([A-Z]{3})-(\d{4})$", parts[1])
            if match and match.group(2) in _MONTHS:
                year = int(match.group(3))
        try:
            return datetime(year, m, d, hh, mm, ss)
        except ValueError:
            return None

    def equipment(self) -> str:
        parts = self.recording.split()
        if self.plus and len(parts) >= 5 and parts[0] == "Startdate":
            return parts[4].replace("_", " ")
        return "" if self.plus else self.recording


def decode_digital(raw: np.ndarray, bdf: bool) -> np.ndarray:
    """Little-endian int16/int24 bytes (uint8, last axis) to int32 values."""
    if not bdf:
        return raw.view("<i2").astype(np.int32)
    b = raw.reshape(raw.shape[:-1] + (-1, 3)).astype(np.int32)
    val = b[..., 0] | (b[..., 1] << 8) | (b[..., 2] << 16)
    return np.where(val >= 1 << 23, val - (1 << 24), val)


def parse_tals(raw: bytes) -> list[tuple[float, float, str]]:
    """Parse one record's annotation bytes into (onset_s, duration_s, text); text "" is time-keeping."""
    out = []
    for tal in raw.split(b"\x00"):
        if not tal.strip(b"\x00"):
            continue
        fields = tal.split(b"\x14")
        head = fields[0].decode("latin-1")
        onset_txt, _, dur_txt = head.partition("\x15")
        try:
            onset = float(onset_txt)
            dur = float(dur_txt) if dur_txt else 0.0
        except ValueError:
            continue
        texts = [f.decode("utf-8", errors="replace") for f in fields[1:] if f]
        if not texts:
            out.append((onset, dur, ""))
        for text in texts:
            out.append((onset, dur, text))
    return out
