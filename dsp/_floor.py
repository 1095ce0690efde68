"""The lowest noise floor each channel had lately, for ``noise_rise``.

A faint contraction (a cramp at 2-3x the noise RMS, science.md 3.2) raises a
channel's noise floor without crossing the sustained threshold; only its
largest units poke out as "spikes". The floor the tracker followed up to
then is the evidence: ``FloorHistory`` keeps the per-channel minimum of the
block noise floor in bins of ``bin_blocks`` blocks, so the lowest floor of
the last minutes costs a few hundred values to read, not tens of thousands.

Only complete bins before a burst's onset are read, so the answer does not
depend on how the input was chunked.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from dsp._ring import Ring

#: How far back the lowest floor is looked for, s: a cramp lasts up to ~10 min
#: (science.md 1.2), and the floor before it began must still be in view.
LOOKBACK_S = 600.0
#: Seconds per bin.
BIN_S = 1.0


class FloorHistory:
    """Per-channel minima of the block noise floor, one row per ``bin_blocks`` blocks.

    Parameters
    ----------
    bin_blocks : int
        Blocks per bin.
    n_bins : int
        Bins kept (older ones are forgotten).
    n_channels : int
    """

    def __init__(self, bin_blocks: int, n_bins: int, n_channels: int) -> None:
        self.bin_blocks = max(int(bin_blocks), 1)
        self._ring = Ring(max(int(n_bins), 1), n_channels, np.float64)
        self._acc = np.full(n_channels, np.inf)
        self._n_acc = np.zeros(1, dtype=np.int64)  # blocks in the bin being filled

    def write(self, blk_noise: np.ndarray) -> None:
        """Add the noise floor of the next blocks (rows: blocks, columns: channels), µV."""
        if blk_noise.shape[0] == 0:
            return
        out = np.empty((blk_noise.shape[0] // self.bin_blocks + 1, blk_noise.shape[1]))
        n = _fold(np.ascontiguousarray(blk_noise, dtype=np.float64), self._acc, self._n_acc, self.bin_blocks, out)
        if n:
            self._ring.write(out[:n])

    def lowest(self, from_block: int, to_block: int, channel: int) -> float:
        """Lowest floor of ``channel`` over the complete bins inside blocks
        ``[from_block, to_block)``, µV; NaN when there is none."""
        k0 = -(-int(from_block) // self.bin_blocks)
        k1 = int(to_block) // self.bin_blocks
        low = self._ring.column_min(k0, k1, channel)
        return low if math.isfinite(low) else math.nan


@numba.njit(cache=True, nogil=True)
def _fold(rows, acc, n_acc, bin_blocks, out):  # pragma: no cover - compiled
    # fold blocks into the open bin; write each bin that fills to out
    n_out = 0
    for i in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            if rows[i, c] < acc[c]:  # NaN compares False: gaps are skipped
                acc[c] = rows[i, c]
        n_acc[0] += 1
        if n_acc[0] == bin_blocks:
            # element by element: a slice assignment compiles numpy's
            # broadcast checks, ~2.5 s of a first run (empty numba cache)
            for c in range(acc.shape[0]):
                out[n_out, c] = acc[c]
                acc[c] = np.inf
            n_acc[0] = 0
            n_out += 1
    return n_out
