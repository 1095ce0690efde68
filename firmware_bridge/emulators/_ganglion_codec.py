"""The Ganglion firmware-3 packet encoder (inverse of ``GanglionDecoder(firmware=3)``; protocols.md §2).

fw 3 sends each int24 sample as ``sample >> 6`` (18-bit, IDs 0..99) or
``>> 5`` (19-bit, IDs 100..199), with the field's LSB replaced by the sign, two
samples of 4 channels packed MSB first per 20-byte notification.
"""

from __future__ import annotations

import numpy as np


def _field(value: int, bits: int) -> int:
    shift = 6 if bits == 18 else 5
    field = (value >> shift) & ((1 << bits) - 1)
    return (field & ~1) | (1 if value < 0 else 0)


def quantise_ganglion(counts: np.ndarray, bits: int = 19) -> np.ndarray:
    """Counts as fw 3 delivers them: low bits dropped, the LSB of the field replaced by the sign (int64)."""
    shift = 6 if bits == 18 else 5
    c = np.asarray(counts, dtype=np.int64)
    field = c >> shift
    field = np.where(c < 0, field | 1, field & ~1)
    return field << shift


def encode_ganglion(counts: np.ndarray, bits: int = 19, first_id: int | None = None) -> list[bytes]:
    """Encode int24 counts, shape (n_samples, 4) with n_samples even, as fw-3 notifications.

    Parameters
    ----------
    counts : ndarray of int, shape (n_samples, 4)
    bits : int
        18 (IDs 0..99, accelerometer on) or 19 (IDs 100..199, the default).
    first_id : int, optional
        ID of the first notification (default: the start of the range).

    Returns
    -------
    list of bytes
        One 20-byte notification per 2 samples.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2 or counts.shape[1] != 4 or len(counts) % 2:
        raise ValueError(f"counts must have shape (even n_samples, 4), got {counts.shape}")
    if bits not in (18, 19):
        raise ValueError(f"bits must be 18 or 19, got {bits!r}")
    lo = 0 if bits == 18 else 100
    pid = lo if first_id is None else first_id
    out = []
    for k in range(0, len(counts), 2):
        stream = 0
        for v in counts[k:k + 2].ravel():
            stream = (stream << bits) | _field(int(v), bits)
        n_bytes = (8 * bits + 7) // 8
        payload = (stream << (8 * n_bytes - 8 * bits)).to_bytes(n_bytes, "big")
        out.append(bytes([pid]) + payload.ljust(19, b"\0"))
        pid = lo + (pid - lo + 1) % 100
    return out
