"""GanglionDecoder: the published bit-packing vectors, fw-3 round trips, fw-2 delta chains and loss."""

from __future__ import annotations

import numpy as np
import pytest
from boards_util import assert_contiguous, feed_pieces, joined, split
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp import SourceError
from firmware_bridge.decoders import GANGLION_SCALE, GanglionDecoder
from firmware_bridge.decoders._ganglion import unpack_bits
from firmware_bridge.emulators import encode_ganglion, quantise_ganglion

# docs.openbci.com "Example Interpreting Ganglion Data" (protocols.md §2): packet -> [[sample 1], [sample 2]].
VECTORS = [
    ("01 00 00 00 00 20 00 28 00 04 80 00 bc 00 07 00 28 c0 0a 0e", 18,
     [[0, 2, 10, 4], [131074, 245760, 114698, 49162]]),
    ("01 ff ff 7f ff bf ff e7 ff f5 00 01 4f 8e 30 00 1f f0 01 00", 18,
     [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]]),
    ("65 00 00 00 00 08 00 05 00 00 48 00 09 f0 01 b0 00 30 00 08", 19,
     [[0, 2, 10, 4], [262148, 507910, 393222, 8]]),
    ("65 ff ff bf ff ef ff fc ff ff 58 00 0b 3e 38 e0 00 3f f0 01", 19,
     [[-3, -5, -7, -11], [-262139, -198429, -262137, -4095]]),
]


@pytest.mark.parametrize(("hex_packet", "bits", "expected"), VECTORS)
def test_published_vectors_unpack_with_the_lsb_sign_rule(hex_packet, bits, expected):
    packet = bytes.fromhex(hex_packet)
    assert unpack_bits(packet[1:], bits) == expected[0] + expected[1]


def test_fw2_delta_chain_from_a_raw_packet():
    seed = [1000, -2000, 300000, -4]
    raw = bytes([0]) + b"".join(v.to_bytes(3, "big", signed=True) for v in seed) + bytes(7)
    delta = bytes.fromhex(VECTORS[0][0])  # ID 1, 18-bit deltas
    dec = GanglionDecoder(firmware=2)
    got = joined(dec.feed(raw + delta), 4)
    d1, d2 = np.array(VECTORS[0][2])
    s1 = np.array(seed) - d1  # the firmware sends last - new
    expected = np.array([seed, s1, s1 - d2]) * GANGLION_SCALE
    np.testing.assert_allclose(got, expected.astype(np.float32), rtol=1e-6)


def test_fw2_loss_makes_samples_nan_until_the_next_raw_packet():
    raw = bytes([0]) + bytes(19)
    deltas = {pid: bytes([pid]) + bytes(19) for pid in range(1, 101)}
    ring = [raw] + [deltas[i] for i in range(1, 101) if i not in (3, 4)]  # IDs 3 and 4 lost
    stream = b"".join(ring) + raw + deltas[1]
    dec = GanglionDecoder(firmware=2)
    chunks = feed_pieces(dec, split(stream, [7]))
    got = joined(chunks, 4)
    # raw (1) + IDs 1, 2 (4), then 3 and 4 lost (4), 5..100 unusable (192), raw again (1), ID 1 (2).
    assert got.shape == (1 + 4 + 4 + 192 + 1 + 2, 4)
    assert not np.isnan(got[:5]).any() and np.isnan(got[5:201]).all() and not np.isnan(got[201:]).any()
    assert dec.counters.lost_packets == 2 and dec.counters.lost_samples == 4
    assert_contiguous(chunks)


@settings(max_examples=20, deadline=None)
@given(bits=st.sampled_from([18, 19]), sizes=st.lists(st.integers(1, 45), min_size=1, max_size=8),
       drop=st.integers(0, 59), seed=st.integers(0, 1000))
def test_fw3_round_trip_any_split_and_a_lost_notification(bits, sizes, drop, seed):
    counts = np.random.default_rng(seed).integers(-(2**22), 2**22, (240, 4))
    notes = encode_ganglion(counts, bits=bits, first_id=(0 if bits == 18 else 100) + 95)  # wraps the ring
    del notes[drop]
    dec = GanglionDecoder(firmware=3)
    chunks = feed_pieces(dec, split(b"".join(notes), sizes))
    expected = (quantise_ganglion(counts, bits) * GANGLION_SCALE).astype(np.float32)
    expected[2 * drop:2 * drop + 2] = np.nan
    if drop == 0:
        expected = expected[2:]  # nothing before it: a lost first notification cannot be seen
    np.testing.assert_array_equal(joined(chunks, 4), expected)
    assert dec.counters.lost_packets == (1 if drop else 0)  # a lost first notification is invisible
    assert_contiguous(chunks)


def test_fw3_counter_bug_extra_id_is_not_a_loss():
    counts = np.zeros((8, 4), dtype=np.int64)
    notes = encode_ganglion(counts, bits=19, first_id=198)
    notes.insert(2, bytes([200]) + bytes(19))  # 198, 199, 200 (the bug), 100, 101
    dec = GanglionDecoder(firmware=3)
    got = joined(dec.feed(b"".join(notes)), 4)
    assert got.shape == (10, 4) and dec.counters.lost_packets == 0


def test_notifications_of_the_wrong_length_and_ids_are_counted_not_decoded():
    dec = GanglionDecoder(firmware=3)
    assert dec.feed_notification(bytes([100]) + bytes(10)) == []
    assert dec.counters.corrupt_bytes == 11
    msg = [bytes([206]) + b"Hello from the ".ljust(19, b"\0"), bytes([207]) + b"Ganglion".ljust(19, b"\0")]
    for note in msg:
        dec.feed_notification(note)
    assert dec.messages == ["Hello from the Ganglion"]
    dec = GanglionDecoder()
    with pytest.raises(SourceError, match="no Ganglion packets in the first"):
        dec.feed(bytes([250]) * 5000)
    with pytest.raises(ValueError, match="firmware must be 2 or 3"):
        GanglionDecoder(firmware=1)
