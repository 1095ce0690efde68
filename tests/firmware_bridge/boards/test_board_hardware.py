"""The serial suite's checks on a real board: runs only when a port is named, skips cleanly otherwise.

    EMGWATCH_CYTON_PORT=/dev/ttyUSB0 python -m pytest tests/firmware_bridge/boards/test_board_hardware.py
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from firmware_bridge import open_source

PORT = os.environ.get("EMGWATCH_CYTON_PORT")
pytestmark = pytest.mark.skipif(not PORT, reason="no board: set EMGWATCH_CYTON_PORT to a Cyton dongle's port")


def test_a_real_cyton_streams_clean_packets_at_its_rate():
    with open_source(f"cyton://{PORT}") as src:
        t0 = time.monotonic()
        chunks = []
        while time.monotonic() - t0 < 3.0:
            chunk = src.read(1.0)
            if chunk is not None:
                chunks.append(chunk)
        counters = src.counters
    n = sum(c.n_samples for c in chunks)
    assert src.fs in (250.0, 125.0)
    # 3 s at the board's rate, give or take the start-up and the last dongle batch.
    assert abs(n - 3.0 * src.fs) < 0.3 * src.fs
    assert counters.lost_packets <= 0.01 * n and counters.resyncs <= 1
    data = np.concatenate([c.data for c in chunks])
    assert np.isfinite(data[1:]).all()
