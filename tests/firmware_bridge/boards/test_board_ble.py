"""BleSource over a real GATT stack: bumble's in-process controllers serve a Ganglion (no kernel BT here)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from boards_util import assert_contiguous, joined

from dsp import SourceError, UnknownSourceError
from firmware_bridge import open_source
from firmware_bridge.decoders import GANGLION_SCALE, GanglionDecoder, NpgDecoder
from firmware_bridge.transports import BleSource
from firmware_bridge.transports._ble import (
    GANGLION_NOTIFY,
    GANGLION_WRITE,
    NPG_CONTROL,
    NPG_DATA,
    NPG_SERVICE,
)

pytest.importorskip("bumble")
from firmware_bridge.emulators import (
    BumbleGanglion,
    encode_ganglion,
    encode_npg,
    quantise_ganglion,
)


def _expected(counts: np.ndarray) -> np.ndarray:
    return (quantise_ganglion(counts, 19) * GANGLION_SCALE).astype(np.float32)


def _read(src, n_total: int, timeout: float = 10.0) -> list:
    chunks = []
    deadline = time.monotonic() + timeout
    while sum(c.n_samples + c.lost for c in chunks) < n_total:
        assert time.monotonic() < deadline, "stalled"
        chunk = src.read(1.0)
        if chunk is not None:
            chunks.append(chunk)
    return chunks


def _source(board: BumbleGanglion, **kwargs) -> BleSource:
    return BleSource(board.link, GanglionDecoder(firmware=3), GANGLION_NOTIFY, GANGLION_WRITE, b"b", b"s",
                     port="bumble-ganglion", **kwargs)


def test_notifications_decode_to_the_quantised_counts_and_a_drop_is_lost(tmp_path):
    counts = np.random.default_rng(7).integers(-(2**21), 2**21, (200, 4))
    board = BumbleGanglion(encode_ganglion(counts), rate_hz=0, drop={30})
    dump = tmp_path / "notes.bin"
    with _source(board, dump=dump) as src:
        assert (src.fs, src.channels) == (200.0, ("ch1", "ch2", "ch3", "ch4"))
        chunks = _read(src, len(counts))
        assert src.counters.lost_packets == 1 and src.n_lost == 2
    time.sleep(0.05)
    assert board.received == [b"b", b"s"]  # start once subscribed, stop on close
    expected = _expected(counts)
    expected[60:62] = np.nan
    np.testing.assert_array_equal(joined(chunks, 4), expected)
    assert_contiguous(chunks)
    # The dump replays through a fresh decoder to the same samples.
    np.testing.assert_array_equal(joined(GanglionDecoder().feed(dump.read_bytes()), 4), expected)


def test_a_disconnection_reconnects_and_the_counter_counts_the_gap():
    counts = np.random.default_rng(8).integers(-(2**21), 2**21, (240, 4))
    board = BumbleGanglion(encode_ganglion(counts), rate_hz=400, disconnect_after=40, down_s=0.05)
    with _source(board, reconnect_delay=0.02) as src:
        with pytest.warns(RuntimeWarning, match="BLE device .* dropped .*reconnected on attempt"):
            chunks = _read(src, len(counts))
        assert src.n_reconnects == 1
        lost = src.counters.lost_packets
    got = joined(chunks, 4)
    assert got.shape == counts.shape and lost >= 1
    missing = np.isnan(got).any(axis=1)
    assert missing.sum() == 2 * lost
    np.testing.assert_array_equal(got[~missing], _expected(counts)[~missing])


def test_a_device_gone_for_good_raises_after_bounded_attempts():
    counts = np.zeros((400, 4), dtype=np.int64)
    board = BumbleGanglion(encode_ganglion(counts), rate_hz=400, disconnect_after=10, down_s=60.0)
    with _source(board, reconnects=2, reconnect_delay=0.02, attempt_timeout=0.2) as src, \
            pytest.raises(SourceError, match="disconnected and 2 attempts to reconnect"):
        for _ in range(20):
            src.read(0.5)


def test_ble_urls_fail_by_name():
    with pytest.raises(UnknownSourceError, match="firmware must be 2 or 3"):
        open_source("ganglion://Ganglion-1234?firmware=4")
    with pytest.raises(UnknownSourceError, match="gives no fs"):
        open_source("nus://MyoWare?format=ascii")
    with pytest.raises(UnknownSourceError, match="gain must be a positive number"):
        open_source("npg://NPG-1?gain=-3")
    with pytest.raises(UnknownSourceError, match="unknown option 'baud'"):
        open_source("ganglion://AA:BB:CC:DD:EE:FF?baud=9600")


@pytest.mark.parametrize(("mtu", "whole"), [(None, False), (247, True)])
def test_npg_notifications_need_a_larger_mtu_and_a_cut_one_is_counted(mtu, whole):
    counts = np.random.default_rng(3).integers(0, 4096, (100, 3))
    notes = encode_npg(counts, per_notification=10)  # 70-byte notifications
    board = BumbleGanglion(notes, rate_hz=0, service=NPG_SERVICE, notify_uuid=NPG_DATA, write_uuid=NPG_CONTROL,
                           start=b"START", stop=b"STOP", mtu=mtu)
    with BleSource(board.link, NpgDecoder(fs=500), NPG_DATA, NPG_CONTROL, b"START", b"STOP", port="npg") as src:
        deadline = time.monotonic() + 5
        chunks = []
        while board.n_sent < len(notes) and time.monotonic() < deadline:
            chunk = src.read(0.2)
            chunks += [chunk] if chunk is not None else []
        time.sleep(0.1)
        while (chunk := src.read(0.1)) is not None:
            chunks.append(chunk)
        counters = src.counters
    if whole:
        np.testing.assert_array_equal(joined(chunks, 3), counts.astype(np.float32))
        assert counters.corrupt_bytes == 0
    else:
        # Under the default ATT MTU of 23 each 70-byte notification arrives cut to 20 bytes.
        assert chunks == [] and counters.corrupt_bytes == 20 * len(notes) and counters.packets == 0
