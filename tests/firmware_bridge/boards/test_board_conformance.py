"""The decoder contract, checked on every decoder: a new board joins by adding one ``Case``.

A case gives a decoder factory and a stream with the samples it must decode to
(NaN rows where packets are lost). Every decoder must give the same samples,
counters and chunk times whether fed whole, byte by byte or in random splits;
keep the time axis across losses; refuse text; and name itself when nothing
valid turns up in its search window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from boards_util import assert_contiguous, feed_pieces, joined, split
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp import SourceError
from firmware_bridge.decoders import (
    GANGLION_SCALE,
    AsciiDecoder,
    BitalinoDecoder,
    ChordsDecoder,
    CytonDecoder,
    Decoder,
    GanglionDecoder,
    NpgDecoder,
)
from firmware_bridge.emulators import (
    encode_bitalino,
    encode_chords,
    encode_cyton,
    encode_ganglion,
    encode_npg,
    quantise_cyton,
    quantise_ganglion,
)


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], Decoder]
    stream: Callable[[np.random.Generator], tuple[bytes, np.ndarray]]


def _cyton(rng):
    data = rng.normal(0, 100, (80, 8))
    data[[20, 21, 50]] = np.nan
    return encode_cyton(data, first_sample_number=200), quantise_cyton(data)


def _daisy(rng):
    data = rng.normal(0, 100, (40, 16))
    data[25] = np.nan
    expected = quantise_cyton(data)
    expected[0] = np.nan
    return encode_cyton(data), expected


def _ascii(rng):
    values = rng.integers(0, 1024, (60, 3))
    keep = np.ones(60, bool)
    keep[[10, 11, 40]] = False
    lines = "".join(f"{i}\t{a} {b},{c}\r\n" for i, (a, b, c) in enumerate(values) if keep[i])
    expected = values.astype(np.float32)
    expected[~keep] = np.nan
    return lines.encode(), expected


def _chords(rng):
    counts = rng.integers(0, 1024, (70, 6))
    stream = b"".join(encode_chords(counts[i:i + 1], first_counter=i) for i in range(70) if i != 33)
    expected = counts.astype(np.float32)
    expected[33] = np.nan
    return stream, expected


def _bitalino(rng):
    counts = np.concatenate([rng.integers(0, 1024, (90, 4)), rng.integers(0, 64, (90, 2))], axis=1)
    stream = b"".join(encode_bitalino(counts[i:i + 1], first_seq=i) for i in range(90) if i not in (30, 31, 60))
    expected = ((counts / np.array([1024] * 4 + [64] * 2) - 0.5) * 3.3 / 1009 * 1e6).astype(np.float32)
    expected[[30, 31, 60]] = np.nan
    return stream, expected


def _npg(rng):
    counts = rng.integers(0, 4096, (100, 3))
    notes = encode_npg(counts, per_notification=10, first_counter=250)
    del notes[4]
    expected = counts.astype(np.float32)
    expected[40:50] = np.nan
    return b"".join(notes), expected


def _ganglion(rng):
    counts = rng.integers(-(2**21), 2**21, (60, 4))
    notes = encode_ganglion(counts, bits=19)
    del notes[12]
    expected = (quantise_ganglion(counts, 19) * GANGLION_SCALE).astype(np.float32)
    expected[24:26] = np.nan
    return b"".join(notes), expected


CASES = [
    Case("cyton", CytonDecoder, _cyton),
    Case("cyton_daisy", lambda: CytonDecoder(daisy=True), _daisy),
    Case("ascii_counter", lambda: AsciiDecoder(fs=500, channels=3, counter=True), _ascii),
    Case("chords", lambda: ChordsDecoder("UNO-R3"), _chords),
    Case("ganglion_fw3", GanglionDecoder, _ganglion),
    Case("npg_lite", NpgDecoder, _npg),
    Case("bitalino", lambda: BitalinoDecoder(n_channels=6, fs=1000), _bitalino),
]
IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_decodes_to_the_expected_samples_with_loss_on_the_time_axis(case):
    stream, expected = case.stream(np.random.default_rng(0))
    chunks = case.make().feed(stream)
    np.testing.assert_array_equal(joined(chunks, expected.shape[1]), expected)
    assert_contiguous(chunks)
    assert all(c.fs == chunks[0].fs and c.channels == chunks[0].channels for c in chunks)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 70), min_size=1, max_size=12))
def test_any_split_gives_the_same_samples_counters_and_times(case, sizes):
    stream, expected = case.stream(np.random.default_rng(1))
    whole = case.make()
    ref = whole.feed(stream)
    for pieces in (split(stream, [1]), split(stream, sizes)):
        dec = case.make()
        chunks = feed_pieces(dec, pieces)
        np.testing.assert_array_equal(joined(chunks, expected.shape[1]), joined(ref, expected.shape[1]))
        assert dec.counters == whole.counters
        assert_contiguous(chunks)
        assert chunks[0].t0 == ref[0].t0


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_names_itself_when_no_packet_turns_up_and_refuses_text(case):
    dec = case.make()
    with pytest.raises(SourceError, match=f"no {dec.name} packets in the first .* bytes: is this the right board"):
        for piece in split(b"\xff" * 6000, [500]):
            dec.feed(piece)
    with pytest.raises(TypeError, match="expects bytes"):
        case.make().feed("text")
    assert case.make().feed(b"") == []


def test_every_public_name_exists():
    import firmware_bridge.decoders
    import firmware_bridge.emulators
    import firmware_bridge.transports

    for module in (firmware_bridge.decoders, firmware_bridge.emulators, firmware_bridge.transports):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module.__name__}.__all__ names missing objects: {missing}"
