"""From per-channel kernel events to grouped, final ``Burst`` objects.

A burst is released only when nothing still to come can change it (the
kernel's open spike/sustained/artefact state is consulted), so the output
does not depend on how the input was chunked, only on the data.

Rules (issue 3):
* a spike overlapping an accepted sustained burst on the same channel is
  dropped (it is part of it);
* a spike run longer than ``spike_max_s`` is reported as a short sustained
  burst (never silently dropped);
* spikes whose peaks chain within ``spike_group_s`` form one spike Burst,
  channels by peak SNR, strongest first;
* overlapping sustained bursts on any channels form one Burst (union); one
  of at most ``parts_max_s`` carries the spikes dropped inside it, grouped
  the same way, as ``Burst.parts`` (a cluster of twitches whose envelopes
  merged is still counted twitch by twitch);
* artefact intervals of one kind that overlap form one Burst; a pop is kept
  only when no other channel jumped within two blocks (a pop is one
  electrode, science.md 1.6).
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_left
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

import numba
import numpy as np

from dsp import _floor
from dsp._engine import ART_NAMES, EngineState
from dsp._sort import sort_small
from dsp._split import split_points
from dsp._types import Burst
from dsp.features import NET_LEVEL_S, burst_features, member_stats

if TYPE_CHECKING:
    from dsp.pipeline import Pipeline

_BIG = 1 << 62


_FLAT = ART_NAMES.index("flat")
_CLIPPING = ART_NAMES.index("clipping")
#: Seconds before a previewed spike whose level counts as its background.
PREVIEW_BACKGROUND_S = 0.15
#: Artefact kinds that are gaps in the data (no usable samples).
_GAP_CODES = tuple(ART_NAMES.index(k) for k in ("dropout", "flat", "clipping"))
_GAP_LO, _GAP_HI = min(_GAP_CODES), max(_GAP_CODES) + 1
assert _GAP_HI - _GAP_LO == len(_GAP_CODES), "the gap kinds are one slice of the kernel's artefact codes"


@numba.njit(cache=True, nogil=True)
def _median_level(buf, cap, start, end, a0, a1, b0, b1, chans, nz):  # pragma: no cover - compiled
    """Largest over ``chans`` of sqrt(median of ring rows [a0, a1) and
    [b0, b1), clipped to the rows held) / noise; NaN without rows. One call
    instead of numpy's median on a few rows: np.median's own overhead had
    been half of a spike burst's cost."""
    lo0, hi0 = max(a0, start), min(a1, end)
    lo1, hi1 = max(b0, start), min(b1, end)
    n = max(hi0 - lo0, 0) + max(hi1 - lo1, 0)
    if n == 0:
        return np.nan
    col = np.empty(n)
    best = -np.inf
    for c in chans:
        k = 0
        for i in range(lo0, hi0):
            col[k] = buf[i % cap, c]
            k += 1
        for i in range(lo1, hi1):
            col[k] = buf[i % cap, c]
            k += 1
        sort_small(col)
        med = 0.5 * (col[(n - 1) // 2] + col[n // 2])
        best = max(best, np.sqrt(med) / max(nz[c], 1e-12))
    return best


def _sustained_end(es: EngineState, c: int) -> int:
    """Where channel ``c``'s open sustained run ends so far: its last active
    block while active (state 1), where it fell back while in the merge gap."""
    return int(es.su[c, 3] if es.su[c, 0] == 1 else es.su[c, 2])


def _ranges(members: list[list]) -> list[tuple[int, int, int]]:
    """(channel, on, off) of a spike group's members. Where one is a piece
    of a cut run (``Grouper._split``), the others are read over that piece's
    span only: a run on another channel may cover both discharges, and over
    its whole span the burst would take the other one's peak as its own."""
    pieces = [m for m in members if len(m) > 5]
    if not pieces:
        return [(m[0], m[1], m[2]) for m in members]
    lo, hi = min(m[1] for m in pieces), max(m[2] for m in pieces)
    out = []
    for m in members:
        on = min(max(m[1], lo), hi - 1)
        out.append((m[0], on, max(min(m[2], hi), on + 1)))
    return out


class Grouper:
    """Holds pending per-channel events of one Pipeline and releases Bursts."""

    def __init__(self, pipe: Pipeline) -> None:
        # a weak reference: the pipeline owns its grouper, and without the
        # cycle a finished pipeline's buffers are freed (and reused, see
        # dsp._buffers) at once, not at the next garbage collection
        self._pipe = weakref.ref(pipe)
        fs = pipe.fs
        cfg = pipe.config
        self.spike_max_n = round(cfg.spike_max_s * fs)
        self.group_n = round(cfg.spike_group_s * fs)
        self.edge_n = round(cfg.context_edge_s * fs)
        # how far past a spike its final background_snr reads (see _background)
        self.background_n = (max(1, round(PREVIEW_BACKGROUND_S * fs / pipe.block_n)) + 2) * pipe.block_n
        self.long_n = round(cfg.context_sustained_s * fs)
        self.sustained_min_n = round(cfg.sustained_min_s * fs)
        self.parts_max_n = round(cfg.parts_max_s * fs)
        self.split_min_n = max(2, round(cfg.split_min_s * fs))
        self.hold_n = (pipe._n_env + 1) * pipe.block_n
        self.pop_n = round(cfg.pop_s * fs)
        self.bridge_n = pipe._hold_n  # lost samples the filters carry on through
        self.flat_min_n = round(cfg.flat_min_s * fs)
        self.raw_pad_n = round(0.125 * fs) + 2  # how far a brief burst's raw window reaches past it
        self.net_pad_n = round(NET_LEVEL_S[0] * fs) + 1
        self._art_merge_n = round(cfg.artifact_merge_s * fs)
        self._clip_off: dict[int, int] = {}  # per channel, where its latest clipping ended
        self.spikes: list[list] = []  # [c, on, off, peak_idx, peak], + True for a piece of a cut run
        self.released: list[list] = []
        self.inside: list[list] = []  # short spikes dropped inside a sustained run: [c, on, off, peak_idx, peak]
        self.segments: list[tuple[int, int, int]] = []  # accepted sustained (c, on, off), for coverage
        self.seg_pending: list[tuple[int, int, int]] = []
        self.arts: list[tuple[int, int, int, int]] = []  # (kind, c, on, off)
        self.pops: list[tuple[int, int, float]] = []  # (c, idx, step)
        self.pop_seen: deque = deque(maxlen=256)
        self.spike_times: list[list[int]] = [[] for _ in pipe.channels]  # peak indices, in time order
        self.limit = _BIG
        self._es: EngineState | None = None  # kernel state finalize was given
        self._previewed: dict[tuple[int, int], int] = {}  # (channel, peak index) already previewed

    @property
    def p(self) -> Pipeline:
        """The pipeline this grouper belongs to (held weakly: see __init__)."""
        return self._pipe()

    def oldest_needed(self) -> int | None:
        """First sample row a pending burst may still read (None: nothing
        pending). The pipeline keeps its sample rings back to here: a spike
        can wait in the grouper for as long as a cramp next to it lasts."""
        p = self.p
        # the raw window around a short burst, and net_ratio's baseline before it (``_burst``)
        pad = self.raw_pad_n + self.net_pad_n
        starts = [s[1] - max(pad, (s[2] - s[1]) // 2 + 2) for held in (self.spikes, self.released, self.inside)
                  for s in held]
        starts += [max(on, off - p._ring_n) - pad for _, on, off in self.seg_pending]
        starts += [max(on, off - p._ring_n) - pad for _, _, on, off in self.arts]
        starts += [idx - pad for _, idx, _ in self.pops]
        return min(starts) if starts else None

    def settled_before(self) -> int:
        """A sample index no burst still to come ends before (found-signal
        samples, before ``delay_n``): the offsets of what is held here, of
        the kernel's open runs as far as they have got, and of runs not yet
        begun, which a run's onset may predate by ``margin_n``."""
        p = self.p
        es = p._es
        ends = [s[2] for held in (self.spikes, self.released) for s in held]
        ends += [off for _, _, off in self.seg_pending]
        ends += [off for _, _, _, off in self.arts]
        ends += [idx for _, idx, _ in self.pops]
        ends += [run[1] for run in p._rail_open.values()]
        shift = int(p._ip[4])
        for c in range(p.n_channels):
            if es.sp[c, 0] == 1:
                ends.append(int(es.sp[c, 1]) - shift)
            if es.su[c, 0] != 0:
                ends.append(_sustained_end(es, c))
            ends += [int(es.art[c, k, 2]) for k in range(len(ART_NAMES)) if es.art[c, k, 0] == 1]
        margin_n = self.hold_n + shift + 2 * p.block_n
        return min([p._done - margin_n, *ends])

    # ---------------------------------------------------------- collecting
    def collect(self, out) -> None:
        if out.sp_n.any():
            for c in np.flatnonzero(out.sp_n):
                for m in range(out.sp_n[c]):
                    on, off, pk = (int(v) for v in out.sp_rec[c, m])
                    for s in self._split([int(c), on, off, pk, float(out.sp_val[c, m])]):
                        self.spikes.append(s)
                        if s[2] - s[1] <= self.spike_max_n:
                            self.spike_times[c].append(s[3])
        if out.su_n.any():
            for c in np.flatnonzero(out.su_n):
                for m in range(out.su_n[c]):
                    seg = (int(c), int(out.su_rec[c, m, 0]), int(out.su_rec[c, m, 1]))
                    self.segments.append(seg)
                    self.seg_pending.append(seg)
        if out.ar_n.any():
            for c in np.flatnonzero(out.ar_n):
                for m in range(out.ar_n[c]):
                    k, on, off = (int(v) for v in out.ar_rec[c, m])
                    self._add_art(k, int(c), on, off)
        if out.po_n.any():
            for c in np.flatnonzero(out.po_n):
                for m in range(out.po_n[c]):
                    item = (int(c), int(out.po_rec[c, m]), float(out.po_val[c, m]))
                    self.pops.append(item)
                    self.pop_seen.append(item)

    def _split(self, s: list) -> list[list]:
        """A spike run ``[c, on, off, peak_idx, peak]`` as one run per
        discharge in it (``dsp._split``), each with its own peak."""
        c, on, off = s[0], s[1], s[2]
        if off - on <= self.split_min_n or off - on > self.spike_max_n:
            return [s]
        p = self.p
        y, y0 = p._y_ring.get(on, off)
        if y0 != on or y.shape[0] != off - on:
            return [s]
        # the floor the kernel held in that block (the same whatever the chunking)
        b = on // p.block_n
        nh, _ = p._noise_hist.get(b, b + 1)
        if not nh.shape[0]:
            return [s]
        x = y[:, c]
        cfg = p.config
        cuts = split_points(x, peak_min=cfg.spike_peak_snr * float(nh[0][c]), w=p._w,
                            min_sep=self.split_min_n, dip=cfg.split_dip, ratio=cfg.split_ratio)
        if not cuts:
            return [s]
        out = []
        for a, b in zip([0, *cuts], [*cuts, off - on], strict=True):
            k = a + int(np.argmax(np.abs(x[a:b])))
            out.append([c, on + a, on + b, on + k, float(abs(x[k])), True])  # True: a piece of a cut run
        return out

    def _add_art(self, kind: int, c: int, on: int, off: int) -> None:
        if kind == _FLAT and self._clip_goes_on(c, on):
            # A lead coming off drives the ADC to its rail and holds it: the
            # kernel flags the jump onto the rail as clipping and the blocks
            # held there as flat. It is one clipping interval.
            kind = _CLIPPING
            on = min(on, self._clip_off[c])  # touching it, so the two are grouped as one
        elif kind == _FLAT and off - on < self.flat_min_n:
            # A coarse ADC (8-bit Myo at 200 Hz) repeats one code for a 25 ms
            # block at rest: only a flat line of flat_min_s is "no signal".
            return
        if kind == _CLIPPING:
            self._clip_off[c] = max(self._clip_off.get(c, -_BIG), off)
        self.arts.append((kind, c, on, off))

    def add_clipping(self, c: int, on: int, off: int) -> None:
        """A clipping interval found outside the kernel (samples at known rails)."""
        self._add_art(_CLIPPING, c, on, off)

    def _clip_goes_on(self, c: int, flat_on: int) -> bool:
        # a flat run that starts where clipping on its channel just ended
        return flat_on - self._clip_off.get(c, -_BIG) <= self._art_merge_n

    def close_open(self, n_total: int) -> None:
        """End of stream: turn the kernel's open runs into events."""
        p = self.p
        es = p._es
        end = p._done
        shift = int(p._ip[4])
        min_n = self.sustained_min_n
        for c in range(p.n_channels):
            if es.sp[c, 0] == 1:
                on = max(int(es.sp[c, 1]) - shift, 0)
                self.spikes += self._split([c, on, max(end - shift, on + 1), int(es.sp[c, 2]), float(es.sp_peak[c])])
                es.sp[c, 0] = 0
            if es.su[c, 0] != 0:
                on = int(es.su[c, 1])
                off = _sustained_end(es, c)
                if off - on >= min_n:
                    self.segments.append((c, on, off))
                    self.seg_pending.append((c, on, off))
                es.su[c, 0] = 0
            for k in range(len(ART_NAMES)):
                if es.art[c, k, 0] == 1:
                    self._add_art(k, c, int(es.art[c, k, 1]), int(es.art[c, k, 2]))
                    es.art[c, k, 0] = 0
        self.limit = n_total

    # ---------------------------------------------------------- releasing
    def finalize(self, now: int | None, es: EngineState | None = None) -> list[Burst]:
        """Bursts complete at sample ``now`` (None: end of stream); ``es`` is
        the kernel state as of ``now`` (default: the pipeline's current one;
        a copy when the kernel already runs on the next segment)."""
        if not (self.spikes or self.released or self.seg_pending or self.arts or self.pops):
            self.inside = []
            return []
        now = _BIG if now is None else now
        es = self.p._es if es is None else es
        self._es = es
        out: list[Burst] = []
        self._release_spikes(now, es)
        out += self._spike_groups(now, es)
        out += self._sustained_groups(now, es)
        out += self._artifact_groups(now, es)
        out += self._pop_bursts(now)
        # spikes of runs released (or too long for parts) by now: a run of up
        # to parts_max_n is released within hold_n of its end, its onset
        # backdated by at most hold_n
        horizon = now - 2 * self.hold_n - self.parts_max_n
        self.inside = [s for s in self.inside if s[2] >= horizon]
        if len(self.segments) > 64:
            keep_after = now - self.hold_n - 60 * int(self.p.fs)
            self.segments = [s for s in self.segments if s[2] >= keep_after]
        out.sort(key=lambda b: (b.onset_s, b.offset_s))
        return out

    def _release_spikes(self, now: int, es) -> None:
        keep = []
        for s in self.spikes:
            c, on, off = s[0], s[1], s[2]
            if now < off + self.hold_n or (es.su[c, 0] != 0 and es.su[c, 1] <= off):
                keep.append(s)
                continue
            if any(g[0] == c and g[1] <= off and g[2] >= on for g in self.segments):
                # part of a sustained burst; kept in case that is a cluster
                if off - on <= self.spike_max_n:
                    self.inside.append(s)
                continue
            if off - on > self.spike_max_n:
                self.seg_pending.append((c, on, off))
            else:
                self.released.append(s)
        self.spikes = keep

    def _blocked_by_active_spike(self, es, until: int, now: int, short_only: bool) -> bool:
        act = np.flatnonzero(es.sp[:, 0] == 1)
        for c in act:
            on = int(es.sp[c, 1])
            if on <= until and (not short_only or now - on <= self.spike_max_n):
                return True
        return False

    def _chain_end(self, spikes: list[list], i: int) -> int:
        """Last index of the group starting at ``spikes[i]``: spikes (sorted
        by peak) whose peaks lie within ``spike_group_s`` of the first."""
        j = i
        while j + 1 < len(spikes) and spikes[j + 1][3] - spikes[i][3] <= self.group_n:
            j += 1
        return j

    def _spike_groups(self, now: int, es) -> list[Burst]:
        if not self.released:
            return []
        self.released.sort(key=lambda s: (s[3], s[0]))
        out = []
        i = 0
        rel = self.released
        while i < len(rel):
            j = self._chain_end(rel, i)
            last = rel[j][3] + self.group_n
            members = rel[i : j + 1]
            first_on = min(m[1] for m in members)
            last_off = max(m[2] for m in members)
            # a sustained run that opens later has its onset backdated by up
            # to hold_n (the envelope window): only then is near_sustained final
            if now < max(last, last_off + max(self.edge_n, self.background_n)) + self.hold_n or any(
                s[3] <= last and s[2] - s[1] <= self.spike_max_n for s in self.spikes
            ) or self._blocked_by_active_spike(es, last, now, True):
                break
            lo, hi = first_on - self.edge_n, last_off + self.edge_n
            near = self._near_sustained(es, lo, hi)
            here = self._near_sustained(es, lo, hi, chans=frozenset(m[0] for m in members)) if near else False
            if near is None or here is None:
                break  # a run near it is still too short to tell: wait
            context = {
                "near_sustained": 1.0 if near else 0.0,
                "sustained_here": 1.0 if here else 0.0,
                "background_snr": self._background(members, final=True),
            }
            out.append(self._burst("spike", _ranges(members), extra=context))
            i = j + 1
        self.released = rel[i:]
        return out

    def preview(self, wait_n: int) -> list[Burst]:
        """Spikes the kernel closed that no earlier call returned, grouped as
        ``_spike_groups`` groups them, once a member closed at least
        ``wait_n`` samples ago and no channel is still crossing, with
        features from the samples in so far (their final burst comes once
        its context is complete); then every gap in the data (dropout, flat
        line, clipping) not yet released, as far as it is known now."""
        done = self.p._done
        es = self.p._es
        gaps = self._pending_gaps(es, done)
        cand = [s for s in self.spikes + self.released
                if s[2] - s[1] <= self.spike_max_n and (s[0], s[3]) not in self._previewed]
        if not cand:
            return gaps  # the common case, after every live chunk: keep it cheap
        self._es = es
        cand.sort(key=lambda s: (s[3], s[0]))
        shown = sorted(self._previewed.values())
        out = []
        i = 0
        while i < len(cand):
            j = self._chain_end(cand, i)
            members = cand[i : j + 1]
            last = members[-1][3] + self.group_n
            if min(m[2] for m in members) + wait_n > done or self._blocked_by_active_spike(es, last, done, True):
                break  # too recent, or the same discharge is still crossing another channel
            for m in members:
                self._previewed[(m[0], m[3])] = m[3]
            k = bisect_left(shown, members[0][3] - self.group_n)
            if k < len(shown) and shown[k] <= last:
                i = j + 1
                continue  # a late channel of a discharge already shown
            lo = min(m[1] for m in members) - self.edge_n
            hi = max(m[2] for m in members) + self.edge_n
            # as far as known now: an open run counts once it has lasted
            # sustained_min_s (a large spike's own energy opens runs that end
            # shorter and are dropped; counting every open run hid 40 % of
            # the twitches)
            near = self._near_sustained(es, lo, hi, open_n=self.sustained_min_n)
            here = near and self._near_sustained(es, lo, hi, open_n=self.sustained_min_n,
                                                 chans=frozenset(m[0] for m in members))
            context = {
                "near_sustained": 1.0 if near else 0.0,
                "sustained_here": 1.0 if here else 0.0,
                "background_snr": self._background(members),
            }
            out.append(self._burst("spike", _ranges(members), extra=context))
            i = j + 1
        if len(self._previewed) > 4096:
            oldest = min(s[3] for s in self.spikes + self.released) if (self.spikes or self.released) else _BIG
            self._previewed = {k: v for k, v in self._previewed.items() if v >= oldest}
        return out + gaps

    def _background(self, members, final: bool = False) -> float:
        """Level around a spike over the noise floor: the median block RMS of
        ``PREVIEW_BACKGROUND_S`` before it and the blocks after it so far
        (``final``: the ``PREVIEW_BACKGROUND_S`` after it, over the floor at
        its onset, so the value does not depend on when it is asked), the
        largest over its channels. ~1 at rest; a contraction starting lifts
        the blocks after its first units' spikes, and a cramp's crosstalk
        the blocks around them."""
        p = self.p
        bn = p.block_n
        on = min(m[1] for m in members) // bn
        off = -(-max(m[2] for m in members) // bn)
        n_pre = max(1, round(PREVIEW_BACKGROUND_S * p.fs / bn))
        chans = np.array(sorted({m[0] for m in members}), dtype=np.int64)
        if final:
            nh, _ = p._noise_hist.get(on, on + 1)
            nz = nh[0] if nh.shape[0] else p._es.noise
        else:
            nz = self._es.noise
        ring = p._ms_hist
        post_end = off + 1 + n_pre if final else ring.end
        return _median_level(ring.buf, ring.capacity, ring.start, ring.end,
                             on - n_pre, on, off + 1, post_end, chans, np.asarray(nz, dtype=np.float64))

    def _pending_gaps(self, es, done: int) -> list[Burst]:
        # Featureless: they only tell a preview that samples around it were
        # missing or stuck (filters ring where samples return).
        p = self.p
        runs = [(ART_NAMES[k], c, on, off) for k, c, on, off in self.arts if k in _GAP_CODES]
        if es.art[:, _GAP_LO:_GAP_HI, 0].any():
            for k in _GAP_CODES:
                for c in np.flatnonzero(es.art[:, k, 0] == 1):
                    runs.append((ART_NAMES[k], int(c), int(es.art[c, k, 1]), done))
        if p._rail_open:
            runs += [("clipping", c, run[0], run[1]) for c, run in p._rail_open.items()]
        return [Burst((p.channels[c],), p.time_of(on), p.time_of(max(on, off)), 0.0, "artifact", kind,
                      self._gap_features(kind, [(on, off)]))
                for kind, c, on, off in runs]

    def _gap_features(self, kind: str, runs: list[tuple[int, int]]) -> dict[str, float]:
        """``bridged`` for a dropout: 1.0 when the filters carried on through
        every run of it (``DetectorConfig.dropout_hold_s``), so they did not
        restart and ring where the samples came back."""
        if kind != "dropout":
            return {}
        return {"bridged": float(all(off - on <= self.bridge_n for on, off in runs))}

    def _near_sustained(self, es, lo: int, hi: int, open_n: int | None = None,
                        chans: frozenset[int] | None = None) -> bool | None:
        """Is a sustained run of at least ``long_n`` samples, on any channel
        (or one of ``chans``), within sample range [lo, hi]? ``None`` while
        an open run there is still shorter: the answer must not depend on
        when we ask (chunking). With ``open_n`` (a preview's question: what
        is known now), an open run counts from ``open_n`` samples and the
        answer is never ``None``."""
        for c, on, off in self.segments:
            if off - on >= self.long_n and on <= hi and off >= lo and (chans is None or c in chans):
                return True
        undecided = False
        for c in np.flatnonzero(es.su[:, 0] != 0):
            if chans is not None and int(c) not in chans:
                continue
            on = int(es.su[c, 1])
            if on > hi:
                continue
            last = _sustained_end(es, int(c))
            if last >= lo and last - on >= (self.long_n if open_n is None else open_n):
                return True
            # Too short yet, or paused before the window (it may resume
            # within the merge gap): decided only once the run resolves.
            undecided = True
        return None if undecided and open_n is None else False

    def _sustained_groups(self, now: int, es) -> list[Burst]:
        if not self.seg_pending:
            return []
        segs = sorted(self.seg_pending, key=lambda s: (s[1], s[0]))
        out = []
        i = 0
        while i < len(segs):
            g_off = segs[i][2]
            j = i
            while j + 1 < len(segs) and segs[j + 1][1] <= g_off:
                j += 1
                g_off = max(g_off, segs[j][2])
            busy = (es.su[:, 0] != 0) & (es.su[:, 1] <= g_off)
            group = segs[i : j + 1]
            short = g_off - min(s[1] for s in group) <= self.parts_max_n
            if (
                now < g_off + self.hold_n
                or busy.any()
                or any(s[1] <= g_off and s[2] - s[1] > self.spike_max_n for s in self.spikes)
                # a short run waits for the spikes inside it: they are its parts
                or (short and any(self._inside(s, group) for s in self.spikes))
                or self._blocked_by_active_spike(es, g_off, now, False)
            ):
                break
            b = self._burst("sustained", group)
            if short:
                b = self._with_parts(b, group)
            out.append(b)
            i = j + 1
        self.seg_pending = segs[i:]
        return out

    @staticmethod
    def _inside(spike: list, segs: list[tuple[int, int, int]]) -> bool:
        return any(c == spike[0] and on <= spike[2] and off >= spike[1] for c, on, off in segs)

    def _with_parts(self, b: Burst, segs: list[tuple[int, int, int]]) -> Burst:
        """``b`` with the spikes dropped inside its runs ``segs`` as parts."""
        mine, rest = [], []
        for s in self.inside:
            (mine if self._inside(s, segs) else rest).append(s)
        self.inside = rest
        if not mine:
            return b
        mine.sort(key=lambda s: (s[3], s[0]))
        parts = []
        i = 0
        while i < len(mine):
            j = self._chain_end(mine, i)
            # no near_sustained feature: a part's own run is its parent
            parts.append(self._burst("spike", _ranges(mine[i : j + 1])))
            i = j + 1
        return replace(b, parts=tuple(parts))

    def _artifact_groups(self, now: int, es) -> list[Burst]:
        if not self.arts:
            return []
        out = []
        rest = []
        for k, name in enumerate(ART_NAMES):
            items = sorted((a for a in self.arts if a[0] == k), key=lambda a: (a[2], a[1]))
            i = 0
            while i < len(items):
                g_off = items[i][3]
                j = i
                while j + 1 < len(items) and items[j + 1][2] <= g_off:
                    j += 1
                    g_off = max(g_off, items[j][3])
                busy = (es.art[:, k, 0] == 1) & (es.art[:, k, 1] <= g_off)
                # the features read raw samples up to ~0.125 s past a brief
                # burst (``_burst``): they must all be in, whatever the chunking
                wait = self.p.block_n + self.raw_pad_n
                if k == _CLIPPING:
                    # a flat run that goes on from this clipping joins it
                    # (``_add_art``): wait until one would have begun
                    wait += self._art_merge_n + self.p.block_n
                    for ch in {a[1] for a in items[i : j + 1]}:
                        if es.art[ch, _FLAT, 0] == 1 and self._clip_goes_on(ch, int(es.art[ch, _FLAT, 1])):
                            busy[ch] = True
                    for ch, run in self.p._rail_open.items():  # rail samples still coming in
                        if run[0] <= g_off:
                            busy[ch] = True
                if now < g_off + wait or busy.any():
                    rest += items[i:]
                    break
                group = items[i : j + 1]
                gap = self._gap_features(name, [(a[2], a[3]) for a in group])
                out.append(self._burst("artifact", [(a[1], a[2], a[3]) for a in group], name, extra=gap))
                i = j + 1
        self.arts = rest
        return out

    def _pop_bursts(self, now: int) -> list[Burst]:
        out = []
        keep = []
        win = 2 * self.p.block_n
        for c, idx, step in self.pops:
            if now < idx + max(3 * self.p.block_n, self.pop_n + self.p.block_n):  # whole interval seen
                keep.append((c, idx, step))
                continue
            if any(o[0] != c and abs(o[1] - idx) <= win for o in self.pop_seen):
                continue  # several channels jumped: motion, not a pop
            if not self._level_shift(c, idx, step):
                continue  # a big sample jump inside EMG (low fs), not a step
            out.append(self._burst("artifact", [(c, idx, idx + self.pop_n)], "pop"))
        self.pops = keep
        return out

    def _level_shift(self, c: int, idx: int, step: float) -> bool:
        """Median raw level over >= 50 ms after the jump differs from the one
        before by at least ``pop_level_frac`` of the jump (the kernel's check
        uses one mains period, a handful of samples at 125-250 Hz)."""
        p = self.p
        n = max(6, round(0.05 * p.fs))
        raw, a = p._raw_ring.get(idx - n, idx + n)
        col = raw[:, c]
        before = col[: max(idx - a, 0)]
        after = col[max(idx - a, 0) :]
        before = before[np.isfinite(before)]
        after = after[np.isfinite(after)]
        if before.size < 2 or after.size < 2:
            return True  # not enough context: keep the kernel's decision
        shift = abs(float(np.median(after)) - float(np.median(before)))
        # A step has one big jump; strong EMG at 125-250 Hz has many.
        jumps = np.abs(np.diff(col[np.isfinite(col)].astype(np.float64)))
        second = np.sort(jumps)[-2] if jumps.size >= 2 else 0.0
        return shift >= p.config.pop_level_frac * step and second <= 0.5 * step

    # ------------------------------------------------------------ building
    def _burst(self, kind: str, members: list[tuple[int, int, int]], artifact: str = "",
               extra: dict[str, float] | None = None) -> Burst:
        """A Burst of ``members`` ((channel, on, off) sample ranges) with its
        measured features, and ``extra`` ones its caller knows (context)."""
        p = self.p
        fs = p.fs
        # Spikes and sustained runs are found in the filtered signal, which
        # lags the recording by the band-pass's delay; artefact flags come
        # from the raw samples and are where they are.
        found = kind != "artifact"
        at = p.found_time_of if found else p.time_of
        lim = min(self.limit, p._done)
        onset = min(m[1] for m in members)
        offset = max(min(max(m[2] for m in members), lim), onset)
        chans = sorted({m[0] for m in members})
        # A burst's last ring_s seconds (history_s for block envelopes),
        # counted from its offset, not from wherever the rings end now.
        lo = max(onset, offset - p._ring_n)
        y, y0 = p._y_ring.get(lo, max(offset, lo + 1))
        b_on = onset // p.block_n
        b_off = -(-offset // p.block_n)
        # the noise floor as the burst began (or history_s before its end)
        b_nz = max(b_on, b_off - p._hist_blocks)
        nh, _ = p._noise_hist.get(b_nz, b_nz + 1)
        noise = nh[0] if nh.shape[0] else self._es.noise
        if y.shape[0]:
            amax, msq = member_stats(y, np.asarray(chans, dtype=np.int64))
            peak = float(amax.max())
        else:
            amax = np.zeros(len(chans))
            peak = 0.0
        score = {}
        for i, c in enumerate(chans):
            nz = max(float(noise[c]), 1e-12)
            if kind != "sustained" or not y.shape[0]:
                score[c] = float(amax[i]) / nz
            else:
                score[c] = math.sqrt(float(msq[i])) / nz
        chans.sort(key=lambda c: -score[c])
        s = chans[0]
        half = max(int(0.125 * fs), (offset - onset) // 2)
        mid = (onset + offset) // 2
        # one sample before the onset, so a jump at the onset is seen
        raw_from = max(min(mid - half, onset - 1), offset - p._ring_n - 1)
        # read from further back for net_ratio, whose baseline lies before a
        # peak at the very onset
        raw_net, net_at = p._raw_ring.get(raw_from - self.net_pad_n, max(mid + half + 1, offset))
        raw_col = raw_net[:, s].astype(np.float64)
        ms = p._ms_hist.get(b_nz, b_off)[0] if kind == "sustained" else raw_net[:0]
        # spike peak times per channel are in time order: count by bisection
        # (hundreds of twitches a minute made this a scan per burst)
        times = self.spike_times[s]
        keep_from = p._done - (p.config.history_s + 60) * fs - p._lag_n  # older ones are forgotten
        cut = bisect_left(times, keep_from)
        if cut > 64 and 2 * cut > len(times):
            del times[:cut]
        span = min(60 * fs, onset)
        n_prior = bisect_left(times, onset) - bisect_left(times, max(onset - 60 * fs, keep_from))
        n_prior = max(n_prior, 0)
        prior = n_prior / (span / fs / 60) if span > 0 else float("nan")
        # how far the floor stands above the lowest it had in the last minutes
        low = p._floor.lowest(b_on - _floor.LOOKBACK_S * fs / p.block_n, b_on, s)
        feats = burst_features(
            kind=kind, onset=onset, offset=offset, members=chans, strongest=s, y=y, y_start=y0,
            raw_wide=raw_col[max(0, raw_from - net_at):],
            blk_ms=ms[:, s] if ms.shape[0] else np.zeros(0), noise_uv=float(noise[s]), others=chans[1:],
            fs=fs, t0=p.time_of(0), block_n=p.block_n, band=p.band, prior_rate=float(prior),
            floor_uv=low, delay_s=p.delay_n / fs if found else 0.0,
            raw_net=raw_col, raw_net_start=net_at,
        )
        if extra:
            feats.update(extra)
        return Burst(
            channels=tuple(p.channels[c] for c in chans),
            onset_s=at(onset),
            offset_s=at(offset),
            peak_uv=peak,
            kind=kind,
            artifact=artifact,
            features=feats,
        )
