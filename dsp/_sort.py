"""In-place sort of the few values a compiled kernel orders per call.

numba's ``np.sort`` costs about a second of compiling per kernel and type on
a first run (empty numba cache), for arrays that here hold a dozen values:
an insertion sort gives the same order and compiles in a fraction of that.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def sort_small(a):  # pragma: no cover - compiled
    """Sort the 1-D array ``a`` in place, ascending, NaN last as ``np.sort``
    puts it (O(n^2): for n up to ~100)."""
    for i in range(1, a.shape[0]):
        v = a[i]
        j = i - 1
        while j >= 0 and (a[j] > v or (np.isnan(a[j]) and not np.isnan(v))):
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = v
