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

import numpy as np


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
    if n <= min_sep or not np.all(np.isfinite(y)):
        return []
    y = y.astype(np.float64)
    e = np.convolve(y * y, np.ones(w) / w, mode="same")
    a = np.abs(y)
    # the largest |y| within a window of each sample: a hump's peak
    pad = np.pad(a, w, constant_values=0.0)
    near = np.lib.stride_tricks.sliding_window_view(pad, 2 * w + 1).max(axis=1)
    up = np.r_[True, e[1:] >= e[:-1]]
    down = np.r_[e[:-1] > e[1:], True]
    humps = np.flatnonzero(up & down & (near >= peak_min))
    if humps.size < 2:
        return []
    keep: list[int] = []
    for i in humps[np.argsort(-e[humps], kind="stable")]:
        if all(abs(int(i) - j) >= min_sep for j in keep):
            keep.append(int(i))
    keep.sort()
    cuts = []
    k = 0
    while k + 1 < len(keep):
        h0, h1 = keep[k], keep[k + 1]
        m = h0 + int(np.argmin(e[h0 : h1 + 1]))
        p0, p1 = near[h0], near[h1]
        if e[m] <= dip * min(e[h0], e[h1]) and min(p0, p1) >= ratio * max(p0, p1):
            cuts.append(m)
            k += 1
        elif e[h0] >= e[h1]:
            keep.pop(k + 1)  # one discharge: the larger hump stands for it
        else:
            keep.pop(k)
    return cuts
