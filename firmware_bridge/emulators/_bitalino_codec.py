"""The BITalino frame encoder: ADC counts -> frames (inverse of ``BitalinoDecoder``; protocols.md §4)."""

from __future__ import annotations

import numpy as np

from firmware_bridge.decoders._bitalino import crc4, frame_size


def encode_bitalino(counts: np.ndarray, first_seq: int = 0, digital: int = 0) -> bytes:
    """Encode ADC counts, shape (n_samples, n_channels) with 1..6 channels, as BITalino frames.

    Parameters
    ----------
    counts : ndarray of int
        A1..A4 0..1023, A5/A6 0..63.
    first_seq : int
        Sequence number of the first frame (0..15); it wraps at 16.
    digital : int
        The I1 I2 O1 O2 nibble.

    Returns
    -------
    bytes
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2 or not 1 <= counts.shape[1] <= 6:
        raise ValueError(f"counts must have shape (n_samples, 1..6), got {counts.shape}")
    limits = np.array([1023] * 4 + [63] * 2)[: counts.shape[1]]
    if counts.min(initial=0) < 0 or (counts > limits).any():
        raise ValueError("counts must be 0..1023 on A1-A4 and 0..63 on A5/A6")
    n = counts.shape[1]
    size = frame_size(n)
    out = bytearray()
    for i, row in enumerate(counts):
        v = [int(x) for x in row] + [0] * (6 - n)
        b = [0] * max(size, 8)
        b[-2] = ((digital & 0x0F) << 4) | (v[0] >> 6)
        b[-3] = ((v[0] & 0x3F) << 2) | (v[1] >> 8)
        b[-4] = v[1] & 0xFF
        b[-5] = v[2] >> 2
        b[-6] = ((v[2] & 0x03) << 6) | (v[3] >> 4)
        b[-7] = ((v[3] & 0x0F) << 4) | (v[4] >> 2)
        b[-8] = ((v[4] & 0x03) << 6) | v[5]
        frame = bytearray(b[-size:])
        frame[-1] = ((first_seq + i) % 16) << 4
        frame[-1] |= crc4(frame)
        out += frame
    return bytes(out)
