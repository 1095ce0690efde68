"""The fused per-block kernel: noise floor, spike and sustained detection, guards.

One numba call (``run_blocks``) processes a run of complete blocks of
already-filtered data for a range of channels. Within a channel, blocks and
samples run in order, so the result does not depend on how many blocks one
call gets or which thread takes a channel: the ``Pipeline`` may call it once
per block (live) or once per segment (offline) and the events are identical.

Per channel and per block (``block_n`` samples, aligned to absolute sample
indices):

* spikes: smoothed energy ``e = mean(y^2)`` over ``w`` samples, hysteresis on
  ``e`` against ``(snr * noise)^2``, kept only if the run's peak |y| reaches
  ``spike_peak_snr * noise``; a run is recorded as ``[on, off)`` shifted
  back by ``w // 2`` to centre the causal window on the discharge;
* sustained: moving RMS over ``n_env`` blocks, hysteresis, onset backtracked to
  the first block of the run above the off threshold, offset = end of the last
  block above it, runs closer than ``merge_n`` merged, shorter than ``min_n``
  dropped;
* noise floor: a median tracker on the block RMS (log steps of +-eta), updated
  only on quiet blocks (no burst candidate, no artefact), so a minute-long
  cramp cannot drag it up;
* guards: dropout (non-finite samples), flat (raw peak-to-peak <= flat_ptp),
  clipping (>= clip_run identical samples at the running extreme, further
  than clip_snr noise RMS from the level of the last mains period), motion
  (block-mean minus a slow baseline large against noise and band power), pop
  candidates (a big one-sample jump after which the raw level stays shifted).
"""

from __future__ import annotations

import numba
import numpy as np

# Artefact kind codes used by the kernel (index into ART_NAMES).
ART_NAMES: tuple[str, ...] = ("dropout", "flat", "clipping", "motion")
N_ART = len(ART_NAMES)

# Float parameter slots.
F_SPIKE_ON, F_SPIKE_OFF, F_SUS_ON, F_SUS_OFF, F_FLAT, F_POP, F_POP_LEVEL = 0, 1, 2, 3, 4, 5, 6
F_MOT_SNR, F_MOT_RATIO, F_MOT_ALPHA, F_ETA, F_NOISE_MIN, F_SPIKE_PEAK, F_CLIP_SNR, F_DUTY = 7, 8, 9, 10, 11, 12, 13, 14
N_FP = 15
# Int parameter slots.
I_CLIP_RUN, I_MERGE, I_MIN, I_ART_MERGE, I_SHIFT = 0, 1, 2, 3, 4
N_IP = 5


from dsp._engine_state import (  # noqa: F401
    EngineOutput,
    EngineState,
    alloc_output,
    init_engine_state,
    release_output,
)
from dsp.filters import _sos_rows


@numba.njit(cache=True, nogil=True, inline="always")
def _n_above(ring, filled, level):  # pragma: no cover - compiled
    n = 0
    for k in range(min(filled, ring.shape[0])):
        if ring[k] > level:
            n += 1
    return n


@numba.njit(cache=True, nogil=True, inline="always")
def _put_row(dst, c, src):  # pragma: no cover - compiled
    for k in range(src.shape[0]):
        dst[c, k] = src[k]


@numba.njit(cache=True, nogil=True, inline="always")
def _close_art(ar_rec, c, l_n, l_art, kind):  # pragma: no cover - compiled
    # record channel c's open artefact run of this kind
    m = l_n[2]
    ar_rec[c, m, 0] = kind
    ar_rec[c, m, 1] = l_art[kind, 1]
    ar_rec[c, m, 2] = l_art[kind, 2]
    l_n[2] = m + 1


@numba.njit(cache=True, nogil=True)
def _channel(
    c, raw, y, yc, start, block_n, b_lo, b_hi, fp, ip,
    noise, e_ring, e_pos, e_sum, sp, sp_peak, env_ring, env_pos, su, art, rawst, box, box_pos, ints, counts,
    blk_ms, blk_max, blk_noise, sp_rec, sp_val, sp_n, su_rec, su_n, ar_rec, ar_n, po_rec, po_val, po_n,
):  # pragma: no cover - compiled
    # Blocks b_lo..b_hi of channel ``c`` of ``raw`` and column ``yc`` of
    # ``y`` (its filtered samples). Events are appended to the outputs'
    # records, so a run of blocks may come in several calls.
    n_blocks = b_hi - b_lo
    w = e_ring.shape[1]
    n_env = env_ring.shape[1]
    n_box = box.shape[1]
    clip_run = ip[I_CLIP_RUN]
    merge_n = ip[I_MERGE]
    min_n = ip[I_MIN]
    art_merge = ip[I_ART_MERGE]
    shift = ip[I_SHIFT]
    up = np.exp(fp[F_ETA])
    down = np.exp(-fp[F_ETA])
    # Work on private copies of this channel's state and write them back
    # once: per-block writes into arrays shared by all channels put two
    # threads on the same cache lines (false sharing made 2 threads 7x
    # slower than 1).
    l_noise = noise[c : c + 1].copy()
    l_e_ring = e_ring[c].copy()
    l_e_pos = e_pos[c : c + 1].copy()
    l_e_sum = e_sum[c : c + 1].copy()
    l_sp = sp[c].copy()
    l_sp_peak = sp_peak[c : c + 1].copy()
    l_env_ring = env_ring[c].copy()
    l_env_pos = env_pos[c].copy()
    l_su = su[c].copy()
    l_art = art[c].copy()
    l_raw = rawst[c].copy()
    l_box = box[c].copy()
    l_box_pos = box_pos[c].copy()
    l_ints = ints[c].copy()
    l_counts = counts[c].copy()
    l_ms = np.empty(n_blocks)
    l_max = np.empty(n_blocks)
    l_nz = np.empty(n_blocks)
    l_n = np.empty(4, dtype=np.int64)
    l_n[0] = sp_n[c]
    l_n[1] = su_n[c]
    l_n[2] = ar_n[c]
    l_n[3] = po_n[c]
    for b in range(b_lo, b_hi):
        i0 = b * block_n
        abs0 = start + i0
        blk_end = abs0 + block_n
        nz = l_noise[0]
        thr_on = (fp[F_SPIKE_ON] * nz) ** 2
        thr_off = (fp[F_SPIKE_OFF] * nz) ** 2
        # esum far below thr_on * w (or above thr_off * w) decides without the
        # division; near them the exact e = esum / w does, as always. The
        # 1e-9 margin dwarfs the rounding of these products (~1e-16).
        on_lo = thr_on * w * (1.0 - 1e-9)
        off_hi = thr_off * w * (1.0 + 1e-9)
        sumsq = 0.0
        bmax = 0.0
        nan_cnt = 0
        first_nan = -1
        last_nan = -1
        bmin_raw = np.inf
        bmax_raw = -np.inf
        dmax = 0.0
        dmax_idx = -1
        clip_cnt = 0
        first_clip = -1
        last_clip = -1
        # Per-channel state in locals for the sample loop (keeps it in
        # registers; array writes would alias with the inputs).
        s_act = l_sp[0]
        s_on = l_sp[1]
        s_pki = l_sp[2]
        s_pk = l_sp_peak[0]
        spn = l_n[0]
        spike_touched = s_act == 1
        last = l_raw[0]
        run = l_ints[0]
        rmax = l_raw[1]
        rmin = l_raw[2]
        bsum = l_raw[8]
        bpos = l_box_pos[0]
        bfill = l_box_pos[1]
        ep = l_e_pos[0]
        esum = l_e_sum[0]
        peak_min = fp[F_SPIKE_PEAK] * nz
        clip_dev = fp[F_CLIP_SNR] * nz
        rmax0 = rmax
        rmin0 = rmin
        for k in range(block_n):
            i = i0 + k
            ai = abs0 + k
            xr = np.float64(raw[i, c])
            yv = np.float64(y[i, yc])
            ysq = yv * yv
            sumsq += ysq
            ay = abs(yv)
            bmax = max(bmax, ay)
            # spike energy over the last w samples
            esum += ysq - l_e_ring[ep]
            l_e_ring[ep] = ysq
            ep = ep + 1 if ep + 1 < w else 0
            if not np.isfinite(xr):
                nan_cnt += 1
                if first_nan < 0:
                    first_nan = ai
                last_nan = ai
                last = np.nan
                run = 0
                if s_act == 1:
                    s_act = 0
                    if s_pk >= peak_min:
                        sp_rec[c, spn, 0] = max(s_on - shift, 0)
                        sp_rec[c, spn, 1] = max(ai - shift, sp_rec[c, spn, 0] + 1)
                        sp_rec[c, spn, 2] = s_pki
                        sp_val[c, spn] = s_pk
                        spn += 1
                continue
            # level over the last mains period: a boxcar of one period
            # nulls mains and all its harmonics, so mains is not "motion"
            bsum += xr - l_box[bpos]
            l_box[bpos] = xr
            bpos = bpos + 1 if bpos + 1 < n_box else 0
            if bfill < n_box:
                bfill += 1
            bmin_raw = min(bmin_raw, xr)
            bmax_raw = max(bmax_raw, xr)
            # after a NaN, last is NaN: d is NaN (never > dmax) and xr != last
            d = abs(xr - last)
            if d > dmax:
                dmax = d
                dmax_idx = ai
            run = run + 1 if xr == last else 1
            last = xr
            # a run at the running extreme AND far from the current level:
            # a quantised quiet signal (10-bit Arduino) repeats its few
            # codes, extremes included, without being clipped (the running
            # extremes are the block's joined with those before it)
            if run >= clip_run:
                rmax = max(rmax0, bmax_raw)
                rmin = min(rmin0, bmin_raw)
                if rmax > rmin and (xr == rmax or xr == rmin) and abs(xr - bsum / bfill) > clip_dev:
                    if run == clip_run:
                        clip_cnt += clip_run
                        if first_clip < 0:
                            first_clip = ai - clip_run + 1
                    else:
                        clip_cnt += 1
                    last_clip = ai + 1
            if s_act == 0:
                if esum > on_lo and esum / w > thr_on:
                    s_act = 1
                    s_on = ai
                    s_pki = ai
                    s_pk = ay
                    spike_touched = True
            else:
                if ay > s_pk:
                    s_pk = ay
                    s_pki = ai
                if esum < off_hi and esum / w < thr_off:
                    s_act = 0
                    if s_pk >= peak_min:  # else: energy without a MUAP-sized peak, noise
                        sp_rec[c, spn, 0] = max(s_on - shift, 0)
                        sp_rec[c, spn, 1] = max(ai - shift, sp_rec[c, spn, 0] + 1)
                        sp_rec[c, spn, 2] = s_pki
                        sp_val[c, spn] = s_pk
                        spn += 1
        nfin = block_n - nan_cnt
        rmax = max(rmax0, bmax_raw)
        rmin = min(rmin0, bmin_raw)
        l_sp[0] = s_act
        l_sp[1] = s_on
        l_sp[2] = s_pki
        l_sp_peak[0] = s_pk
        l_n[0] = spn
        l_raw[0] = last
        l_raw[1] = rmax
        l_raw[2] = rmin
        l_raw[8] = bsum
        l_box_pos[0] = bpos
        l_box_pos[1] = bfill
        l_e_pos[0] = ep
        l_e_sum[0] = esum
        l_ints[0] = run
        ms = sumsq / block_n
        l_ms[b - b_lo] = ms
        l_max[b - b_lo] = bmax
        l_nz[b - b_lo] = nz
        l_ints[3] += 1
        # ---- guards ----
        is_flat = nfin > 0 and (bmax_raw - bmin_raw) <= fp[F_FLAT] and clip_cnt == 0
        l_ints[2] = 1 if is_flat else 0
        is_motion = False
        if nan_cnt > 0:
            l_raw[4] = 0.0  # re-seed the motion baseline after a gap
            l_box_pos[0] = 0
            l_box_pos[1] = 0
            l_raw[8] = 0.0
            for k in range(n_box):
                l_box[k] = 0.0
            l_raw[5] = np.nan
            l_ints[1] = -1
        elif nfin > 0:
            mean = l_raw[8] / l_box_pos[1]
            if l_raw[4] == 0.0:
                l_raw[3] = mean
                l_raw[4] = 1.0
            lf = mean - l_raw[3]
            l_raw[3] += fp[F_MOT_ALPHA] * (mean - l_raw[3])
            is_motion = abs(lf) > fp[F_MOT_SNR] * nz and lf * lf > fp[F_MOT_RATIO] * ms
            # pop: jump in the previous block confirmed by a lasting level shift
            if l_ints[1] >= 0:
                if abs(mean - l_raw[7]) >= fp[F_POP_LEVEL] * l_raw[6]:
                    m = l_n[3]
                    po_rec[c, m] = l_ints[1]
                    po_val[c, m] = l_raw[6]
                    l_n[3] = m + 1
                l_ints[1] = -1
            if dmax > fp[F_POP] * nz and np.isfinite(l_raw[5]):
                l_ints[1] = dmax_idx
                l_raw[6] = dmax
                l_raw[7] = l_raw[5]
            l_raw[5] = mean
        l_counts[0] += clip_cnt
        l_counts[1] += block_n if is_flat else 0
        l_counts[2] += nan_cnt
        for kind in range(4):
            if kind == 0:
                flag = nan_cnt > 0
                k_on = first_nan
                k_off = last_nan + 1
            elif kind == 1:
                flag = is_flat
                k_on = abs0
                k_off = blk_end
            elif kind == 2:
                flag = clip_cnt > 0
                k_on = first_clip if first_clip >= 0 else abs0
                k_off = last_clip
            else:
                flag = is_motion
                k_on = abs0
                k_off = blk_end
            if flag:
                if l_art[kind, 0] == 1 and k_on - l_art[kind, 2] <= art_merge:
                    l_art[kind, 2] = max(k_off, l_art[kind, 2])
                else:
                    if l_art[kind, 0] == 1:
                        _close_art(ar_rec, c, l_n, l_art, kind)
                    l_art[kind, 0] = 1
                    l_art[kind, 1] = k_on
                    l_art[kind, 2] = k_off
            elif l_art[kind, 0] == 1 and blk_end - l_art[kind, 2] > art_merge:
                _close_art(ar_rec, c, l_n, l_art, kind)
                l_art[kind, 0] = 0
        # ---- sustained detector ----
        pos = l_env_pos[0]
        l_env_ring[pos] = ms
        l_env_pos[0] = pos + 1 if pos + 1 < n_env else 0
        if l_env_pos[1] < n_env:
            l_env_pos[1] += 1
        env = np.sqrt(l_env_ring.sum() / n_env)
        on_thr = fp[F_SUS_ON] * nz
        off_thr = fp[F_SUS_OFF] * nz
        valid = nan_cnt == 0 and not is_flat
        state = l_su[0]
        if state == 1:
            if ms > off_thr * off_thr:
                l_su[3] = blk_end
                l_su[4] += 1
            if env < off_thr or not valid:
                l_su[0] = 2
                l_su[2] = l_su[3]
        elif valid and env > on_thr and _n_above(l_env_ring, l_env_pos[1], off_thr * off_thr) * 2 >= n_env:
            # At least half the window's blocks are active: an isolated
            # spike (1-2 blocks) raises the envelope but must not open a
            # sustained candidate, which would hold the spike back.
            # backtrack to the first block of the run above the off threshold
            onset = blk_end
            filled = l_env_pos[1]
            for k in range(filled):
                idx = pos - k
                if idx < 0:
                    idx += n_env
                if l_env_ring[idx] > off_thr * off_thr:
                    onset = blk_end - (k + 1) * block_n
                else:
                    break
            if onset == blk_end:
                onset = abs0
            n_bt = (blk_end - onset) // block_n
            # Merge only runs that keep the candidate mostly active: a
            # low-level cramp's fragments do, ECG beats (0.1 s every
            # ~0.85 s) do not and stay separate spikes for the classifier.
            if (
                state == 2 and onset - l_su[2] <= merge_n
                and l_su[4] * block_n >= fp[F_DUTY] * (onset - l_su[1])
            ):
                l_su[0] = 1
                l_su[4] += n_bt
            else:
                l_su[4] = n_bt
                if state == 2 and l_su[2] - l_su[1] >= min_n:
                    m = l_n[1]
                    su_rec[c, m, 0] = l_su[1]
                    su_rec[c, m, 1] = l_su[2]
                    l_n[1] = m + 1
                l_su[0] = 1
                l_su[1] = max(onset, l_su[2]) if state == 2 else onset
            l_su[3] = blk_end
        elif state == 2 and blk_end - l_su[2] > merge_n:
            if l_su[2] - l_su[1] >= min_n:
                m = l_n[1]
                su_rec[c, m, 0] = l_su[1]
                su_rec[c, m, 1] = l_su[2]
                l_n[1] = m + 1
            l_su[0] = 0
        # ---- noise floor: median tracker on quiet blocks only ----
        quiet = (
            l_su[0] == 0 and not spike_touched and l_sp[0] == 0 and nan_cnt == 0
            and not is_flat and clip_cnt == 0 and not is_motion
        )
        if quiet:
            nz = nz * up if ms > nz * nz else nz * down
            l_noise[0] = max(nz, fp[F_NOISE_MIN])
    # Written back element by element: an array assignment compiles numpy's
    # broadcast checks and their error messages (seconds of first-run compile).
    noise[c] = l_noise[0]
    _put_row(e_ring, c, l_e_ring)
    e_pos[c] = l_e_pos[0]
    e_sum[c] = l_e_sum[0]
    _put_row(sp, c, l_sp)
    sp_peak[c] = l_sp_peak[0]
    _put_row(env_ring, c, l_env_ring)
    _put_row(env_pos, c, l_env_pos)
    _put_row(su, c, l_su)
    for k in range(l_art.shape[0]):
        for q in range(l_art.shape[1]):
            art[c, k, q] = l_art[k, q]
    _put_row(rawst, c, l_raw)
    _put_row(box, c, l_box)
    _put_row(box_pos, c, l_box_pos)
    _put_row(ints, c, l_ints)
    _put_row(counts, c, l_counts)
    for b in range(n_blocks):
        blk_ms[b_lo + b, c] = l_ms[b]
        blk_max[b_lo + b, c] = l_max[b]
        blk_noise[b_lo + b, c] = l_nz[b]
    sp_n[c] = l_n[0]
    su_n[c] = l_n[1]
    ar_n[c] = l_n[2]
    po_n[c] = l_n[3]


# Rows per tile: all channels of a tile are done before the next tile, so
# each channel's pass reads the tile from this core's L2 (raw and filtered
# rows are channel-interleaved; a channel at a time over a whole
# segment streamed 8x its 1.6 MB from further out, and with the other core
# filtering at the same time detection ran ~1.6x slower).
_TILE_ROWS = 4096


@numba.njit(cache=True, nogil=True)
def run_blocks(
    raw, y, c0, c1, start, block_n, fp, ip,
    noise, e_ring, e_pos, e_sum, sp, sp_peak, env_ring, env_pos, su, art, rawst, box, box_pos, ints, counts,
    blk_ms, blk_max, blk_noise, sp_rec, sp_val, sp_n, su_rec, su_n, ar_rec, ar_n, po_rec, po_val, po_n,
):  # pragma: no cover - compiled
    # Channels c0..c1 of a run of filtered blocks. The GIL is released: the
    # pipeline's threads each take channels of one segment (each channel's
    # state and, with ``alloc_output(by_channel=True)``, its outputs sit in
    # their own rows, so threads on different channels share no cache line
    # while the samples run).
    n_blocks = raw.shape[0] // block_n
    tile = max(1, _TILE_ROWS // block_n)
    for b0 in range(0, n_blocks, tile):
        b1 = min(n_blocks, b0 + tile)
        for c in range(c0, c1):
            _channel(
                c, raw, y, c, start, block_n, b0, b1, fp, ip,
                noise, e_ring, e_pos, e_sum, sp, sp_peak, env_ring, env_pos, su, art, rawst, box, box_pos, ints,
                counts, blk_ms, blk_max, blk_noise, sp_rec, sp_val, sp_n, su_rec, su_n, ar_rec, ar_n, po_rec, po_val,
                po_n,
            )


@numba.njit(cache=True, nogil=True, inline="always")
def _stage_rows(ring, at, rows):  # pragma: no cover - compiled
    # rows as absolute rows at.. of a ring buffer (index modulo its length),
    # as at most two contiguous copies (a modulo per row made this 4x slower)
    cap = ring.shape[0]
    n = rows.shape[0]
    p = at % cap
    first = min(n, cap - p)
    for i in range(first):
        for j in range(rows.shape[1]):
            ring[p + i, j] = rows[i, j]
    for i in range(first, n):
        for j in range(rows.shape[1]):
            ring[i - first, j] = rows[i, j]


@numba.njit(cache=True, nogil=True)
def helper_share(
    x_next, y_next, n_known, sos, zi, zi_unit, pending, gap, hold_n, ring_y, ring_raw, at,
    raw, y, c0, c1, start, block_n, fp, ip,
    noise, e_ring, e_pos, e_sum, sp, sp_peak, env_ring, env_pos, su, art, rawst, box, box_pos, ints, counts,
    blk_ms, blk_max, blk_noise, sp_rec, sp_val, sp_n, su_rec, su_n, ar_rec, ar_n, po_rec, po_val, po_n,
):  # pragma: no cover - compiled
    # A helper thread's share of one offline segment, in ONE call: filter the
    # next segment (rows n_known.. of x_next into y_next), stage this
    # segment's complete blocks in the sample rings, detect channels c0..c1.
    # Any return to Python in between would wait for the GIL, which the
    # pipeline's thread holds while it groups bursts (up to the 5 ms switch
    # interval per wait: with a task per channel two threads were no faster
    # than one).
    if x_next.shape[0] > n_known:
        _sos_rows(
            x_next, n_known, x_next.shape[0], sos, zi, zi_unit, pending, gap, hold_n, y_next, n_known, 0,
            x_next.shape[1], 0,
        )
    n_full = (raw.shape[0] // block_n) * block_n
    _stage_rows(ring_y, at, y[:n_full])
    _stage_rows(ring_raw, at, raw[:n_full])
    run_blocks(
        raw, y, c0, c1, start, block_n, fp, ip,
        noise, e_ring, e_pos, e_sum, sp, sp_peak, env_ring, env_pos, su, art, rawst, box, box_pos, ints, counts,
        blk_ms, blk_max, blk_noise, sp_rec, sp_val, sp_n, su_rec, su_n, ar_rec, ar_n, po_rec, po_val, po_n,
    )
