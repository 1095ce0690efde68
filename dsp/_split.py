"""Where one spike run holds two discharges: the cut points between them.

The spike detector's hysteresis closes a run only when the smoothed energy
falls back under its off threshold. Two discharges 20-60 ms apart (a
doublet: one motor unit firing twice, science.md 1.1; or two units at
rest) often keep it open, above all at 200-250 Hz where each is smeared
over 3-5 samples (science.md 1.4), and dsp reported one spike: on tuning
seeds at 200 Hz, 212 of 520 doublets at rest 25-60 ms apart.

A run is cut between two energy humps when

* they are at least ``min_sep`` samples apart (a single MUAP's phases lie
  closer, science.md 1.1: 10-25 ms in all, a few ms per phase),
* the energy between them falls to ``dip`` of the smaller hump or less
  (the two are separate, not one long polyphasic discharge), and
* the smaller one's peak |y| is at least ``ratio`` of the larger's and at
  least ``peak_min`` (a doublet is the same unit twice, about equally
  large; the band-pass filter's after-swing of a big discharge is a
  fraction of it).
"""

from __future__ import annotations

import numba
import numpy as np

from dsp._sort import sort_small


def split_points(y: np.ndarray, *, peak_min: float, w: int, min_sep: int, dip: float, ratio: float) -> list[int]:
    """Indices into ``y`` where a spike run holding separate discharges is cut.

    Parameters
    ----------
    y : ndarray, shape (n,)
        The band-passed samples of one channel over the run, µV.
    peak_min : float
        Smallest peak |y| a discharge of its own must reach, µV (the
        detector's ``spike_peak_snr`` times the noise RMS).
    w : int
        Smoothing window of the energy, samples (the detector's spike window).
    min_sep, dip, ratio
        See the module docstring (samples, fraction of energy, fraction of peak).

    Returns
    -------
    list of int
        Cut indices in increasing order (each sub-run is ``y[a:b]`` between
        consecutive cuts); empty when the run is one discharge.
    """
    n = y.shape[0]
    if n <= min_sep:
        return []
    cuts = np.empty(n, dtype=np.int64)
    k = _split_kernel(np.ascontiguousarray(y, dtype=np.float64), float(peak_min), int(w), int(min_sep),
                      float(dip), float(ratio), cuts)
    return [int(c) for c in cuts[:k]]


@numba.njit(cache=True, nogil=True)
def _split_kernel(y, peak_min, w, min_sep, dip, ratio, cuts):  # pragma: no cover - compiled
    # Called once per spike run (thousands a minute on a busy recording):
    # compiled, as the numpy version (dsp._reference) costs ~150 µs a call.
    n = y.shape[0]
    for i in range(n):
        if not np.isfinite(y[i]):
            return 0
    # e: mean square over a centred window of w ("same" convolution); near:
    # largest |y| within w samples either side (a hump's peak)
    e = np.empty(n)
    near = np.empty(n)
    lo_off = w // 2
    hi_off = (w - 1) // 2
    for i in range(n):
        s = 0.0
        for j in range(max(0, i - lo_off), min(n, i + hi_off + 1)):
            s += y[j] * y[j]
        e[i] = s / w
        m = 0.0
        for j in range(max(0, i - w), min(n, i + w + 1)):
            m = max(m, abs(y[j]))
        near[i] = m
    humps = np.empty(n, dtype=np.int64)
    nh = 0
    for i in range(n):
        up = i == 0 or e[i] >= e[i - 1]
        down = i == n - 1 or e[i] > e[i + 1]
        if up and down and near[i] >= peak_min:
            humps[nh] = i
            nh += 1
    if nh < 2:
        return 0
    # largest humps first (ties: the earlier), each at least min_sep from those kept
    used = np.zeros(nh, dtype=np.bool_)
    keep = np.empty(nh, dtype=np.int64)
    nk = 0
    for _ in range(nh):
        best = -1
        for q in range(nh):
            if not used[q] and (best < 0 or e[humps[q]] > e[humps[best]]):
                best = q
        used[best] = True
        i = humps[best]
        ok = True
        for r in range(nk):
            if abs(i - keep[r]) < min_sep:
                ok = False
                break
        if ok:
            keep[nk] = i
            nk += 1
    sort_small(keep[:nk])
    nc = 0
    k = 0
    while k + 1 < nk:
        h0 = keep[k]
        h1 = keep[k + 1]
        m = h0
        for j in range(h0, h1 + 1):
            if e[j] < e[m]:
                m = j
        p0 = near[h0]
        p1 = near[h1]
        if e[m] <= dip * min(e[h0], e[h1]) and min(p0, p1) >= ratio * max(p0, p1):
            cuts[nc] = m
            nc += 1
            k += 1
        else:
            # one discharge: the larger hump stands for it, the other goes
            # (shifted element by element: a slice assignment compiles
            # numpy's broadcast checks, seconds of a first run)
            for q in range(k + 1 if e[h0] >= e[h1] else k, nk - 1):
                keep[q] = keep[q + 1]
            nk -= 1
    return nc
