"""The Cyton packet encoder: µV arrays -> the bytes a Cyton dongle sends.

The inverse of ``firmware_bridge.decoders.CytonDecoder`` (wire format in its
module header and protocols.md §1). With the decoder it is our h11
``ConnectionPair``: simulate -> encode -> decode gives back the quantised
simulation, and a pty emulator streams these bytes to the serial source.

A NaN row (a sample the simulated radio lost) is not sent, but the sample
number still advances, so the decoder sees exactly that packet missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from firmware_bridge.decoders._cyton import FOOTERS, HEADER, channel_scales

_INT24_MAX = (1 << 23) - 1


def quantise_cyton(data_uv: np.ndarray, gains: int | Sequence[int] = 24) -> np.ndarray:
    """Return ``data_uv`` as the Cyton decoder will deliver it (counts x µV/count, float32).

    Parameters
    ----------
    data_uv : ndarray, shape (n_samples, n_channels), µV
        8 or 16 channels; NaN rows stay NaN.
    gains : int or sequence of int
        ADS1299 gain(s), as given to the decoder.

    Returns
    -------
    ndarray of float32, shape (n_samples, n_channels), µV
    """
    data = np.asarray(data_uv, dtype=np.float64)
    scales = channel_scales(gains, data.shape[1])
    counts = _counts(data, scales)
    out = (counts * scales).astype(np.float32)
    out[np.isnan(data).any(axis=1)] = np.nan
    return out


def _counts(data: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Round to ADC counts and clip to the 24-bit range (the ADS1299's rails)."""
    with np.errstate(invalid="ignore"):
        counts = np.round(np.nan_to_num(data / scales))
    return np.clip(counts, -_INT24_MAX - 1, _INT24_MAX).astype(np.int64)


def _packet(sn: int, counts: np.ndarray, footer: int) -> bytes:
    body = bytearray([HEADER, sn % 256])
    for c in counts:
        body += int(c).to_bytes(3, "big", signed=True)
    body += bytes(6)  # aux: zeros, as in packets without an accelerometer reading
    body.append(footer)
    return bytes(body)


def encode_cyton(data_uv: np.ndarray, gains: int | Sequence[int] = 24, first_sample_number: int = 0,
                 footer: int = 0xC0) -> bytes:
    """Encode samples as a stream of Cyton (8 channels) or Cyton+Daisy (16 channels) packets.

    Parameters
    ----------
    data_uv : ndarray, shape (n_samples, 8 or 16), µV
        A NaN anywhere in a row drops that row's packet(s); the sample number still advances.
    gains : int or sequence of int
        ADS1299 gain(s) the values are quantised with.
    first_sample_number : int
        Sample number of the first packet (0..255). With 16 channels each row
        is two packets, the Daisy half (even number) first, so it must be even.
    footer : int
        0xC0..0xC6.

    Returns
    -------
    bytes
        33 bytes per sent packet.

    Examples
    --------
    >>> len(encode_cyton(np.zeros((4, 8))))
    132
    """
    data = np.asarray(data_uv, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] not in (8, 16):
        raise ValueError(f"data_uv must have shape (n_samples, 8) or (n_samples, 16), got {data.shape}")
    if footer not in FOOTERS:
        raise ValueError(f"footer must be 0xC0..0xC6, got {footer:#x}")
    if not 0 <= first_sample_number <= 255:
        raise ValueError(f"first_sample_number must be 0..255, got {first_sample_number!r}")
    daisy = data.shape[1] == 16
    if daisy and first_sample_number % 2:
        raise ValueError("with 16 channels first_sample_number must be even (the Daisy half comes first)")
    counts = _counts(data, channel_scales(gains, data.shape[1]))
    missing = np.isnan(data).any(axis=1)
    out = bytearray()
    sn = first_sample_number
    for row, skip in zip(counts, missing):
        if daisy:
            if not skip:
                out += _packet(sn, row[8:], footer) + _packet(sn + 1, row[:8], footer)
            sn += 2
        else:
            if not skip:
                out += _packet(sn, row, footer)
            sn += 1
    return bytes(out)
