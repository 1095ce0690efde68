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
