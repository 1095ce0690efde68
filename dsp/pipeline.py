"""``Pipeline``: chunks in, completed ``Burst`` objects out (live or offline).

Stages: band-pass (``DetectorConfig.band_low_hz`` to ``min(band_high_hz,
0.45*fs)``), mains comb (lines predicted from fs, science.md 1.6; with
``mains_hz="auto"`` only the lines present in the first
``mains_detect_s`` seconds), then the fused block kernel (``dsp._engine``):
noise floor, spike and sustained detection, artefact guards; then grouping
across channels and features (``dsp._grouping``, ``dsp.features``).

Chunk invariance: the filter is exact on any chunk size, and everything
after it runs once per block of ``round(block_s*fs)`` samples aligned to
absolute sample indices, so any chunking gives the same bursts.

Latency: bursts are returned once complete and no later data can change
them: a spike about ``sustained_window_s + block_s`` after it ends (longer
if a sustained candidate on its channel is still open), a sustained burst
``sustained_merge_s`` after it ends. At the start, output waits for
``noise_init_s`` (and ``mains_detect_s`` with ``mains_hz="auto"``) seconds.

Examples
--------
>>> import numpy as np
>>> from dsp import Chunk, Pipeline
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(0, 5, (3000, 2)).astype(np.float32)
>>> pipe = Pipeline(1000.0, ("a", "b"), mains_hz=None)
>>> bursts = pipe.process(Chunk(x, 1000.0, 0.0, ("a", "b"))) + pipe.flush()
>>> [b.kind for b in bursts]
[]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np

from dsp import _engine, _floor
from dsp._grouping import Grouper
from dsp._ring import Ring
from dsp._startup import (
    initial_noise,
    quantisation_floor,
    spike_threshold_scale,
    warm_start,
    zero_phase_filter,
)
from dsp._threaded import FIRST_SEGMENT_BLOCKS, run_threaded
from dsp._types import Burst, Chunk
from dsp.config import DetectorConfig
from dsp.filters import (
    PARALLEL_MIN,
    bridge_period,
    design_bandpass,
    design_mains_comb,
    detect_mains,
    init_filter_state,
    mains_lines,
    passband_delay_n,
    sos_filter,
)

__all__ = ["Pipeline", "detect_bursts"]

# Offline calls are cut into runs of this many blocks (51.2 s at 25 ms) so the
# kernel's event buffers stay small (a few MB) whatever the input length, yet
# parallel regions are few: on a busy 2-core machine every parallel call can
# wait a scheduler slice for its second thread (128-block runs made the
# 2-thread chain 10x slower than 1 thread).
_SEGMENT_BLOCKS = 2048

# At most this many values (samples x channels) per segment: many channels at
# a high rate get shorter segments (the rings grow by one segment).
_SEGMENT_VALUES = 1 << 22

# Longest a complete burst waits in the grouper before its features are
# computed (merges across channels and with nearby spikes), s; the rings keep
# this much on top of a segment.
_GROUPING_LAG_S = 5.0


_DEFAULT_CONFIG = DetectorConfig()
#: A spike is previewed once this much signal after its end is in, s: a
#: heartbeat's main peak just after a side lobe, or a contraction's rising
#: envelope, is then known. Measured on tuning seeds (1 kHz and 250 Hz):
#: 0 s gave previews 0.89-0.90 right at 0.08-0.10 s median latency, 0.05 s
#: gave 0.91-0.92 right at 0.13-0.14 s (p95 0.21-0.23 s, within 0.25 s).
PREVIEW_WAIT_S = 0.05
_BIG_INDEX = 1 << 62

class Pipeline:
    """Streaming EMG burst detector with explicit, per-instance state.

    Parameters
    ----------
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
        Channel names, in column order of every ``Chunk``.
    mains_hz : float, None or "auto"
        Mains frequency (Hz) to comb out with all its harmonics and aliases;
        None for no comb; "auto" finds 50 or 60 Hz (or none) and the lines
        present from the first ``config.mains_detect_s`` seconds.
    config : DetectorConfig
        Thresholds.
    zero_phase : bool
        Offline mode: filter forward and backward (no phase delay). The whole
        signal must come in ONE ``process`` call (a second call raises
        ``ValueError``); detection is the same as in causal mode.
    rails : (lowest, highest) or None
        The converter's lowest and highest value in the chunks' units, when
        known (a file format or board fixes them), each a number or one per
        channel (a Cyton's gain can differ by channel): every sample there
        is clipping, even a single one. Without them clipping is a run of
        ``config.clip_run`` equal samples at the signal's extreme.
    """

    def __init__(
        self,
        fs: float,
        channels: Sequence[str],
        *,
        mains_hz: float | None | str = "auto",
        config: DetectorConfig = _DEFAULT_CONFIG,
        zero_phase: bool = False,
        rails: tuple[float | Sequence[float], float | Sequence[float]] | None = None,
    ) -> None:
        fs = float(fs)
        if not (math.isfinite(fs) and fs > 0):
            raise ValueError(f"Pipeline: fs must be a positive rate in Hz, got {fs!r}")
        if isinstance(channels, str):
            channels = (channels,)
        self.channels = tuple(str(c) for c in channels)
        if not self.channels:
            raise ValueError("Pipeline: at least one channel name is required")
        if isinstance(mains_hz, str):
            if mains_hz != "auto":
                raise ValueError(f"Pipeline: mains_hz must be a frequency in Hz, None or 'auto', got {mains_hz!r}")
        elif mains_hz is not None and not (float(mains_hz) > 0):
            raise ValueError(f"Pipeline: mains_hz must be a positive frequency in Hz, got {mains_hz!r}")
        if rails is not None:
            rails = _check_rails(rails, len(self.channels))
        if not isinstance(config, DetectorConfig):
            raise TypeError(f"Pipeline: config must be a DetectorConfig, got {type(config).__name__}")
        self.fs = fs
        self.config = cfg = config
        self.zero_phase = bool(zero_phase)
        self.rails = rails
        if rails is not None:
            # rails are stored as scaled floats (UCI Myo: counts x 1e-5): a hair inside counts
            tol = 1e-6 * (rails[1] - rails[0])
            self._rail_at = (rails[0] + tol, rails[1] - tol)
        self._mains_arg = mains_hz
        self.mains_hz: float | None = None if mains_hz in (None, "auto") else float(mains_hz)
        self.mains_lines: tuple[float, ...] = ()
        n_ch = len(self.channels)
        self._bp = design_bandpass(fs, cfg.band_low_hz, cfg.band_high_hz, int(cfg.band_order))
        self.band = (cfg.band_low_hz, min(cfg.band_high_hz, 0.45 * fs))
        #: Samples the causal band-pass delays what it passes (0 when
        #: filtering forward and backward); times of bursts found in the
        #: filtered signal (spikes, sustained runs) are moved back by it so
        #: they fall where the activity is in the recording.
        self.delay_n = 0 if self.zero_phase else passband_delay_n(self._bp, fs, self.band)
        self.block_n = bn = max(4, round(fs * cfg.block_s))
        w = max(3, round(fs * cfg.spike_window_s))
        n_env = max(2, round(cfg.sustained_window_s * fs / bn))
        self._w, self._n_env = w, n_env
        self._ip = np.array(
            [cfg.clip_run, round(cfg.sustained_merge_s * fs), round(cfg.sustained_min_s * fs),
             round(cfg.artifact_merge_s * fs), w // 2],
            dtype=np.int64,
        )
        fp = np.zeros(_engine.N_FP)
        scale = spike_threshold_scale(cfg.spike_on_snr, w)
        fp[_engine.F_SPIKE_ON] = cfg.spike_on_snr * scale
        fp[_engine.F_SPIKE_OFF] = cfg.spike_off_snr * scale
        fp[_engine.F_SPIKE_PEAK] = cfg.spike_peak_snr
        fp[_engine.F_SUS_ON] = cfg.sustained_on_snr
        fp[_engine.F_SUS_OFF] = cfg.sustained_off_snr
        fp[_engine.F_FLAT] = cfg.flat_ptp_uv
        fp[_engine.F_CLIP_SNR] = cfg.clip_snr
        fp[_engine.F_DUTY] = cfg.sustained_merge_duty
        fp[_engine.F_POP] = cfg.pop_step_snr
        fp[_engine.F_POP_LEVEL] = cfg.pop_level_frac
        fp[_engine.F_MOT_SNR] = cfg.motion_snr
        fp[_engine.F_MOT_RATIO] = cfg.motion_ratio
        fp[_engine.F_MOT_ALPHA] = min(1.0, bn / fs / max(cfg.motion_tau_s, 1e-9))
        fp[_engine.F_ETA] = cfg.noise_rate_per_s * bn / fs
        fp[_engine.F_NOISE_MIN] = cfg.noise_min_uv
        self._fp = fp
        n_init = bn * math.ceil(cfg.noise_init_s * fs / bn)
        if mains_hz == "auto":
            n_init = max(n_init, round(cfg.mains_detect_s * fs))
        self._n_init = max(n_init, bn)
        self._pre: list[np.ndarray] = []
        self._pre_n = 0
        self._started = False
        self._finished = False
        self._calls = 0
        self._parallel = False
        self._t0: float | None = None
        self._n_in = 0  # samples received (including NaN rows for lost samples)
        self._tail_raw = np.zeros((0, n_ch), dtype=np.float32)
        self._tail_y = np.zeros((0, n_ch), dtype=np.float32)
        self._sos = self._bp
        self._hold_n = round(cfg.dropout_hold_s * fs)
        self._fstate = init_filter_state(self._bp, n_ch, self._hold_n)
        self._es: _engine.EngineState | None = None
        # Bursts are grouped after a whole segment of blocks has been written,
        # so the rings keep a segment (and the grouper's hold-back) beyond the
        # ring_s / history_s windows the features read: a burst's features
        # then never depend on where a call or a segment ended.
        self._ring_n = int(cfg.ring_s * fs)
        self._hist_blocks = int(cfg.history_s * fs / bn) + 1
        self._seg_blocks = max(FIRST_SEGMENT_BLOCKS, min(_SEGMENT_BLOCKS, _SEGMENT_VALUES // (bn * n_ch)))
        self._lag_n = (self._seg_blocks + 1) * bn + int(_GROUPING_LAG_S * fs)
        self._y_ring = Ring(self._ring_n + self._lag_n, n_ch)
        self._raw_ring = Ring(self._ring_n + self._lag_n, n_ch)
        self._ms_hist = Ring(self._hist_blocks + -(-self._lag_n // bn), n_ch, np.float64)
        self._noise_hist = Ring(self._hist_blocks + -(-self._lag_n // bn), n_ch, np.float64)
        bin_blocks = max(round(_floor.BIN_S * fs / bn), 1)
        # A spike can wait in the grouper as long as a contraction beside it
        # lasts (up to history_s): its look-back must still be held then, or
        # how far ahead the stream had got (chunking) would shape noise_rise.
        keep_s = _floor.LOOKBACK_S + cfg.history_s + self._lag_n / fs
        self._floor = _floor.FloorHistory(bin_blocks, int(keep_s * fs / bn) // bin_blocks + 2, n_ch)
        self._rail_open: dict[int, list[int]] = {}  # per channel, an open run of rail samples [on, off)
        self._rail_n = np.zeros(n_ch, dtype=np.int64)  # samples at the rails so far
        self._grouper = Grouper(self)
        self._out: list[Burst] = []

    # ------------------------------------------------------------------ API
    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def noise_uv(self) -> np.ndarray:
        """Current noise-floor RMS per channel after filtering, µV (NaN before the first block)."""
        if self._es is None:
            return np.full(self.n_channels, np.nan)
        return self._es.noise.copy()

    def ongoing(self) -> list[tuple[str, float, float]]:
        """Sustained activity that has begun and not yet ended, per channel.

        A sustained burst is reported only when it ends (its class depends on
        how it ends), so a live display asks this to say something while a
        cramp is still going on.

        Returns
        -------
        list of (channel, onset_s, active_s)
            Onset on the stream clock and how long the channel has been above
            the sustained threshold since (to the last block above it), s; in
            channel order. Gaps shorter than ``config.sustained_merge_s``
            keep a run open, as in the bursts.
        """
        es = self._es
        if es is None:
            return []
        out = []
        for c in np.flatnonzero(es.su[:, 0] != 0):
            on, last = int(es.su[c, 1]), int(es.su[c, 3])
            out.append((self.channels[c], self.found_time_of(on), max(last - on, 0) / self.fs))
        return out

    @property
    def settled_s(self) -> float:
        """Every burst still to come from ``process``/``flush`` ends at or
        after this time, s on the stream clock (-inf before the first
        burst could be found, inf after ``flush``).

        Bursts come in order of completion, and a spike beside a contraction
        waits until the contraction ends; a consumer that needs all the
        bursts around a time (``classifier.Classifier.feed``) waits until
        this has passed it, so what it decides does not depend on how the
        stream was chunked.
        """
        if self._finished:
            return math.inf
        if self._es is None:
            return -math.inf
        return self.found_time_of(self._grouper.settled_before())

    def preview(self) -> list[Burst]:
        """Spikes found since the last call, before their context is complete.

        A spike's final burst waits ~0.6 s for the activity around it (a
        contraction starting next to it makes it part of that, not a
        twitch). A live display asks this to say "twitch, checking" within
        a fraction of a second (science.md 2.1: a decision within 0.25 s).

        Returns
        -------
        list of Burst
            First the ``kind == "spike"`` bursts that ended at least
            ``PREVIEW_WAIT_S`` ago, each returned once, with features from
            the samples in so far (they may differ a little from the final
            burst's); ``near_sustained`` is 1.0 once a run of sustained
            activity near it has lasted ``config.sustained_min_s``;
            ``background_snr`` is the median block RMS over the 0.15 s
            before the spike and the blocks after it so far, over the noise
            floor (largest over its channels; ~1 at rest). Then the
            gaps in the data (``artifact`` dropout, flat or clipping, without
            features) not yet released by ``process``, as far as known now:
            these come again on every call until released. Final bursts
            still come from ``process``/``flush``. Previews depend on how the
            input is chunked; final bursts do not.
        """
        if self._es is None:
            return []
        return self._grouper.preview(round(PREVIEW_WAIT_S * self.fs))

    def quality(self) -> dict[str, dict[str, float | bool]]:
        """Per-channel signal quality so far.

        Returns
        -------
        dict
            ``{channel: {"noise_uv": µV, "mains_hz": Hz (NaN if none),
            "clipped_s": s, "flat_s": s, "dropout_s": s, "no_signal": bool}}``;
            ``no_signal`` is True when the channel is flat now (for at least
            ``flat_min_s``) or more than half of the processed time was flat
            or lost.
        """
        noise = self.noise_uv
        mains = float(self.mains_hz) if self.mains_hz is not None else float("nan")
        done = max(self._ms_hist.end * self.block_n, 1)
        out: dict[str, dict[str, float | bool]] = {}
        for c, name in enumerate(self.channels):
            if self._es is None:
                counts = np.zeros(3)
                last_flat = False
            else:
                counts = self._es.counts[c]
                # flat now, and for at least flat_min_s (a coarse ADC repeats a code for one block)
                art = self._es.art[c, 1]
                last_flat = bool(self._es.ints[c, 2]) and art[0] == 1 and (
                    self._done - art[1] >= self.config.flat_min_s * self.fs
                )
            flat_s, drop_s = counts[1] / self.fs, counts[2] / self.fs
            out[name] = {
                "noise_uv": float(noise[c]),
                "mains_hz": mains,
                "clipped_s": float((counts[0] + self._rail_n[c]) / self.fs),
                "flat_s": float(flat_s),
                "dropout_s": float(drop_s),
                "no_signal": bool(last_flat or (counts[1] + counts[2]) > 0.5 * done),
            }
        return out

    def process(self, chunk: Chunk) -> list[Burst]:
        """Feed one chunk; return the bursts completed so far, in onset order.

        Bursts come out once complete; across calls they come in order of
        completion (a spike is not held back until a long cramp on another
        channel ends), so sort a collected list by ``onset_s`` if needed.

        Raises
        ------
        ValueError
            If the chunk's rate or channels differ from the pipeline's, after
            ``flush``, or on a second call in ``zero_phase`` mode.
        """
        if not isinstance(chunk, Chunk):
            raise TypeError(f"Pipeline.process: expected a dsp.Chunk, got {type(chunk).__name__}")
        if self._finished:
            raise ValueError("Pipeline.process: the pipeline was flushed; make a new Pipeline for a new stream")
        if abs(chunk.fs - self.fs) > 1e-9 * self.fs:
            raise ValueError(f"Pipeline.process: chunk fs is {chunk.fs} Hz but the pipeline was built for {self.fs} Hz")
        if chunk.channels != self.channels:
            raise ValueError(
                f"Pipeline.process: chunk channels {chunk.channels} differ from the pipeline's {self.channels}"
            )
        if self.zero_phase and self._calls:
            raise ValueError(
                "Pipeline.process: zero_phase=True filters the whole signal at once; pass it in ONE process() "
                "call (use zero_phase=False for streaming)"
            )
        self._calls += 1
        data = chunk.data
        # Threads only for big calls (see PARALLEL_MIN); the engine then runs
        # its segments in parallel even though each one is smaller.
        self._parallel = data.size >= PARALLEL_MIN
        if self._t0 is None:
            self._t0 = chunk.t0
        elif chunk.lost:
            # Keep the time axis: lost samples become NaN rows, reported as dropout.
            data = np.vstack([np.full((chunk.lost, self.n_channels), np.nan, np.float32), data])
        self._n_in += data.shape[0]
        if not self._started:
            self._pre.append(data)
            self._pre_n += data.shape[0]
            if self._pre_n >= self._n_init or self.zero_phase:
                self._start()
        elif data.shape[0]:
            self._run(data, data[:0])
        return self._take()

    def _take(self) -> list[Burst]:
        out, self._out = self._out, []
        out.sort(key=lambda b: (b.onset_s, b.offset_s))
        return out

    def flush(self) -> list[Burst]:
        """Close the stream: process the last partial block, close open bursts, return them."""
        if self._finished:
            return []
        if not self._started:
            if self._pre_n == 0:
                self._finished = True
                return []
            self._start()
        n_total = self._n_in
        rest = self._tail_raw.shape[0]
        if rest:
            pad = self.block_n - rest
            # Reflect the tail (not a constant) so padding cannot look like clipping or a flat line.
            reps = np.resize(np.arange(rest - 1, -1, -1), pad)
            raw = np.vstack([self._tail_raw, self._tail_raw[reps]])
            y = np.vstack([self._tail_y, np.zeros((pad, self.n_channels), np.float32)])
            self._tail_raw = self._tail_raw[:0]
            self._tail_y = self._tail_y[:0]
            self._engine_call(raw, y, self._done)
        self._close_rail_runs(_BIG_INDEX)
        self._grouper.close_open(n_total)
        self._finished = True
        self._out += self._grouper.finalize(None)
        return self._take()

    # ------------------------------------------------------------ internals
    @property
    def _done(self) -> int:
        return self._ms_hist.end * self.block_n

    def time_of(self, index: int) -> float:
        """Seconds on the stream clock of absolute sample ``index``."""
        return float(self._t0 or 0.0) + index / self.fs

    def found_time_of(self, index: int) -> float:
        """Seconds on the stream clock of what the filtered signal shows at
        absolute sample ``index``: ``delay_n`` samples earlier (not before the start)."""
        return self.time_of(max(index - self.delay_n, 0))

    def _start(self) -> None:
        x = np.vstack(self._pre) if len(self._pre) > 1 else self._pre[0]
        self._pre = []
        cfg = self.config
        if self._mains_arg == "auto":
            n_det = round(cfg.mains_detect_s * self.fs)
            self.mains_hz, self.mains_lines = detect_mains(x[:n_det], self.fs, ratio=cfg.mains_line_ratio)
        elif self.mains_hz is not None:
            self.mains_lines = mains_lines(self.mains_hz, self.fs)
        comb = design_mains_comb(self.mains_lines, self.fs, cfg.mains_q)
        self._sos = np.ascontiguousarray(np.vstack([self._bp, comb]))
        self._fstate = init_filter_state(
            self._sos, self.n_channels, self._hold_n, bridge_period(self.fs, self.mains_hz)
        )
        if comb.shape[0] and not self.zero_phase:
            self._warm_comb(x, comb)
        if self.zero_phase:
            y = zero_phase_filter(x, self._sos)
        else:
            # Only the start is filtered here (for the first noise floor);
            # _run filters the rest segment by segment, fused with detection.
            y, _ = sos_filter(np.ascontiguousarray(x[: min(x.shape[0], self._n_init)]), self._sos, self._fstate)
        # One mains period (or one block without mains) for the motion guard's
        # level, and longer than a clip run: the clipping check compares a run
        # with this level, and a box the run fills (3 samples at 200 Hz with
        # 60 Hz mains) would hide the jump onto the rail.
        n_box = round(self.fs / self.mains_hz) if self.mains_hz else self.block_n
        n_box = max(n_box, self.config.clip_run + 1)
        # the noise floor never drops below the ADC's rounding noise
        floor = max(self.config.noise_min_uv, quantisation_floor(x[: self._n_init], self.fs, self.band))
        self._fp[_engine.F_NOISE_MIN] = floor
        noise = initial_noise(x[: y.shape[0]], y, self.fs, self.block_n, self.config, floor)
        self._es = _engine.init_engine_state(self.n_channels, self._w, self._n_env, noise, max(1, n_box))
        self._started = True
        self._run(x, y)

    def _warm_comb(self, x: np.ndarray, comb: np.ndarray) -> None:
        warm_start(self._fstate, self._sos, x, self.fs)

    def _run(self, raw: np.ndarray, y_known: np.ndarray) -> None:
        """Filter and detect ``raw``; ``y_known`` holds the filter output of
        its first rows when already computed (start-up, zero-phase mode)."""
        n_ch = self.n_channels
        threads = numba.get_num_threads() if self._parallel else 1
        if threads > 1 and n_ch > 1:
            run_threaded(self, raw, y_known, threads)
            return
        # one thread (live chunks): filter, then detect
        k = y_known.shape[0]
        if k == 0:
            y_known, _ = sos_filter(raw, self._sos, self._fstate)
        elif k < raw.shape[0]:
            y = np.empty(raw.shape, dtype=np.float32)
            y[:k] = y_known
            sos_filter(raw[k:], self._sos, self._fstate, out=y[k:])
            y_known = y
        self._run_serial(raw, y_known)

    def _run_serial(self, raw: np.ndarray, y: np.ndarray) -> None:
        if self._tail_raw.shape[0]:
            raw = np.vstack([self._tail_raw, raw])
            y = np.vstack([self._tail_y, y])
        bn = self.block_n
        n_blocks = raw.shape[0] // bn
        start = self._done
        for b0 in range(0, n_blocks, self._seg_blocks):
            b1 = min(n_blocks, b0 + self._seg_blocks)
            self._engine_call(raw[b0 * bn : b1 * bn], y[b0 * bn : b1 * bn], start + b0 * bn)
        self._tail_raw = raw[n_blocks * bn :].copy()
        self._tail_y = y[n_blocks * bn :].copy()

    def _es_args(self, out: _engine.EngineOutput) -> tuple[np.ndarray, ...]:
        es = self._es
        return (
            es.noise, es.e_ring, es.e_pos, es.e_sum, es.sp, es.sp_peak, es.env_ring, es.env_pos, es.su, es.art,
            es.raw, es.box, es.box_pos, es.ints, es.counts,
            out.blk_ms, out.blk_max, out.blk_noise, out.sp_rec, out.sp_val, out.sp_n, out.su_rec, out.su_n,
            out.ar_rec, out.ar_n, out.po_rec, out.po_val, out.po_n,
        )

    def _engine_call(self, raw: np.ndarray, y: np.ndarray, start: int) -> None:
        n_blocks = raw.shape[0] // self.block_n
        out = _engine.alloc_output(n_blocks, self.block_n, self.n_channels)
        _engine.run_blocks(
            np.ascontiguousarray(raw), np.ascontiguousarray(y), 0, self.n_channels, start, self.block_n, self._fp, self._ip,
            *self._es_args(out),
        )
        self._after_engine(raw, y, out)

    def _rail_clips(self, raw: np.ndarray, start: int) -> None:
        """Clipping intervals from samples at the known rails, rows of ``raw``
        from absolute sample ``start``. Runs closer than artifact_merge_s
        are one interval (as the kernel's); a run stays open until no later
        sample can extend it, so chunking does not change the intervals."""
        lo, hi = self._rail_at
        merge = int(self._ip[_engine.I_ART_MERGE])
        # one compiled scan first: the live path sees one block at a time,
        # nearly always without a hit, and numpy's small-array calls cost
        # several µs each there
        if _any_at_rails(raw, lo, hi):
            hit = (raw <= lo) | (raw >= hi)  # NaN is no hit
            rows, cols = np.nonzero(hit)
            for c in np.unique(cols):
                idx = rows[cols == c] + start
                self._rail_n[c] += idx.size
                cut = np.flatnonzero(np.diff(idx) > merge)
                for on, off in zip(np.r_[idx[0], idx[cut + 1]], np.r_[idx[cut], idx[-1]] + 1):
                    run = self._rail_open.get(int(c))
                    if run is not None and on - run[1] <= merge:
                        run[1] = max(run[1], int(off))
                        continue
                    if run is not None:
                        self._grouper.add_clipping(int(c), run[0], run[1])
                    self._rail_open[int(c)] = [int(on), int(off)]
        self._close_rail_runs(start + raw.shape[0] - merge - 1)

    def _close_rail_runs(self, before: int) -> None:
        # runs ending before this sample can no longer grow
        for c, run in list(self._rail_open.items()):
            if run[1] <= before:
                self._grouper.add_clipping(c, run[0], run[1])
                del self._rail_open[c]

    def _keep_pending(self, n_next: int, staged: int = 0) -> None:
        """Grow the sample rings so the rows pending bursts read survive the
        next ``n_next`` rows (no helper thread may be staging meanwhile)."""
        need = self._grouper.oldest_needed()
        if need is not None:
            self._y_ring.keep_from(need, n_next, staged)
            self._raw_ring.keep_from(need, n_next, staged)

    def _after_engine(
        self, raw: np.ndarray, y: np.ndarray | None, out: _engine.EngineOutput,
        es: _engine.EngineState | None = None,
    ) -> None:
        if y is None:  # staged by the helper thread (``_engine.helper_share``)
            self._y_ring.commit(raw.shape[0])
            self._raw_ring.commit(raw.shape[0])
        else:
            self._keep_pending(raw.shape[0])
            self._y_ring.write(y)
            self._raw_ring.write(raw)
        if self.rails is not None:
            self._rail_clips(raw, self._done)
        self._ms_hist.write(out.blk_ms)
        self._noise_hist.write(out.blk_noise)
        self._floor.write(out.blk_noise)
        self._grouper.collect(out)
        # Finalise now, while the sample rings still hold these bursts.
        self._out += self._grouper.finalize(self._done, es)


@numba.njit(cache=True, nogil=True)
def _any_at_rails(raw, lo, hi):  # pragma: no cover - compiled
    for i in range(raw.shape[0]):
        for c in range(raw.shape[1]):
            v = raw[i, c]
            if v <= lo[c] or v >= hi[c]:  # NaN compares False
                return True
    return False


def _check_rails(rails: object, n_ch: int) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) as one float64 value per channel, or a ValueError saying what is wrong."""
    try:
        lo_in, hi_in = rails  # type: ignore[misc]
        lo = np.broadcast_to(np.asarray(lo_in, dtype=np.float64), (n_ch,)).copy()
        hi = np.broadcast_to(np.asarray(hi_in, dtype=np.float64), (n_ch,)).copy()
    except (TypeError, ValueError):
        raise ValueError(
            f"Pipeline: rails must be (lowest, highest), each a number or one per channel ({n_ch}), got {rails!r}"
        ) from None
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)):
        raise ValueError(f"Pipeline: rails must be finite, lowest below highest on every channel, got {rails!r}")
    return lo, hi


def detect_bursts(
    data: np.ndarray, fs: float, channels: Sequence[str], **pipeline_kwargs: object
) -> list[Burst]:
    """Bursts of a whole signal: one ``Pipeline.process`` plus ``flush``.

    Parameters
    ----------
    data : array_like, shape (n_samples, n_channels), µV
    fs : float
        Sampling rate, Hz.
    channels : sequence of str
    **pipeline_kwargs
        ``mains_hz``, ``config``, ``zero_phase`` as for ``Pipeline``.

    Returns
    -------
    list of Burst, in onset order; times in s from the first sample.
    """
    chunk = Chunk(np.asarray(data), fs, 0.0, (channels,) if isinstance(channels, str) else tuple(channels))
    pipe = Pipeline(fs, chunk.channels, **pipeline_kwargs)  # type: ignore[arg-type]
    return pipe.process(chunk) + pipe.flush()
