"""BitalinoDecoder: frame sizes, CRC4 resync through garbage, EMG scaling, and PLUX's own client as witness."""

from __future__ import annotations

import os
import sys
import threading
import tty

import numpy as np
import pytest
from boards_util import feed_pieces, joined, split

from firmware_bridge.decoders import BitalinoDecoder
from firmware_bridge.decoders._bitalino import crc4, frame_size
from firmware_bridge.emulators import encode_bitalino


def _counts(rng, n: int, n_ch: int = 6) -> np.ndarray:
    return np.concatenate([rng.integers(0, 1024, (n, min(n_ch, 4))), rng.integers(0, 64, (n, max(0, n_ch - 4)))],
                          axis=1)


def test_frame_sizes_and_crc_match_the_protocol():
    assert [frame_size(n) for n in range(1, 7)] == [3, 4, 6, 7, 8, 8]
    # The C++ API's nibble table and the python API's bit loop must agree (protocols.md §4 [run]).
    table = (0, 3, 6, 5, 12, 15, 10, 9, 11, 8, 13, 14, 7, 4, 1, 2)
    rng = np.random.default_rng(0)
    for _ in range(200):
        frame = bytearray(rng.integers(0, 256, 8, dtype=np.uint8).tobytes())
        frame[-1] &= 0xF0
        x = 0
        for byte in frame:
            x = table[x] ^ (byte >> 4)
            x = table[x] ^ (byte & 0x0F)
        assert crc4(frame) == x


def test_garbage_between_frames_is_counted_and_skipped():
    rng = np.random.default_rng(5)
    counts = _counts(rng, 400)
    frames = [encode_bitalino(counts[i:i + 1], first_seq=i) for i in range(400)]
    stream, n_bad, n_ins = bytearray(), 0, 0
    for i, frame in enumerate(frames):
        stream += frame
        if i % 40 == 39 and i < 399:
            g = rng.integers(0, 256, int(rng.integers(1, 12)), dtype=np.uint8).tobytes()
            stream += g
            n_bad += len(g)
            n_ins += 1
    for pieces in ([bytes(stream)], split(bytes(stream), [1]), split(bytes(stream), [5, 13])):
        dec = BitalinoDecoder(n_channels=6, fs=1000, emg=False)
        chunks = feed_pieces(dec, pieces)
        np.testing.assert_array_equal(joined(chunks, 6), counts.astype(np.float32))
        assert (dec.counters.corrupt_bytes, dec.counters.resyncs, dec.counters.lost_packets) == (n_bad, n_ins, 0)
    assert chunks[0].channels == ("A1_raw", "A2_raw", "A3_raw", "A4_raw", "A5_raw", "A6_raw")


def test_emg_transfer_function():
    dec = BitalinoDecoder(n_channels=1, fs=100)
    [chunk] = dec.feed(encode_bitalino(np.array([[0], [512], [1023]]), first_seq=3))
    # (ADC / 1024 - 1/2) * 3.3 V / 1009 in µV: ±1.64 mV full scale, 3.19 µV per count.
    np.testing.assert_allclose(chunk.data[:, 0], [-1635.28, 0.0, 1632.09], atol=0.01)
    assert dec.units == "uV" and chunk.fs == 100.0
    with pytest.raises(ValueError, match="sampling rate must be one of"):
        BitalinoDecoder(fs=250)


@pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX only")
def test_plux_client_reads_our_frames_as_we_do():
    bitalino = pytest.importorskip("bitalino")
    counts = _counts(np.random.default_rng(9), 100, 4)
    stream = encode_bitalino(counts, first_seq=0)
    master, slave = os.openpty()
    tty.setraw(slave)

    def board():
        # Answer the version query, then send the frames once acquisition starts.
        while True:
            command = os.read(master, 1)[0]
            if command == 0x07:
                os.write(master, b"BITalino_v5.2\n")
            elif command & 0x03 == 0x01:
                os.write(master, stream)
                return

    thread = threading.Thread(target=board, daemon=True)
    thread.start()
    try:
        device = bitalino.BITalino(os.ttyname(slave), timeout=5)
        device.start(1000, [0, 1, 2, 3])
        theirs = device.read(100)
        device.socket.close()
    finally:
        os.close(master)
        os.close(slave)
    ours = joined(BitalinoDecoder(n_channels=4, fs=1000, emg=False).feed(stream), 4)
    np.testing.assert_array_equal(theirs[:, 0], np.arange(100) % 16)  # their sequence column
    np.testing.assert_array_equal(theirs[:, 5:], counts)
    np.testing.assert_array_equal(ours, counts)


@pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX only")
def test_bitalino_url_over_a_pty_sends_rate_start_and_stop():
    from firmware_bridge import open_source

    counts = _counts(np.random.default_rng(2), 200, 2)
    stream = encode_bitalino(counts, first_seq=5)
    master, slave = os.openpty()
    tty.setraw(slave)
    received = bytearray()

    def board():
        while not received.endswith(b"\x00"):
            received.extend(os.read(master, 16))
            if received[-1:] == bytes([(0b11 << 2) | 1]):
                os.write(master, stream)

    threading.Thread(target=board, daemon=True).start()
    try:
        with open_source(f"bitalino://{os.ttyname(slave)}?channels=2&rate=100&emg=0") as src:
            chunks = []
            while sum(c.n_samples for c in chunks) < 200:
                chunk = src.read(2.0)
                assert chunk is not None, "stalled"
                chunks.append(chunk)
        np.testing.assert_array_equal(joined(chunks, 2), counts.astype(np.float32))
        assert src.fs == 100.0
    finally:
        import time

        time.sleep(0.05)
        os.close(master)
        os.close(slave)
    assert bytes(received) == bytes([(2 << 6) | 3, (0b11 << 2) | 1, 0])  # rate 100 Hz, start A1-A2, stop
