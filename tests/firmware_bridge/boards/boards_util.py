"""Shared helpers for the board tests: feed bytes in pieces and join what comes out."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from dsp import Chunk


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    """Cut ``data`` into pieces of the given sizes (cycled), the last piece takes the rest."""
    pieces, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        pieces.append(data[pos:pos + n])
        pos += n
        i += 1
    return pieces


def feed_pieces(decoder, pieces: list[bytes]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for piece in pieces:
        chunks.extend(decoder.feed(piece))
    return chunks


def joined(chunks: list[Chunk], n_channels: int) -> np.ndarray:
    """All samples with each chunk's ``lost`` expanded to NaN rows (as dsp.Pipeline does)."""
    parts = []
    for c in chunks:
        if c.lost:
            parts.append(np.full((c.lost, n_channels), np.nan, np.float32))
        parts.append(c.data)
    return np.concatenate(parts) if parts else np.zeros((0, n_channels), np.float32)


def assert_contiguous(chunks: list[Chunk]) -> None:
    """Each chunk starts where the previous ended plus its lost samples: the time axis never slips."""
    for prev, nxt in pairwise(chunks):
        expected = prev.t_end + nxt.lost / nxt.fs
        assert abs(nxt.t0 - expected) < 1e-9, (prev.t0, prev.n_samples, nxt.t0, nxt.lost)
