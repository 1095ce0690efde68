"""Shared fixtures of the recordings tests: the real-data folder and ``check_reader``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from recordings import open_recording

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL = SHARED / "data" / "real"


@pytest.fixture
def real() -> Path:
    """The real-recordings folder; skips the test when it is absent."""
    if not REAL.exists():
        pytest.skip(f"real recordings not present at {REAL}")
    return REAL


def check_reader(path: Path, **kw):
    """Like MNE's ``_test_raw_reader``: chunked reads equal the whole read across
    chunk boundaries, t0 steps by the chunk length, and the info is consistent.

    Returns the whole data and the info for further checks.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = open_recording(path, **kw)
    with reader:
        info = reader.info
        whole = list(reader.chunks(1 << 30))
        assert len(whole) == 1, "a chunk larger than the file must give one chunk"
        data = whole[0].data
        assert data.dtype == np.float32 and data.ndim == 2
        assert data.shape[1] == len(info.channels) == len(info.channel_types) == len(info.channel_units)
        assert info.n_samples == data.shape[0], f"info says {info.n_samples} samples, read {data.shape[0]}"
        for size in (997, 4096):
            parts = list(reader.chunks(size))
            assert all(c.n_samples == size for c in parts[:-1])
            assert [c.t0 for c in parts] == pytest.approx([k * size / info.fs for k in range(len(parts))])
            np.testing.assert_array_equal(np.concatenate([c.data for c in parts]), data)
            assert all(c.channels == info.channels and c.fs == info.fs for c in parts)
    # A channel subset equals the same columns of the full read.
    pick = list(info.channels[::-1][:2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_recording(path, channels=pick, **kw) as sub:
            got = np.concatenate([c.data for c in sub.chunks(5000)])
    np.testing.assert_array_equal(got, data[:, [info.channels.index(p) for p in pick]])
    return data, info


@pytest.fixture
def reader_check():
    return check_reader
