"""The offline pipeline on two threads (``Pipeline`` calls it for long
inputs when numba has >= 2 threads): results are identical to one thread's.

A long input is cut into segments of whole blocks. While the channels of
segment k are detected, a helper thread filters segment k+1 and stages
segment k's rows in the sample rings, in one nogil numba call
(``_engine.helper_share``; any return to Python in between would wait for
the GIL, which the calling thread holds while it groups bursts), and the
calling thread groups segment k-1's bursts (Python) and then detects the
first ``share`` channels. ``share`` follows the measured times so both
threads finish together (grouping costs vary with the bursts found); which
thread takes a channel changes nothing in the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from dsp import _engine
from dsp._startup import ClaimedTasks
from dsp.filters import sos_filter

if TYPE_CHECKING:
    from dsp.pipeline import Pipeline

#: Blocks in the first segment, which this thread filters before the
#: threads start (short, so the other core waits little).
FIRST_SEGMENT_BLOCKS = 128


def _ewma(old: float, new: float) -> float:
    return new if old == 0.0 else 0.7 * old + 0.3 * new


class _Timed:
    """A task that records how long it ran (s), for balancing threads."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn
        self.seconds: float | None = None

    def __call__(self) -> None:
        t = time.perf_counter()
        self.fn()
        self.seconds = time.perf_counter() - t


def run_threaded(p: Pipeline, raw: np.ndarray, y_known: np.ndarray, threads: int) -> None:
    """Filter and detect ``raw`` (after ``p``'s tail) on ``threads`` threads;
    ``y_known``: filter output of its first rows when already computed."""
    n_ch = p.n_channels
    if p._tail_raw.shape[0]:
        raw = np.vstack([p._tail_raw, raw])
        y_known = np.vstack([p._tail_y, y_known])
    bn = p.block_n
    n = raw.shape[0]
    seg = p._seg_blocks * bn
    # Segments of whole blocks counted from the first row, the last one
    # with the partial block that becomes the tail. The first one is short:
    # this thread filters it before the threads start, so the other core
    # waits little.
    bounds = []
    pos = 0
    size = min(seg, FIRST_SEGMENT_BLOCKS * bn)
    while True:
        end = n if n - pos < size + bn else pos + size
        bounds.append((pos, end))
        if end >= n:
            break
        pos = end
        size = seg
    done0 = p._done
    # room for a segment beyond the readable window: the threads stage
    # segment k while this thread still reads the rings for segment k-1
    p._y_ring.reserve(seg + bn)
    p._raw_ring.reserve(seg + bn)
    fs_ = p._fstate
    part, y = _filter_segment(p, raw, y_known, *bounds[0])
    share = n_ch // 2
    spare: dict[int, list[_engine.EngineOutput]] = {}
    t_group = t_chan = t_help = 0.0
    prev: tuple | None = None
    for k, (pos, end) in enumerate(bounds):
        nb = part.shape[0] // bn
        start = done0 + pos
        out = _take_output(spare, nb, bn, n_ch)
        es_args = p._es_args(out)
        if k + 1 < len(bounds):
            x_next, y_next, n_known = _segment(raw, y_known, *bounds[k + 1])
        else:
            x_next = y_next = raw[:0]
            n_known = 0
        n_prev = prev[0].shape[0] if prev is not None else 0
        p._keep_pending(n_prev, staged=n_prev)
        helper = partial(
            _engine.helper_share, x_next, y_next, n_known, p._sos, fs_.zi, fs_.zi_unit, fs_.pending, fs_.gap,
            fs_.hold_n,
            p._y_ring.buf, p._raw_ring.buf, start, part, y, share, n_ch, start, bn, p._fp, p._ip,
            *es_args,
        )
        timed = _Timed(helper)
        job = ClaimedTasks([timed], threads)
        t0 = time.perf_counter()
        if prev is not None:
            p._after_engine(*prev)
            spare.setdefault(prev[2].blk_ms.shape[0], []).append(prev[2])
        t1 = time.perf_counter()
        if share:
            _engine.run_blocks(part, y, 0, share, start, bn, p._fp, p._ip, *es_args)
        t2 = time.perf_counter()
        job.join()
        # what the grouper may read of the kernel state, as of this segment's end
        es = p._es
        snap = replace(es, sp=es.sp.copy(), sp_peak=es.sp_peak.copy(), su=es.su.copy(), art=es.art.copy(),
                       noise=es.noise.copy())
        prev = (part[: nb * bn], None, out, snap) if nb else None
        if k + 1 == len(bounds):
            break
        # Balance the next segment: this thread's grouping + share channels
        # against the helper's filter + staging + the rest. Costs are kept
        # per block (segments differ in length: the first is 16x shorter).
        nb_next = (bounds[k + 1][1] - bounds[k + 1][0]) // bn
        nb_after = (bounds[k + 2][1] - bounds[k + 2][0]) // bn if k + 2 < len(bounds) else 0
        if n_prev:
            t_group = _ewma(t_group, (t1 - t0) / (n_prev // bn))
        if share and nb:
            t_chan = _ewma(t_chan, (t2 - t1) / (share * nb))
        if timed.seconds is not None and t_chan and nb and nb_next:
            # the helper filters the next segment and stages this one (~3:1 per block)
            units = nb_next + nb / 3
            t_help = _ewma(t_help, (timed.seconds - (n_ch - share) * t_chan * nb) / units)
            help_next = t_help * (nb_after + nb_next / 3)
            share = round((help_next + n_ch * t_chan * nb_next - t_group * nb) / (2 * t_chan * nb_next))
            share = min(n_ch, max(0, share))
        part, y = x_next, y_next
    if prev is not None:
        p._after_engine(*prev)
        spare.setdefault(nb, []).append(prev[2])
    for outs in spare.values():
        for o in outs:
            _engine.release_output(o)
    p._tail_raw = part[nb * bn :].copy()
    p._tail_y = y[nb * bn :].copy()


def _take_output(spare: dict, nb: int, bn: int, n_ch: int) -> _engine.EngineOutput:
    """Output buffers for a segment of ``nb`` blocks, reusing one whose
    segment is grouped: its ~5 MB of spike records (sized for a spike every
    other sample) were fresh pages every segment, and each first write into
    one cost a page fault."""
    if spare.get(nb):
        out = spare[nb].pop()
        for counts in (out.sp_n, out.su_n, out.ar_n, out.po_n):
            counts[:] = 0
        return out
    return _engine.alloc_output(nb, bn, n_ch, by_channel=True)


def _segment(raw: np.ndarray, y_known: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows a..b of ``raw``, a buffer for their filter output with the rows
    already in ``y_known`` copied in, and how many those are."""
    part = np.ascontiguousarray(raw[a:b])
    y = np.empty(part.shape, dtype=np.float32)
    k = min(max(y_known.shape[0] - a, 0), b - a)
    y[:k] = y_known[a : a + k]
    return part, y, k


def _filter_segment(
    p: Pipeline, raw: np.ndarray, y_known: np.ndarray, a: int, b: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows a..b of ``raw`` and their filter output (the rest after the
    known rows filtered on this thread)."""
    part, y, k = _segment(raw, y_known, a, b)
    if k < b - a:
        sos_filter(part[k:], p._sos, p._fstate, out=y[k:], serial=True)
    return part, y
