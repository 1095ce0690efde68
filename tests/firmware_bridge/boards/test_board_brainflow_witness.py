"""BrainFlow, an independent Cyton client, reads the pty emulator: our encoder and decoder agree with it."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from firmware_bridge import simulate
from firmware_bridge.emulators import CytonEmulator, quantise_cyton

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pty pairs are POSIX only")
board_shim = pytest.importorskip("brainflow.board_shim")


def test_brainflow_decodes_the_emulator_to_our_quantised_values():
    BoardShim, BoardIds = board_shim.BoardShim, board_shim.BoardIds
    BoardShim.disable_board_logger()
    data = simulate("rest_benign", device="cyton_250", duration_s=1, seed=1).data.copy()
    data[100] = np.nan  # a dropped packet: BrainFlow's package_num column must show the gap
    with CytonEmulator(data, speed=0) as emu:
        params = board_shim.BrainFlowInputParams()
        params.serial_port = emu.port
        board = BoardShim(BoardIds.CYTON_BOARD, params)
        board.prepare_session()  # sends v (banner ... $$$) and d
        try:
            board.start_stream()
            deadline = time.monotonic() + 10
            while not emu.done and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)
            got = board.get_board_data()
            board.stop_stream()
        finally:
            board.release_session()
            del board  # its finaliser needs a live interpreter
        assert bytes(emu.received).startswith(b"vdb")  # reset, defaults, start
    board_id = BoardIds.CYTON_BOARD.value
    eeg = got[BoardShim.get_eeg_channels(board_id)].T
    numbers = got[BoardShim.get_package_num_channel(board_id)]
    expected = quantise_cyton(data)
    ok = ~np.isnan(expected).any(axis=1)
    assert eeg.shape == (len(data) - 1, 8)
    assert 100 not in numbers and {99, 101} <= set(numbers)
    # BrainFlow scales in float64, we deliver float32: they agree to float32 rounding.
    np.testing.assert_allclose(eeg, expected[ok], rtol=1e-6, atol=1e-6)
