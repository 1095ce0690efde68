"""State and output buffers of the block kernel (``dsp._engine``), as plain arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp import _buffers

N_ART = 4  # dropout, flat, clipping, motion (``dsp._engine.ART_NAMES``)


@dataclass(slots=True)
class EngineState:
    """Everything the kernel carries from one block to the next (per channel)."""

    noise: np.ndarray  # (C,) µV RMS
    e_ring: np.ndarray  # (C, w) last squares for the spike energy
    e_pos: np.ndarray  # (C,)
    e_sum: np.ndarray  # (C,)
    sp: np.ndarray  # (C, 4) int64: active, on, peak_idx, (unused)
    sp_peak: np.ndarray  # (C,)
    env_ring: np.ndarray  # (C, n_env) block mean squares
    env_pos: np.ndarray  # (C, 2) int64: position, filled
    su: np.ndarray  # (C, 5) int64: state (0 idle, 1 active, 2 closing), on, off, last_above, active blocks
    art: np.ndarray  # (C, N_ART, 3) int64: active, on, off
    raw: np.ndarray  # (C, 9) float64: last, rmax, rmin, base, base_ok, prev_mean, pop_step, pop_prev_mean, box_sum
    box: np.ndarray  # (C, n_box) last raw samples for the mains-free level (one mains period)
    box_pos: np.ndarray  # (C, 2) int64: position, filled
    ints: np.ndarray  # (C, 4) int64: run, pop_pending_idx, last_block_flat, blocks_seen
    counts: np.ndarray  # (C, 3) int64: clipped, flat, dropout samples


def init_engine_state(n_channels: int, w: int, n_env: int, noise: np.ndarray, n_box: int) -> EngineState:
    """Fresh state; ``noise`` is the initial floor per channel (µV); ``n_box``
    samples (one mains period) average the raw level for the motion guard."""
    raw = np.zeros((n_channels, 9))
    raw[:, 0] = np.nan
    raw[:, 1] = -np.inf
    raw[:, 2] = np.inf
    raw[:, 5] = np.nan
    ints = np.zeros((n_channels, 4), dtype=np.int64)
    ints[:, 1] = -1
    return EngineState(
        noise=np.asarray(noise, dtype=np.float64).copy(),
        e_ring=np.zeros((n_channels, w)),
        e_pos=np.zeros(n_channels, dtype=np.int64),
        e_sum=np.zeros(n_channels),
        sp=np.zeros((n_channels, 4), dtype=np.int64),
        sp_peak=np.zeros(n_channels),
        env_ring=np.zeros((n_channels, n_env)),
        env_pos=np.zeros((n_channels, 2), dtype=np.int64),
        su=np.zeros((n_channels, 5), dtype=np.int64),
        art=np.zeros((n_channels, N_ART, 3), dtype=np.int64),
        raw=raw,
        box=np.zeros((n_channels, max(1, n_box))),
        box_pos=np.zeros((n_channels, 2), dtype=np.int64),
        ints=ints,
        counts=np.zeros((n_channels, 3), dtype=np.int64),
    )


@dataclass(slots=True)
class EngineOutput:
    """Events and per-block values of one kernel call (all indices absolute samples)."""

    blk_ms: np.ndarray  # (n_blocks, C) mean square of y, µV²
    blk_max: np.ndarray  # (n_blocks, C) max |y|, µV
    blk_noise: np.ndarray  # (n_blocks, C) noise used in the block, µV
    sp_rec: np.ndarray  # (C, cap, 3) on, off, peak_idx
    sp_val: np.ndarray  # (C, cap) peak |y|
    sp_n: np.ndarray  # (C,)
    su_rec: np.ndarray  # (C, cap, 2) on, off (accepted runs only)
    su_n: np.ndarray
    ar_rec: np.ndarray  # (C, cap, 3) kind, on, off
    ar_n: np.ndarray
    po_rec: np.ndarray  # (C, cap) sample index of the jump
    po_val: np.ndarray  # (C, cap) jump size, µV
    po_n: np.ndarray


def release_output(out: EngineOutput) -> None:
    """Offer ``out``'s spike records (sized for the worst case, megabytes)
    for reuse once nothing reads them (``dsp._buffers``)."""
    _buffers.release(out.sp_rec)
    _buffers.release(out.sp_val)


def alloc_output(n_blocks: int, block_n: int, n_channels: int, by_channel: bool = False) -> EngineOutput:
    """Output buffers for ``n_blocks`` blocks; ``by_channel`` lays the
    per-block arrays out channel by channel (Fortran order), so threads that
    take different channels never write the same cache line."""
    n = n_blocks * block_n
    order = "F" if by_channel else "C"
    cap_sp = n // 2 + 2  # a hysteresis run needs >= 2 samples
    cap_b = n_blocks + 2
    return EngineOutput(
        blk_ms=np.empty((n_blocks, n_channels), order=order),
        blk_max=np.empty((n_blocks, n_channels), order=order),
        blk_noise=np.empty((n_blocks, n_channels), order=order),
        sp_rec=_buffers.empty((n_channels, cap_sp, 3), np.int64),
        sp_val=_buffers.empty((n_channels, cap_sp), np.float64),
        sp_n=np.zeros(n_channels, dtype=np.int64),
        su_rec=np.empty((n_channels, cap_b, 2), dtype=np.int64),
        su_n=np.zeros(n_channels, dtype=np.int64),
        ar_rec=np.empty((n_channels, N_ART * cap_b + 2, 3), dtype=np.int64),
        ar_n=np.zeros(n_channels, dtype=np.int64),
        po_rec=np.empty((n_channels, cap_b), dtype=np.int64),
        po_val=np.empty((n_channels, cap_b)),
        po_n=np.zeros(n_channels, dtype=np.int64),
    )
