"""Helper process for the SIGKILL test: records a known signal until killed.

Usage: python _crash_writer.py OUT.bdf SECONDS_PER_RECORD
Prints "records N" after each completed record so the parent knows when to kill.
"""

import sys
import time

import numpy as np

from dsp import Event
from recordings import RecordingWriter


def signal(start: int, n: int) -> np.ndarray:
    k = np.arange(start, start + n)[:, None]
    return (100.0 * np.sin(2 * np.pi * 7.0 * k / 1000.0) + np.arange(4)[None, :] * 10.0).astype(np.float32)


if __name__ == "__main__":
    out, pause = sys.argv[1], float(sys.argv[2])
    w = RecordingWriter(out, 1000.0, ["a", "b", "c", "d"], device="crash test")
    done = 0
    while True:
        w.write(signal(done, 250))
        done += 250
        if done == 500:
            w.add_event(
                Event(
                    channels=("a",),
                    onset_s=0.4,
                    offset_s=0.42,
                    peak_uv=100.0,
                    trial_type="fasciculation",
                    confidence=0.9,
                )
            )
        if done % 1000 == 0:
            print(f"records {w.n_samples // 1000}", flush=True)
        time.sleep(pause)
