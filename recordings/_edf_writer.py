"""Crash-safe EDF+/BDF+ writer: the live recorder's native format.

Why EDF+/BDF+: both are open standards read by every EMG/EEG tool (EDFbrowser,
MNE, pyedflib, BioSig), they hold several channels, per-channel units and
filters, and EDF+ annotations carry our events inside the recording. BDF+
stores 24-bit samples: the ADS1299 boards (OpenBCI Cyton/Ganglion class) give
24-bit values over +-187 500 µV, which int16 EDF could only hold by clipping
or by a coarse 5.7 µV step, below the size of a small fasciculation. So
``.bdf`` (24-bit, 0.022 µV step over +-187 500 µV) is the choice for 24-bit
boards and ``.edf`` (16-bit) for 10-16-bit boards (Myo, BITalino, Arduino).

Layout written (EDF+ spec, Kemp & Olivan 2003, sections 2.1-2.2): a 256-byte
main header, 256 bytes per signal, then data records of ``record_s`` seconds
(1 s whenever the rate is a whole number of Hz). Each record holds every
signal's samples as little-endian int16 (EDF) or int24 (BDF) and then the
"EDF Annotations"/"BDF Annotations" signal: the time-keeping TAL
``+<record onset>\\x14\\x14\\x00`` followed by event TALs
``+<onset>\\x15<duration>\\x14<text>\\x14\\x00``.

Crash safety: the header is written first with a record count of -1 (the
value EDF+ prescribes while recording). After each record we write the data,
``fsync`` it, then overwrite the count (bytes 236-243) with the true number
and ``fsync`` again. At any moment the file on disk is a valid EDF+/BDF+ file
holding every record completed so far, so a crash, ``kill -9`` or a pulled
cable loses at most the record being filled (``record_s`` seconds). If the
kill lands between the two writes, the count lags by one record and
``recordings`` readers recover it from the file size.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np

from dsp import Event
from recordings._edf_header import LOST_ANNOTATION

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: Bytes reserved per record for annotations (time-keeping TAL + a few events).
ANNOTATION_BYTES = 240


def fmt_num(value: float, width: int = 8) -> str:
    """Format a number in at most ``width`` characters (EDF numeric fields)."""
    if float(value).is_integer() and len(str(int(value))) <= width:
        return str(int(value))
    for digits in range(width, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= width:
            return text
    raise ValueError(f"{value!r} cannot be written in {width} characters")


def _ascii(text: str, width: int) -> bytes:
    raw = text.encode("ascii", errors="replace")[:width]
    return raw.ljust(width, b" ")


def choose_record(fs: float) -> tuple[float, int]:
    """Pick (record duration s, samples per record) for a rate in Hz.

    1 s when ``fs`` is a whole number (the spec's advice); else the shortest
    whole number of seconds up to 10 that holds a whole number of samples
    (199.5 Hz -> 2 s); else ``round(fs)`` samples in a record of
    ``spr / fs`` s written with 8 characters (a measured 250.331 Hz -> 250
    samples per 0.998678 s), which keeps the rate to about 1e-6.
    """
    for seconds in range(1, 11):
        n = fs * seconds
        if abs(n - round(n)) < 1e-6 and round(n) >= 1:
            return float(seconds), int(round(n))
    spr = max(1, int(round(fs)))
    return float(fmt_num(spr / fs)), spr


def tal(onset: float, duration: float | None, text: str) -> bytes:
    """One time-stamped annotation list, terminated by NUL."""
    head = ("+" if onset >= 0 else "-") + fmt_num(abs(round(onset, 6)), 20)
    if duration is not None and duration > 0:
        head += "\x15" + fmt_num(round(duration, 6), 20)
    return head.encode("ascii") + b"\x14" + text.encode("utf-8") + b"\x14\x00"


def event_text(ev: Event) -> str:
    """Annotation text of an event; artefacts start with BAD_ so MNE skips them."""
    kind = ev.trial_type + (f":{ev.subtype}" if ev.subtype else "")
    if ev.trial_type == "artifact":
        kind = "BAD_" + kind
    return f"{kind} [{','.join(ev.channels)}] conf={ev.confidence:.2f}"


class EdfPlusWriter:
    """Incremental EDF+ (``bdf=False``) or BDF+ (``bdf=True``) writer.

    Parameters
    ----------
    path : Path
        Output file; replaced if present.
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
        Signal labels (at most 16 characters each).
    bdf : bool
        24-bit BDF+ instead of 16-bit EDF+.
    units : str
        Physical dimension of the data (``"uV"``), at most 8 characters.
    physical_range : (float, float), optional
        Physical min and max in ``units``; defaults to +-187 500 (BDF) or
        +-16 384 (EDF, 0.5 µV step). Values outside are clipped and counted.
    device, electrode_sites, prefilter, patient, start_time, annotations_channel, sync :
        Header content; ``sync`` fsyncs every record (live recording).
    """

    def __init__(
        self,
        path: Path,
        fs: float,
        channels,
        *,
        bdf: bool,
        units: str = "uV",
        physical_range: tuple[float, float] | None = None,
        device: str = "",
        electrode_sites=None,
        prefilter: str = "",
        patient: str = "X X X X",
        start_time: datetime | None = None,
        annotations_channel: bool = True,
        sync: bool = True,
    ) -> None:
        self.path = Path(path)
        self.fs = float(fs)
        self.channels = tuple(str(c) for c in channels)
        if not self.channels:
            raise ValueError("RecordingWriter: at least one channel name is required")
        labels = [c[:16] for c in self.channels]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{self.path}: channel names must differ in their first 16 characters, got {labels}")
        self.bdf = bdf
        self.plus = annotations_channel
        self.sync = sync
        self.record_s, self.spr = choose_record(self.fs)
        self.rate_error = abs(self.spr / self.record_s - self.fs) / self.fs
        self.bps = 3 if bdf else 2
        # A symmetric digital range puts physical 0 on a digital code exactly.
        self.dmin, self.dmax = (-(1 << 23) + 1, (1 << 23) - 1) if bdf else (-32767, 32767)
        if physical_range is None:
            physical_range = (-187500.0, 187500.0) if bdf else (-16384.0, 16384.0)
        pmin_s, pmax_s = fmt_num(physical_range[0]), fmt_num(physical_range[1])
        self.pmin, self.pmax = float(pmin_s), float(pmax_s)
        if not self.pmax > self.pmin:
            raise ValueError(f"physical_range must be (min, max) with max > min, got {physical_range}")
        # The EDF+ spec fixes the annotation signal's digital range to the full integer range.
        self.ann_dmin, self.ann_dmax = (-(1 << 23), (1 << 23) - 1) if bdf else (-32768, 32767)
        self.ann_spr = ANNOTATION_BYTES // self.bps if self.plus else 0
        nsig = len(self.channels) + (1 if self.plus else 0)
        self.record_bytes = (len(self.channels) * self.spr + self.ann_spr) * self.bps
        self.header_bytes = 256 * (nsig + 1)
        self.n_records = 0
        self.n_samples = 0
        self.clipped = 0
        self._pending: list[np.ndarray] = []
        self._n_pending = 0
        self._queue: list[bytes] = []
        self._closed = False
        sites = electrode_sites or {}
        if not isinstance(sites, dict):
            sites = dict(zip(self.channels, sites))
        start = start_time or datetime.now()
        self.start_time = start.replace(microsecond=0)
        self._fh = open(self.path, "wb")
        self._fh.write(self._header(labels, units, device, sites, prefilter, patient))
        self._commit()

    # -- header ---------------------------------------------------------------
    def _header(self, labels, units, device, sites, prefilter, patient) -> bytes:
        st = self.start_time
        equipment = (device or "X").replace(" ", "_")
        recording = f"Startdate {st.day:02d}-{_MONTHS[st.month - 1]}-{st.year} X X {equipment}" if self.plus else device
        reserved = ("BDF+C" if self.bdf else "EDF+C") if self.plus else ("24BIT" if self.bdf else "")
        nsig = len(labels) + (1 if self.plus else 0)
        main = b"".join(
            [
                b"\xffBIOSEMI" if self.bdf else _ascii("0", 8),
                _ascii(patient, 80),
                _ascii(recording, 80),
                _ascii(f"{st.day:02d}.{st.month:02d}.{st.year % 100:02d}", 8),
                _ascii(f"{st.hour:02d}.{st.minute:02d}.{st.second:02d}", 8),
                _ascii(str(self.header_bytes), 8),
                _ascii(reserved, 44),
                _ascii("-1", 8),
                _ascii(fmt_num(self.record_s), 8),
                _ascii(str(nsig), 4),
            ]
        )
        ann_label = "BDF Annotations" if self.bdf else "EDF Annotations"
        rows = {k: [] for k in ("label", "trans", "unit", "pmin", "pmax", "dmin", "dmax", "filt", "spr", "res")}
        for name, label in zip(self.channels, labels):
            site = sites.get(name, "")
            rows["label"].append(_ascii(label, 16))
            rows["trans"].append(_ascii(f"surface EMG electrode{' at ' + site if site else ''}", 80))
            rows["unit"].append(_ascii(units, 8))
            rows["pmin"].append(_ascii(fmt_num(self.pmin), 8))
            rows["pmax"].append(_ascii(fmt_num(self.pmax), 8))
            rows["dmin"].append(_ascii(str(self.dmin), 8))
            rows["dmax"].append(_ascii(str(self.dmax), 8))
            rows["filt"].append(_ascii(prefilter, 80))
            rows["spr"].append(_ascii(str(self.spr), 8))
            rows["res"].append(_ascii("", 32))
        if self.plus:
            for key, val, w in (
                ("label", ann_label, 16),
                ("trans", "", 80),
                ("unit", "", 8),
                ("pmin", "-1", 8),
                ("pmax", "1", 8),
                ("dmin", str(self.ann_dmin), 8),
                ("dmax", str(self.ann_dmax), 8),
                ("filt", "", 80),
                ("spr", str(self.ann_spr), 8),
                ("res", "", 32),
            ):
                rows[key].append(_ascii(val, w))
        sig = b"".join(b"".join(rows[k]) for k in rows)
        return main + sig

    # -- data -----------------------------------------------------------------
    def add_annotation(self, onset_s: float, duration_s: float | None, text: str) -> None:
        """Queue an annotation; it goes into the next record written."""
        if not self.plus:
            return
        raw = tal(onset_s, duration_s, text)
        room = self.ann_spr * self.bps - len(tal(0.0, None, "")) - 20
        if len(raw) > room:
            cut = len(raw) - room
            raw = tal(
                onset_s, duration_s, text.encode("utf-8")[: max(0, len(text.encode()) - cut)].decode("utf-8", "ignore")
            )
        self._queue.append(raw)

    def write(self, data: np.ndarray) -> None:
        """Append samples, shape (n, n_channels), in ``units``; NaN is written as 0 and annotated BAD_lost."""
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1 and len(self.channels) == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] != len(self.channels):
            raise ValueError(f"{self.path}: write() needs shape (n_samples, {len(self.channels)}), got {data.shape}")
        if data.shape[0] == 0:
            return
        bad = ~np.isfinite(data).all(axis=1)
        if bad.any():
            edges = np.flatnonzero(np.diff(np.concatenate(([0], bad.astype(np.int8), [0]))))
            for a, b in zip(edges[::2], edges[1::2]):
                self.add_annotation(
                    (self.n_samples + self._n_pending + a) / self.rate_written, (b - a) / self.rate_written, LOST_ANNOTATION
                )
            data = np.where(np.isfinite(data), data, 0.0)
        self._pending.append(data)
        self._n_pending += data.shape[0]
        if self._n_pending >= self.spr:
            joined = np.concatenate(self._pending)
            k = joined.shape[0] // self.spr
            self._emit(joined[: k * self.spr])
            rest = joined[k * self.spr :]
            self._pending = [rest] if rest.shape[0] else []
            self._n_pending = rest.shape[0]

    def _digital(self, x: np.ndarray) -> np.ndarray:
        scale = (self.dmax - self.dmin) / (self.pmax - self.pmin)
        dig = np.rint((x - self.pmin) * scale + self.dmin)
        over = (dig < self.dmin) | (dig > self.dmax)
        self.clipped += int(over.sum())
        return np.clip(dig, self.dmin, self.dmax).astype("<i4")

    def _take_tals(self, onset: float) -> bytes:
        out = tal(onset, None, "")
        cap = self.ann_spr * self.bps
        while self._queue and len(out) + len(self._queue[0]) <= cap:
            out += self._queue.pop(0)
        return out.ljust(cap, b"\x00")

    def _emit(self, x: np.ndarray) -> None:
        k = x.shape[0] // self.spr
        dig = self._digital(x).reshape(k, self.spr, len(self.channels))
        rec = np.zeros((k, self.record_bytes), dtype=np.uint8)
        width = self.spr * self.bps
        for j in range(len(self.channels)):
            b = dig[:, :, j].copy().view(np.uint8).reshape(k, self.spr, 4)[:, :, : self.bps]
            rec[:, j * width : (j + 1) * width] = b.reshape(k, width)
        if self.plus:
            off = len(self.channels) * width
            for r in range(k):
                onset = (self.n_records + r) * self.record_s
                rec[r, off:] = np.frombuffer(self._take_tals(onset), dtype=np.uint8)
        if self.sync:
            for r in range(k):
                self._fh.write(rec[r].tobytes())
                self.n_records += 1
                self._commit()
        else:
            self._fh.write(rec.tobytes())
            self.n_records += k
        self.n_samples += k * self.spr

    def _commit(self) -> None:
        """Make the data durable, then the header count (see the module docstring)."""
        self._fh.flush()
        if self.sync:
            os.fsync(self._fh.fileno())
        self._fh.seek(236)
        self._fh.write(_ascii(str(self.n_records), 8))
        self._fh.seek(0, os.SEEK_END)
        self._fh.flush()
        if self.sync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Pad the last record (annotated ``BAD_padding``), flush queued annotations, fix the count."""
        if self._closed:
            return
        self._closed = True
        try:
            n_true = self.n_samples + self._n_pending
            pad = (-self._n_pending) % self.spr
            extra = 0
            while self.plus and not self._fits(
                pad + extra * self.spr, 1 + extra if (self._n_pending or pad) else extra
            ):
                extra += 1
            total_pad = pad + extra * self.spr
            if total_pad and self.plus:
                self._queue.insert(0, tal(n_true / self.rate_written, total_pad / self.rate_written, "BAD_padding"))
            if total_pad or self._n_pending:
                zeros = np.zeros((total_pad, len(self.channels)))
                self._pending.append(zeros)
                self._emit(np.concatenate(self._pending))
                self._pending, self._n_pending = [], 0
            self.n_samples = n_true  # the padding is not data
            self.sync = True
            self._commit()
        finally:
            self._fh.close()

    def _fits(self, pad_samples: int, n_records: int) -> bool:
        cap = self.ann_spr * self.bps - len(tal(1e7, None, ""))
        queue = list(self._queue)
        if pad_samples:
            queue.insert(0, tal(1e7, pad_samples / self.rate_written, "BAD_padding"))
        for _ in range(n_records):
            used = 0
            while queue and used + len(queue[0]) <= cap:
                used += len(queue.pop(0))
        return not queue

    @property
    def rate_written(self) -> float:
        return self.spr / self.record_s

    @property
    def is_closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        kind = "BDF+" if self.bdf else "EDF+"
        return f"<EdfPlusWriter {kind} {self.path} {self.n_records} record(s)>"


def physical_range_for(data: np.ndarray, bdf: bool) -> tuple[float, float]:
    """The physical range for a whole-file write: the data's own min..max plus 5 % headroom.

    Fitting the range to the data keeps the quantisation step far below the
    noise: +-46 µV of simulated EMG gets a 0.0015 µV step in EDF instead of
    0.5 µV with a fixed +-16 384 µV range, and a board's DC offset (60 000 µV
    +- 300) does not widen the range to +-60 000. ``bdf`` is kept for callers;
    the rule is the same for both widths.
    """
    finite = data[np.isfinite(data)]
    if not finite.size:
        return (-1.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    pad = max(0.05 * (hi - lo), 1e-3 * max(abs(lo), abs(hi)), 0.5)
    lo, hi = lo - pad, hi + pad
    # Round outwards to what the 8-character header fields can hold: widen by a growing
    # margin until the written (rounded) number lies outside the data.
    return (_outward(lo, -1.0), _outward(hi, 1.0))


def _outward(value: float, sign: float) -> float:
    delta = max(abs(value) * 1e-7, 1e-3)
    text = fmt_num(value)
    while (float(text) - value) * sign < 0:
        text = fmt_num(value + sign * delta)
        delta *= 2
    return float(text)
