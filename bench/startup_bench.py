"""Start-up cost of ``emgwatch analyze --demo``: empty numba cache vs warm cache.

Issue target: with an empty cache the first run finishes in under 20 s; the
second, which loads the compiled kernels from the cache, in under 2 s.
Each case runs in a fresh process (as a user would run the command), with
``NUMBA_CACHE_DIR`` pointing at a new empty folder for the cold runs. Prints
the median of ``--repeats`` runs of each.

Run: ``python bench/startup_bench.py [--repeats 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _run(env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "emgwatch", "analyze", "--demo", "--no-history"], env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cold, warm = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            cold.append(_run(env))
            warm.append(_run(env))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy, scipy.signal, numba"], check=True)
    floor = time.perf_counter() - t
    print(f"emgwatch analyze --demo, {args.repeats} repeat(s), median wall time:")
    print(f"  empty numba cache : {statistics.median(cold):6.2f} s  (target < 20 s)  runs {[round(x, 2) for x in cold]}")
    print(f"  warm numba cache  : {statistics.median(warm):6.2f} s  (target <  2 s)  runs {[round(x, 2) for x in warm]}")
    print(f"  floor: python importing numpy+scipy.signal+numba: {floor:.2f} s")


if __name__ == "__main__":
    main()
