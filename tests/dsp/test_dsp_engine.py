"""The fused block kernel against the plain reference, and its split invariance."""

from __future__ import annotations

import itertools

import numpy as np
from dsp_synth import add_spike, add_sustained, noise

from dsp import _engine, design_bandpass, init_filter_state, sos_filter
from dsp._reference import block_stats_reference, spike_runs_reference
from dsp._startup import spike_threshold_scale as _spike_threshold_scale
from dsp.features import lobe_count
from dsp.pipeline import Pipeline

FS = 1000.0


def _run(raw, y, pipe, splits):
    es = _engine.init_engine_state(raw.shape[1], pipe._w, pipe._n_env, np.full(raw.shape[1], 5.0), pipe.block_n)
    outs = []
    bn = pipe.block_n
    edges = [0, *splits, raw.shape[0] // bn]
    for b0, b1 in itertools.pairwise(edges):
        r = np.ascontiguousarray(raw[b0 * bn : b1 * bn])
        yy = np.ascontiguousarray(y[b0 * bn : b1 * bn])
        out = _engine.alloc_output(b1 - b0, bn, raw.shape[1])
        _engine.run_blocks(
            r, yy, 0, r.shape[1], b0 * bn, bn, pipe._fp, pipe._ip,
            es.noise, es.e_ring, es.e_pos, es.e_sum, es.sp, es.sp_peak, es.env_ring, es.env_pos, es.su, es.art,
            es.raw, es.box, es.box_pos, es.ints, es.counts,
            out.blk_ms, out.blk_max, out.blk_noise, out.sp_rec, out.sp_val, out.sp_n, out.su_rec, out.su_n,
            out.ar_rec, out.ar_n, out.po_rec, out.po_val, out.po_n,
        )
        outs.append(out)
    return outs


def _signal():
    x = noise(6000, 2, seed=31)
    for k, t in enumerate(np.arange(0.5, 5.5, 0.37)):
        add_spike(x, FS, t, k % 2, 25.0 + 5 * k)
    add_sustained(x, FS, 2.0, 3.0, 1, 30.0)
    sos = design_bandpass(FS)
    y, _ = sos_filter(x, sos, init_filter_state(sos, 2))
    return x, y


def test_kernel_matches_numpy_reference_for_block_stats_and_spike_runs():
    x, y = _signal()
    pipe = Pipeline(FS, ("a", "b"), mains_hz=None)
    (out,) = _run(x, y, pipe, [])
    ms, mx = block_stats_reference(y, pipe.block_n)
    assert np.allclose(out.blk_ms, ms, rtol=1e-9) and np.allclose(out.blk_max, mx, rtol=1e-6)
    scale = _spike_threshold_scale(pipe.config.spike_on_snr, pipe._w)
    cfg = pipe.config
    ref = spike_runs_reference(
        y, out.blk_noise, pipe.block_n, pipe._w, cfg.spike_on_snr * scale, cfg.spike_off_snr * scale,
        cfg.spike_peak_snr,
    )
    for c in range(2):
        got = [tuple(int(v) for v in out.sp_rec[c, m]) for m in range(out.sp_n[c])]
        assert got == ref[c] and len(got) >= 5


def test_kernel_results_do_not_depend_on_how_blocks_are_split():
    x, y = _signal()
    pipe = Pipeline(FS, ("a", "b"), mains_hz=None)
    (whole,) = _run(x, y, pipe, [])
    parts = _run(x, y, pipe, [1, 2, 37, 100, 101, 190])
    assert np.array_equal(np.vstack([p.blk_ms for p in parts]), whole.blk_ms)
    assert np.array_equal(np.vstack([p.blk_noise for p in parts]), whole.blk_noise)
    for c in range(2):
        got = [tuple(p.sp_rec[c, m]) for p in parts for m in range(p.sp_n[c])]
        assert got == [tuple(whole.sp_rec[c, m]) for m in range(whole.sp_n[c])]
        segs = [tuple(p.su_rec[c, m]) for p in parts for m in range(p.su_n[c])]
        assert segs == [tuple(whole.su_rec[c, m]) for m in range(whole.su_n[c])]


def test_lobe_count_counts_alternating_phases_above_20_percent():
    assert lobe_count(np.array([0.0, 1, 2, 1, -1, -3, -1, 0.1, 2, 0])) == 3
    assert lobe_count(np.array([1.0, 2, -0.1, 3, -2])) == 2  # the tiny lobe does not split
    assert lobe_count(np.zeros(4)) == 0
