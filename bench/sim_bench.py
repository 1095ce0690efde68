"""Benchmark: render a 10-minute 8-channel scenario at 2 kHz (target < 10 s on one core).

Usage::

    python bench/sim_bench.py [--scenario exercise_cramp] [--device ideal_2k] [--minutes 10]

Prints the wall time, the real-time factor and the number of truth events. The
first run also compiles the numba renderer (cached afterwards); a warm-up on a
short rendering keeps that out of the figure.
"""

from __future__ import annotations

import argparse
import os
import time

# One core, as the target says (BLAS/numba threads would blur the figure).
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from firmware_bridge import simulate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="exercise_cramp", help="scenario name (default exercise_cramp)")
    parser.add_argument("--device", default="ideal_2k", help="device model (default ideal_2k: 2 kHz, 8 ch)")
    parser.add_argument("--minutes", type=float, default=10.0, help="duration in minutes (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    simulate(args.scenario, device=args.device, duration_s=5, seed=args.seed)  # warm-up: numba cache
    start = time.perf_counter()
    rec = simulate(args.scenario, device=args.device, duration_s=args.minutes * 60.0, seed=args.seed)
    elapsed = time.perf_counter() - start
    n, ch = rec.data.shape
    print(f"{args.scenario} on {args.device}: {args.minutes:g} min, {ch} ch at {rec.fs:g} Hz ({n} samples)")
    print(f"rendered in {elapsed:.2f} s = {args.minutes * 60.0 / elapsed:.0f}x real time; "
          f"{len(rec.truth)} truth events; target < 10 s: {'met' if elapsed < 10 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
