"""CytonDecoder: simulate -> encode -> decode, in any split, through garbage and loss."""

from __future__ import annotations

import numpy as np
import pytest
from boards_util import assert_contiguous, feed_pieces, joined, split
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp import SourceError
from firmware_bridge import simulate
from firmware_bridge.decoders import CytonDecoder, cyton_scale
from firmware_bridge.emulators import encode_cyton, quantise_cyton

PACKET = 33


@pytest.fixture(scope="module")
def sim8() -> np.ndarray:
    return simulate("rest_frequent", device="cyton_250", duration_s=2, seed=5).data


@pytest.fixture(scope="module")
def sim16() -> np.ndarray:
    return simulate("rest_frequent", device="cyton_daisy_125", duration_s=2, seed=5).data


def _garbage(rng: np.random.Generator, n: int) -> bytes:
    """Noise with no 0xA0 in it, so every garbage byte is countable as corrupt."""
    g = rng.integers(0, 256, n, dtype=np.uint8)
    g[g == 0xA0] = 0x11
    return g.tobytes()


def _with_garbage(stream: bytes, every: int, rng: np.random.Generator) -> tuple[bytes, int, int]:
    """Insert garbage after every ``every``-th packet; return (stream, garbage bytes, insertions)."""
    out, n_bad, n_ins = bytearray(), 0, 0
    for i in range(0, len(stream), PACKET):
        out += stream[i:i + PACKET]
        if (i // PACKET) % every == every - 1 and i + PACKET < len(stream):
            g = _garbage(rng, int(rng.integers(1, 50)))
            out += g
            n_bad += len(g)
            n_ins += 1
    return bytes(out), n_bad, n_ins


def test_round_trip_equals_quantised_simulation(sim8):
    chunks = CytonDecoder().feed(encode_cyton(sim8))
    got = joined(chunks, 8)
    assert got.shape == sim8.shape
    np.testing.assert_array_equal(got, quantise_cyton(sim8))
    # Quantisation error is at most half a count.
    assert np.nanmax(np.abs(got - sim8)) <= cyton_scale(24) / 2 + 1e-3
    assert chunks[0].t0 == 0.0 and chunks[0].fs == 250.0


def test_whole_byte_by_byte_and_with_garbage_give_the_same_samples(sim8):
    rng = np.random.default_rng(1)
    clean = encode_cyton(sim8)
    dirty, n_bad, n_ins = _with_garbage(clean, 40, rng)
    expected = quantise_cyton(sim8)
    for pieces in ([dirty], split(dirty, [1]), split(dirty, [7, 33, 1, 100])):
        dec = CytonDecoder()
        chunks = feed_pieces(dec, pieces)
        np.testing.assert_array_equal(joined(chunks, 8), expected)
        assert dec.counters.corrupt_bytes == n_bad
        assert dec.counters.resyncs == n_ins
        assert dec.counters.lost_packets == 0
        assert dec.counters.packets == len(sim8)


@settings(max_examples=25, deadline=None)
@given(sizes=st.lists(st.integers(1, 120), min_size=1, max_size=20), seed=st.integers(0, 2**16))
def test_random_splits_change_nothing(sizes, seed):
    data = np.random.default_rng(seed).normal(0, 50, (120, 8))
    data[37] = np.nan  # one packet the radio lost
    stream, n_bad, n_ins = _with_garbage(encode_cyton(data, first_sample_number=seed % 256), 17,
                                         np.random.default_rng(seed))
    dec = CytonDecoder()
    chunks = feed_pieces(dec, split(stream, sizes))
    np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data))
    assert_contiguous(chunks)
    assert (dec.counters.corrupt_bytes, dec.counters.resyncs) == (n_bad, n_ins)
    assert dec.counters.lost_packets == 1 and sum(c.lost for c in chunks) == 1


def test_dropped_packets_become_chunk_lost_and_keep_the_time_axis(sim8):
    data = sim8.copy()
    data[100:104] = np.nan
    dec = CytonDecoder()
    chunks = dec.feed(encode_cyton(data))
    assert [c.lost for c in chunks] == [0, 4]
    assert chunks[1].t0 == pytest.approx(104 / 250.0)
    assert_contiguous(chunks)
    assert dec.counters.lost_packets == 4 and dec.counters.lost_samples == 4


def test_counter_wraps_without_false_loss():
    data = np.zeros((600, 8))  # more than two counter cycles
    dec = CytonDecoder()
    chunks = dec.feed(encode_cyton(data, first_sample_number=250))
    assert sum(c.n_samples for c in chunks) == 600 and dec.counters.lost_packets == 0


def test_a_broken_footer_costs_exactly_that_packet(sim8):
    stream = bytearray(encode_cyton(sim8[:50]))
    stream[10 * PACKET + 32] = 0x55  # footer of packet 10 corrupted
    dec = CytonDecoder()
    chunks = dec.feed(bytes(stream))
    expected = quantise_cyton(sim8[:50])
    expected[10] = np.nan
    np.testing.assert_array_equal(joined(chunks, 8), expected)
    assert dec.counters.corrupt_bytes == PACKET
    assert dec.counters.lost_packets == 1 and dec.counters.resyncs == 1


def test_false_headers_in_garbage_are_not_taken_for_packets():
    data = np.random.default_rng(2).normal(0, 20, (30, 8))
    stream = encode_cyton(data)
    # Garbage that looks like a header (0xA0) with a valid footer 32 bytes on, but no header after it.
    fake = bytes([0xA0, 0x07]) + bytes(30) + bytes([0xC0]) + b"\x00\x01"
    dirty = stream[:5 * PACKET] + fake + stream[5 * PACKET:]
    for pieces in ([dirty], split(dirty, [1])):
        dec = CytonDecoder()
        chunks = feed_pieces(dec, pieces)
        np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data))
        assert dec.counters.corrupt_bytes == len(fake)


def test_gain_sets_the_scale():
    data = np.full((3, 8), 1000.0)
    dec = CytonDecoder(gains=[24] * 4 + [1] * 4)
    got = joined(dec.feed(encode_cyton(data, gains=[24] * 4 + [1] * 4)), 8)
    assert cyton_scale(24) == pytest.approx(0.0223517, rel=1e-5)
    assert cyton_scale(1) == pytest.approx(0.536442, rel=1e-5)
    np.testing.assert_allclose(got[:, :4], 1000.0, atol=cyton_scale(24))
    np.testing.assert_allclose(got[:, 4:], 1000.0, atol=cyton_scale(1))
    with pytest.raises(ValueError, match="gain must be one of"):
        CytonDecoder(gains=3)


def test_no_packets_in_the_search_window_names_the_board():
    dec = CytonDecoder()
    text = b"this is an Arduino printing 512\r\n" * 200
    with pytest.raises(SourceError, match="no Cyton packets in the first 4.* bytes: is this the right board"):
        for piece in split(text, [100]):
            dec.feed(piece)
    with pytest.raises(SourceError, match="no Cyton packets"):
        dec.feed(b"\xa0")  # the decoder stays failed


def test_feed_rejects_text():
    with pytest.raises(TypeError, match="expects bytes, got str"):
        CytonDecoder().feed("a0")


def test_daisy_round_trip_pairs_halves_and_marks_the_first_frame_invalid(sim16):
    data = sim16.copy()
    data[40] = np.nan  # both packets of frame 40 lost
    stream = encode_cyton(data)
    expected = quantise_cyton(data)
    expected[0] = np.nan  # the firmware's first average has no previous sample
    for pieces in ([stream], split(stream, [5, 33, 61])):
        dec = CytonDecoder(daisy=True)
        chunks = feed_pieces(dec, pieces)
        assert chunks[0].fs == 125.0 and chunks[0].channels[-1] == "ch16"
        np.testing.assert_array_equal(joined(chunks, 16), expected)
        assert dec.counters.lost_packets == 2 and dec.counters.lost_samples == 1


def test_daisy_frame_missing_one_half_is_dropped(sim16):
    data = sim16[:20]
    stream = bytearray(encode_cyton(data))
    # Remove the board half (odd packet) of frame 7: the frame cannot be completed.
    del stream[(2 * 7 + 1) * PACKET:(2 * 7 + 2) * PACKET]
    dec = CytonDecoder(daisy=True)
    chunks = dec.feed(bytes(stream))
    expected = quantise_cyton(data)
    expected[[0, 7]] = np.nan
    np.testing.assert_array_equal(joined(chunks, 16), expected)
    assert dec.counters.lost_packets == 1 and dec.counters.lost_samples == 1


def test_a_host_clock_hint_unwraps_a_counter_that_went_round():
    data = np.random.default_rng(3).normal(0, 30, (700, 8))
    data[100:500] = np.nan  # 400 packets (1.6 s) lost: the counter alone says 400 mod 256 = 144
    stream = encode_cyton(data)
    first, rest = stream[:100 * PACKET], stream[100 * PACKET:]
    dec = CytonDecoder()
    chunks = dec.feed(first)
    dec.note_gap(401 / 250.0, reopened=False)  # what the reader thread saw between arrivals
    chunks += dec.feed(rest)
    assert [c.lost for c in chunks] == [0, 400]
    np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data))
    assert dec.counters.lost_packets == 400
    # Without the hint the same bytes lose 256 samples off the time axis.
    plain = CytonDecoder()
    assert sum(c.lost for c in plain.feed(stream)) == 144


def test_the_extreme_codes_decode_to_the_decoders_rails_per_channel_gain():
    gains = [24, 24, 12, 24, 24, 24, 24, 1]
    dec = CytonDecoder(gains=gains)
    lo, hi = dec.rails
    np.testing.assert_allclose(hi, [(2**23 - 1) * cyton_scale(g) for g in gains])
    np.testing.assert_allclose(lo, [-(2**23) * cyton_scale(g) for g in gains])
    # values beyond full scale saturate at the extreme codes: they read as the rails
    rows = np.array([[1e9, -1e9, 1e9, 0, 0, 0, 0, -1e9]] + [[0.0] * 8] * 3, dtype=np.float64)
    got = joined(dec.feed(encode_cyton(rows, gains=gains)), 8)
    np.testing.assert_allclose(got[0, [0, 2]], hi[[0, 2]], rtol=1e-6)
    np.testing.assert_allclose(got[0, [1, 7]], lo[[1, 7]], rtol=1e-6)
