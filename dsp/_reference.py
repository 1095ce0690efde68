"""Plain numpy/Python versions of the block kernel's parts, for tests only.

They are written independently of ``dsp._engine`` (whole-signal, vectorised
where possible) so that the tests compare two implementations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import signal

if TYPE_CHECKING:
    from dsp.filters import FilterState


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


def _is_235_smooth(m: int) -> bool:
    for p in (2, 3, 5):
        while m % p == 0:
            m //= p
    return m == 1


def lf_ratio_reference(raw: np.ndarray, fs: float, low_hz: float, high_hz: float) -> float:
    """``lf_ratio`` by ``numpy.fft``: periodogram energy in ``0 < f < low_hz``
    over energy in ``[low_hz, high_hz]`` of the mean-removed signal."""
    if raw.size < 4:
        return float("nan")
    if raw.size > 2.0 * fs:  # long: the last m samples, m the largest 2-3-5-smooth length <= n
        m = raw.size
        while not _is_235_smooth(m):
            m -= 1
        raw = raw[raw.size - m :]
    x = raw - raw.mean()
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1.0 / fs)
    lf = spec[(freqs > 0) & (freqs < low_hz)].sum()
    band = spec[(freqs >= low_hz) & (freqs <= high_hz)].sum()
    if band <= 0:
        return float("inf") if lf > 0 else float("nan")
    return float(lf / band)


def sample_features_reference(
    kind: str, y: np.ndarray, strongest: int, others: list[int], raw_wide: np.ndarray, noise_uv: float,
    fs: float, t0: float, y_start: int, band: tuple[float, float],
) -> dict[str, float]:
    """The sample-level features of ``dsp.features.burst_features`` with numpy
    (t_peak_s, peak_snr, rms_snr, zc_hz, xcorr, phases, width_s, lf_ratio,
    step_snr); NaN where one does not apply."""
    from dsp.features import lobe_count

    f = dict.fromkeys(
        ("t_peak_s", "peak_snr", "rms_snr", "zc_hz", "xcorr", "phases", "width_s", "lf_ratio", "step_snr"),
        float("nan"),
    )
    nz = max(noise_uv, 1e-12)
    ys = y[:, strongest].astype(np.float64)
    if ys.size:
        a = np.abs(ys)
        ipk = int(np.argmax(a))
        peak = float(a[ipk])
        f["t_peak_s"] = t0 + (y_start + ipk) / fs
        f["peak_snr"] = peak / nz
        f["rms_snr"] = float(np.sqrt(np.mean(ys * ys))) / nz
        signs = np.signbit(ys[ys != 0])
        f["zc_hz"] = float(np.count_nonzero(signs[1:] != signs[:-1])) / 2.0 / max(ys.size / fs, 1.0 / fs)
        best = 0.0
        ss = float(np.sum(ys * ys))
        for o in others:
            yo = y[:, o].astype(np.float64)
            den = np.sqrt(ss * float(np.sum(yo * yo)))
            if den > 0:
                best = max(best, abs(float(np.sum(ys * yo))) / den)
        f["xcorr"] = best
        if kind == "spike":
            f["phases"] = float(lobe_count(ys))
            f["width_s"] = float(np.count_nonzero(a >= 0.5 * peak)) / fs
    raw_in = raw_wide[np.isfinite(raw_wide)]
    if raw_in.size >= 2:
        f["lf_ratio"] = lf_ratio_reference(raw_in, fs, band[0], band[1])
        f["step_snr"] = float(np.max(np.abs(np.diff(raw_in)))) / nz
    return f


def sos_filter_reference(
    x: np.ndarray, sos: np.ndarray, state: FilterState
) -> tuple[np.ndarray, FilterState]:
    """Plain scipy version of ``sos_filter`` (same semantics), for tests.

    Per channel, sample by sample: a lost sample within ``state.hold_n`` of
    the last finite one is filtered as the input ``state.period_n`` samples
    before it (output 0); after a longer gap the channel restarts in steady
    state for its next finite sample. Each run of filtered rows goes through
    ``scipy.signal.sosfilt``.
    """
    x64 = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    y = np.zeros(x.shape, dtype=np.float64)
    period_n = state.period_n
    for c in range(x.shape[1]):
        fed = np.zeros(n)  # what the cascade sees
        runs = np.zeros(n, dtype=bool)  # rows that go through the cascade
        restart = np.zeros(n, dtype=bool)
        # the last period_n inputs, oldest first
        past = list(np.roll(state.gap[c, 2:], -int(state.gap[c, 1])))
        for i in range(n):
            if np.isfinite(x64[i, c]):
                restart[i] = bool(state.pending[c])
                if state.pending[c]:
                    past = [x64[i, c]] * period_n
                state.pending[c] = False
                fed[i] = x64[i, c]
                state.gap[c, 0] = 0.0
                runs[i] = True
            elif not state.pending[c] and state.gap[c, 0] < state.hold_n:
                fed[i] = past[0]
                state.gap[c, 0] += 1.0
                runs[i] = True
            else:
                state.pending[c] = True
                continue
            past = past[1:] + [fed[i]]
        state.gap[c, 1] = 0.0
        state.gap[c, 2:] = past
        i = 0
        while i < n:
            if not runs[i]:
                i += 1
                continue
            j = i + 1
            while j < n and runs[j] and not restart[j]:
                j += 1
            zi = state.zi_unit * fed[i] if restart[i] else state.zi[:, :, c]
            y[i:j, c], state.zi[:, :, c] = signal.sosfilt(sos, fed[i:j], zi=zi)
            i = j
        y[~np.isfinite(x64[:, c]), c] = 0.0
    return y.astype(np.float32), state


def split_points_reference(y: np.ndarray, *, peak_min: float, w: int, min_sep: int, dip: float, ratio: float) -> list[int]:
    """numpy version of ``dsp._split.split_points`` (same arguments and result).
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
