"""AsciiDecoder and ChordsDecoder: the same conformance checks as the Cyton's."""

from __future__ import annotations

import numpy as np
import pytest
from boards_util import assert_contiguous, feed_pieces, joined, split
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp import SourceError
from firmware_bridge.decoders import BIOAMP_GAIN, AsciiDecoder, ChordsDecoder
from firmware_bridge.emulators import encode_chords


def _lines(values: np.ndarray, sep: str = ",", eol: str = "\r\n", counter_start: int | None = None) -> bytes:
    out = []
    for i, row in enumerate(values):
        fields = [str(int(v)) for v in row]
        if counter_start is not None:
            fields = [str(counter_start + i), str(1000 * i)] + fields
        out.append(sep.join(fields) + eol)
    return "".join(out).encode()


# -- ASCII --------------------------------------------------------------------------------
def test_ascii_values_in_any_split_and_line_ending():
    values = np.random.default_rng(0).integers(0, 1024, (200, 2))
    for sep, eol in ((",", "\r\n"), ("\t", "\n"), (" ", "\r"), (", ", "\r\n")):
        stream = _lines(values, sep, eol)
        for pieces in ([stream], split(stream, [1]), split(stream, [3, 11, 7])):
            dec = AsciiDecoder(fs=1000, channels=2)
            chunks = feed_pieces(dec, pieces)
            np.testing.assert_array_equal(joined(chunks, 2), values.astype(np.float32))
            assert dec.counters.corrupt_bytes == 0 and dec.counters.packets == 200
    assert chunks[0].channels == ("ch1_raw", "ch2_raw") and dec.units == "raw"


def test_ascii_labels_scale_and_offset():
    dec = AsciiDecoder(fs=500, channels=("env", "raw"), scale=2.0, offset=512)
    [chunk] = dec.feed(b"ENV:512,RAW:600\r\nENV:500 RAW:512\r\n")
    np.testing.assert_array_equal(chunk.data, [[0.0, 176.0], [-24.0, 0.0]])
    assert chunk.channels == ("env", "raw") and dec.units == "uV"


def test_ascii_partial_first_line_banner_and_a_mangled_line():
    stream = b"2,777\r\nMyoWare ready\r\n100,200\r\n101,2#1\r\n102,202\r\n"
    dec = AsciiDecoder(fs=100, channels=2, drop_first_line=True)
    chunks = feed_pieces(dec, split(stream, [4]))
    # The fragment and the banner before the first good line are not samples;
    # the mangled line between two good ones was one.
    assert [c.lost for c in chunks if c.lost] == [1]
    np.testing.assert_array_equal(joined(chunks, 2), [[100, 200], [np.nan, np.nan], [102, 202]])
    assert dec.counters.corrupt_bytes == len(b"2,777") + len(b"MyoWare ready") + len(b"101,2#1")
    assert dec.counters.resyncs == 2 and dec.counters.lost_samples == 1


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 40), min_size=1, max_size=10), drop=st.integers(1, 48))
def test_ascii_counter_column_finds_dropped_lines(sizes, drop):
    values = np.arange(100).reshape(50, 2)
    stream = _lines(values, counter_start=7)
    lines = stream.splitlines(keepends=True)
    del lines[drop]
    dec = AsciiDecoder(fs=250, channels=2, counter=True, skip=1)
    chunks = feed_pieces(dec, split(b"".join(lines), sizes))
    expected = values.astype(np.float32)
    expected[drop] = np.nan
    np.testing.assert_array_equal(joined(chunks, 2), expected)
    assert_contiguous(chunks)
    assert dec.counters.lost_packets == 1 and dec.counters.corrupt_bytes == 0


def test_ascii_overlong_line_is_dropped_and_wrong_device_is_named():
    dec = AsciiDecoder(fs=100, channels=1, max_line=16)
    chunks = dec.feed(b"1\n" + b"9" * 40 + b"\n2\n")
    assert dec.counters.corrupt_bytes == 40
    assert joined(chunks, 1).shape == (3, 1)  # the long line was one lost sample between two good ones
    cyton_like = bytes([0xA0, 0x01]) + bytes(30) + bytes([0xC0])
    dec = AsciiDecoder(fs=250, channels=8)
    with pytest.raises(SourceError, match="no ASCII sample-line packets in the first"):
        for _ in range(200):
            dec.feed(cyton_like)
    with pytest.raises(ValueError, match="fs must be a positive rate"):
        AsciiDecoder(fs=0, channels=1)


# -- Chords -------------------------------------------------------------------------------
def test_chords_round_trip_garbage_and_loss_in_any_split():
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 1024, (300, 6))
    packets = [encode_chords(counts[i:i + 1], first_counter=i) for i in range(len(counts))]
    del packets[120]  # one packet lost on the wire
    stream = bytearray()
    n_bad = 0
    for i, p in enumerate(packets):
        stream += p
        if i % 50 == 49:
            g = bytes([0x33]) * (i % 7 + 1)  # no 0xC7 in it
            stream += g
            n_bad += len(g)
    expected = counts.astype(np.float32)
    expected[120] = np.nan
    for pieces in ([bytes(stream)], split(bytes(stream), [1]), split(bytes(stream), [5, 16, 2])):
        dec = ChordsDecoder("UNO-R3")
        chunks = feed_pieces(dec, pieces)
        np.testing.assert_array_equal(joined(chunks, 6), expected)
        assert_contiguous(chunks)
        assert dec.counters.corrupt_bytes == n_bad and dec.counters.resyncs == 5
        assert dec.counters.lost_packets == 1


def test_chords_gain_converts_counts_to_microvolts():
    dec = ChordsDecoder("UNO-R3", gain=BIOAMP_GAIN, vref=5.0)
    [chunk] = dec.feed(encode_chords(np.array([[512] * 6, [612] * 6])))
    # 100 counts of a 10-bit 5 V ADC behind a x2420 BioAmp: 100 * 5 / 1024 / 2420 * 1e6 µV.
    np.testing.assert_allclose(chunk.data[1], 100 * 5 / 1024 / 2420 * 1e6, rtol=1e-6)
    np.testing.assert_array_equal(chunk.data[0], 0.0)
    assert dec.units == "uV" and chunk.channels[0] == "ch1"
    with pytest.raises(ValueError, match="unknown Chords board 'UNO-R9'"):
        ChordsDecoder("UNO-R9")
