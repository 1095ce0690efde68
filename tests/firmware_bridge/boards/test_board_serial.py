"""SerialSource end to end over real pty pairs: the Cyton emulator, ASCII lines and Chords packets."""

from __future__ import annotations

import os
import sys
import threading
import time
import tty

import numpy as np
import pytest
import serial
from boards_util import assert_contiguous, joined

from dsp import SourceError, UnknownSourceError
from firmware_bridge import open_source, simulate
from firmware_bridge.decoders import CytonDecoder
from firmware_bridge.emulators import CytonEmulator, encode_chords, quantise_cyton
from firmware_bridge.transports import cyton_handshake

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX only")


def _read_samples(src, n_total: int, timeout: float = 5.0, on_chunk=None) -> list:
    """Read until ``n_total`` samples (delivered + lost) have come, failing on a stall."""
    chunks = []
    deadline = time.monotonic() + timeout
    while sum(c.n_samples + c.lost for c in chunks) < n_total:
        assert time.monotonic() < deadline, f"stalled after {sum(c.n_samples for c in chunks)} samples"
        chunk = src.read(1.0)
        if chunk is not None:
            chunks.append(chunk)
            if on_chunk is not None:
                on_chunk(chunks)
    return chunks


@pytest.fixture(scope="module")
def sim8() -> np.ndarray:
    return simulate("rest_frequent", device="cyton_250", duration_s=2, seed=11).data


def test_cyton_url_over_a_pty_gives_the_quantised_simulation(sim8, tmp_path):
    data = sim8.copy()
    data[300] = np.nan  # a packet the radio dropped
    dump = tmp_path / "raw.bin"
    garbage = {99: b"\x13\x37 noise \xc0", 400: bytes(5)}
    with CytonEmulator(data, speed=0, garbage=garbage) as emu:
        with open_source(f"cyton://{emu.port}?dump={dump}") as src:
            assert (src.fs, len(src.channels)) == (250.0, 8)
            chunks = _read_samples(src, len(data))
            counters = src.counters
        time.sleep(0.05)  # let the emulator read the stop command
        assert bytes(emu.received) == b"svbs"  # stop, reset (banner), start ... stop on close
    np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data))
    assert_contiguous(chunks)
    assert counters.corrupt_bytes == sum(map(len, garbage.values())) and counters.resyncs == 2
    assert counters.lost_packets == 1 and src.n_lost == 1
    # The dump replays through a fresh decoder to the same samples: a bug report is a test.
    replay = CytonDecoder().feed(dump.read_bytes())
    np.testing.assert_array_equal(joined(replay, 8), quantise_cyton(data))


def test_daisy_is_recognised_from_the_banner():
    data = simulate("noise_only", device="cyton_daisy_125", duration_s=1, seed=2).data
    with CytonEmulator(data, speed=0) as emu, open_source(f"cyton://{emu.port}") as src:
        assert (src.fs, len(src.channels)) == (125.0, 16)
        chunks = _read_samples(src, len(data))
    expected = quantise_cyton(data)
    expected[0] = np.nan
    np.testing.assert_array_equal(joined(chunks, 16), expected)


def test_unplugged_port_reconnects_and_the_counter_counts_the_gap(sim8, tmp_path):
    data = sim8[:375]  # 1.5 s in real time
    with CytonEmulator(data, speed=1, link=tmp_path / "ttyCYTON") as emu, \
            open_source(f"cyton://{emu.port}?reconnects=30") as src:
        src.reconnect_delay = 0.05
        emu_unplugged: list[bool] = []

        def unplug_once(chunks):
            if not emu_unplugged and sum(c.n_samples for c in chunks) >= 60:  # 0.24 s in
                emu.unplug(0.3)
                emu_unplugged.append(True)

        with pytest.warns(RuntimeWarning, match="serial port .* dropped .*reconnected on attempt"):
            chunks = _read_samples(src, len(data), on_chunk=unplug_once)
        assert src.n_reconnects == 1
        lost = src.counters.lost_packets
    got = joined(chunks, 8)
    assert got.shape == data.shape
    assert 40 <= lost <= 200  # 0.3 s at 250 Hz plus the reopen, counted by the sample numbers
    assert np.isnan(got).any(axis=1).sum() == lost
    ok = ~np.isnan(got).any(axis=1)
    np.testing.assert_array_equal(got[ok], quantise_cyton(data)[ok])


def test_a_port_gone_for_good_raises_after_bounded_attempts(sim8, tmp_path):
    with CytonEmulator(sim8, speed=1, link=tmp_path / "ttyCYTON") as emu:
        src = open_source(f"cyton://{emu.port}?reconnects=3")
        src.reconnect_delay = 0.05
        with src:
            assert src.read(2.0) is not None
            emu.unplug(60.0)
            with pytest.raises(SourceError, match="vanished .* 3 attempts to reopen it"):
                for _ in range(100):
                    src.read(0.5)


def _pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)
    return master, slave, os.ttyname(slave)


def _serve(master: int, data: bytes, wait_for: bytes = b"") -> threading.Thread:
    """Write ``data`` to the pty master (after ``wait_for`` arrives), in a thread."""

    def run():
        got = b""
        while wait_for and wait_for not in got:
            got += os.read(master, 64)
        view = memoryview(data)
        while view:
            n = os.write(master, view[:512])
            view = view[n:]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_ascii_lines_over_a_pty():
    master, slave, name = _pty_pair()
    values = np.arange(600).reshape(300, 2) % 1024
    text = "".join(f"{a},{b}\r\n" for a, b in values).encode()
    try:
        # pyserial flushes the input when it opens a port, so the "board" starts once told to (start=GO);
        # it starts mid-line, as a running board does when a port opens.
        _serve(master, b"7,99\r\n"[3:] + text, wait_for=b"GO\n")
        with open_source(f"serial://{name}?format=ascii&fs=1000&channels=2&scale=4.9&offset=512&start=GO") as src:
            assert src.channels == ("ch1", "ch2") and src.decoder.units == "uV"
            chunks = _read_samples(src, 300)
        np.testing.assert_allclose(joined(chunks, 2), (values - 512) * 4.9, rtol=1e-6)
        assert src.counters.corrupt_bytes == 1  # the fragment "9" of the first line
    finally:
        os.close(master)
        os.close(slave)


def test_chords_packets_over_a_pty_wait_for_start():
    master, slave, name = _pty_pair()
    counts = np.random.default_rng(4).integers(0, 1024, (250, 6))
    try:
        _serve(master, encode_chords(counts), wait_for=b"START\n")
        with open_source(f"chords://{name}?board=UNO-R3") as src:
            chunks = _read_samples(src, 250)
        np.testing.assert_array_equal(joined(chunks, 6), counts.astype(np.float32))
    finally:
        os.close(master)
        os.close(slave)


def test_the_wrong_board_is_named_not_decoded():
    master, slave, name = _pty_pair()
    try:
        _serve(master, b"512,498\r\n" * 1000, wait_for=b"b")
        with open_source(f"cyton://{name}?handshake=0") as src, \
                pytest.raises(SourceError, match="no Cyton packets in the first .* bytes: is this the right board"):
            _read_samples(src, 10)
        with serial.Serial(name, timeout=0.05) as ser, \
                pytest.raises(SourceError, match=r"no reply ending in '\$\$\$' to the Cyton reset command"):
            cyton_handshake(ser, timeout_s=0.3)
    finally:
        os.close(master)
        os.close(slave)


def test_bad_urls_fail_by_name(tmp_path):
    with pytest.raises(UnknownSourceError, match="unknown option 'speed'"):
        open_source("cyton:///dev/ttyUSB0?speed=2")
    with pytest.raises(UnknownSourceError, match="gives no fs"):
        open_source("serial:///dev/ttyACM0?format=ascii&channels=2")
    with pytest.raises(UnknownSourceError, match="unknown format 'bin'"):
        open_source("serial:///dev/ttyACM0?format=bin&fs=100")
    with pytest.raises(UnknownSourceError, match="names no port"):
        open_source("cyton://")
    with pytest.raises(UnknownSourceError, match="option 'gain'"):
        open_source("cyton:///dev/ttyUSB0?gain=3")
    with pytest.raises(SourceError, match="cannot open serial port"):
        open_source(f"cyton://{tmp_path / 'no_such_tty'}")


def test_list_serial_ports_guesses_boards():
    from firmware_bridge.transports import PortInfo, guess_board, list_serial_ports

    rows = list_serial_ports()
    assert all(isinstance(r, PortInfo) and r.port for r in rows)
    assert guess_board(0x0403, 0x6015)[0] == "cyton"
    assert guess_board(0x0403, 0x6001)[0] == ""  # another FTDI part: a generic adapter, no guess
    assert guess_board(0x2341, 0x0043)[0] == "arduino"
    assert guess_board(None, None, "OpenBCI dongle")[0] == "cyton"
    assert guess_board(None, None, "ttyS0") == ("", "not a USB port")


def test_a_radio_silence_longer_than_a_counter_cycle_keeps_the_time_axis(sim8):
    data = sim8[:400].copy()
    data[50:350] = np.nan  # 1.2 s with no packets: the 8-bit counter goes round once
    with CytonEmulator(data, speed=1) as emu, open_source(f"cyton://{emu.port}") as src:
        chunks = _read_samples(src, len(data))
        assert src.n_silences >= 1 and src.counters.lost_packets == 300  # a loaded machine may add pauses
    np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data))


def test_a_gain_option_is_sent_to_every_channel_and_decoded_with(sim8):
    data = sim8[:100] * 10.0
    with CytonEmulator(data, speed=0) as emu, open_source(f"cyton://{emu.port}?gain=4") as src:
        assert emu.gains == [4] * 8
        chunks = _read_samples(src, len(data))
        assert bytes(emu.received).startswith(b"svx1020110X")
    np.testing.assert_array_equal(joined(chunks, 8), quantise_cyton(data, gains=4))
