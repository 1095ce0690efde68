"""The Chords packet encoder: raw ADC counts -> the bytes a Chords board sends (inverse of ``ChordsDecoder``)."""

from __future__ import annotations

import numpy as np

from firmware_bridge.decoders._chords import END, SYNC


def encode_chords(counts: np.ndarray, first_counter: int = 0) -> bytes:
    """Encode raw ADC counts as Chords packets.

    Parameters
    ----------
    counts : ndarray of int, shape (n_samples, n_channels)
        0..65535 each.
    first_counter : int
        Counter of the first packet; it wraps at 256.

    Returns
    -------
    bytes
        ``2 * n_channels + 4`` bytes per sample.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.min(initial=0) < 0 or counts.max(initial=0) > 0xFFFF:
        raise ValueError("counts must be a 2-D array of integers 0..65535")
    out = bytearray()
    for i, row in enumerate(counts.astype(np.int64)):
        out += SYNC + bytes([(first_counter + i) % 256])
        for v in row:
            out += int(v).to_bytes(2, "big")
        out.append(END)
    return bytes(out)


def encode_npg(counts: np.ndarray, per_notification: int = 10, first_counter: int = 0) -> list[bytes]:
    """Encode 3-channel 12-bit counts as NPG Lite notifications of ``per_notification`` samples (7 bytes each).

    Parameters
    ----------
    counts : ndarray of int, shape (n_samples, 3)
        0..4095 each; ``n_samples`` a multiple of ``per_notification``.
    per_notification : int
        Samples per notification (10 in chordspy's firmware, 25 in the IDF firmware).
    first_counter : int

    Returns
    -------
    list of bytes
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2 or counts.shape[1] != 3 or len(counts) % per_notification:
        raise ValueError(f"counts must have shape (k * {per_notification}, 3), got {counts.shape}")
    if counts.min(initial=0) < 0 or counts.max(initial=0) > 4095:
        raise ValueError("counts must be 12-bit values 0..4095")
    records = [bytes([(first_counter + i) % 256]) + b"".join(int(v).to_bytes(2, "big") for v in row)
               for i, row in enumerate(counts)]
    return [b"".join(records[k:k + per_notification]) for k in range(0, len(records), per_notification)]
