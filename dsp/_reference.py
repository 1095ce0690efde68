"""Plain numpy/Python versions of the block kernel's parts, for tests only.

They are written independently of ``dsp._engine`` (whole-signal, vectorised
where possible) so that the tests compare two implementations.
"""

from __future__ import annotations

import numpy as np


def block_stats_reference(y: np.ndarray, block_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean square (µV²) and max |y| (µV) per complete block, shape (n_blocks, C)."""
    n_b = y.shape[0] // block_n
    yb = y[: n_b * block_n].astype(np.float64).reshape(n_b, block_n, -1)
    return (yb**2).mean(axis=1), np.abs(yb).max(axis=1)


def spike_runs_reference(
    y: np.ndarray,
    noise_per_block: np.ndarray,
    block_n: int,
    w: int,
    on_snr: float,
    off_snr: float,
    peak_snr: float,
) -> list[list[tuple[int, int, int]]]:
    """Spike runs per channel: (onset, offset, peak index), as the kernel defines them.

    The smoothed energy is a causal ``w``-sample mean of ``y**2`` (zeros before
    the start); a run opens when it exceeds ``(on_snr*noise)**2`` and closes
    when it drops below ``(off_snr*noise)**2``, with ``noise`` the block's
    value; runs whose peak |y| stays below ``peak_snr*noise`` (noise at the
    closing block) are dropped; times shift back by ``w // 2``.
    """
    y64 = y.astype(np.float64)
    n, n_ch = y64.shape
    sq = np.vstack([np.zeros((w, n_ch)), y64**2])
    csum = np.cumsum(sq, axis=0)
    energy = (csum[w:] - csum[:-w]) / w
    shift = w // 2
    out: list[list[tuple[int, int, int]]] = []
    for c in range(n_ch):
        runs = []
        active = False
        on = pk_i = 0
        pk = 0.0
        for i in range(n - n % block_n):
            nz = noise_per_block[i // block_n, c]
            e = energy[i, c]
            a = abs(y64[i, c])
            if not active:
                if e > (on_snr * nz) ** 2:
                    active, on, pk, pk_i = True, i, a, i
            else:
                if a > pk:
                    pk, pk_i = a, i
                if e < (off_snr * nz) ** 2:
                    active = False
                    if pk >= peak_snr * nz:
                        start = max(on - shift, 0)
                        runs.append((start, max(i - shift, start + 1), pk_i))
        out.append(runs)
    return out
