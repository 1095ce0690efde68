"""``DetectorConfig``: every threshold of the dsp pipeline in one frozen value.

Each field states its unit. SNR thresholds are ratios to the tracked noise
floor (RMS of the band-passed signal while no burst is active).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Thresholds and time constants of ``dsp.Pipeline``.

    Parameters
    ----------
    band_low_hz : float
        Band-pass high-pass corner, Hz. 20 Hz after De Luca et al. 2010
        (science.md 1.4, [R44]): motion and baseline noise live below it.
    band_high_hz : float
        Band-pass low-pass corner, Hz; capped at ``0.45 * fs``.
    band_order : int
        Butterworth order passed to ``scipy.signal.butter`` (band-pass, so the
        filter has ``band_order`` second-order sections).
    mains_q : float
        Quality factor of each mains notch (bandwidth = line / Q, Hz).
    mains_detect_s : float
        Seconds of data examined to find the mains frequency when
        ``mains_hz="auto"`` ("first ~2 s", issue 3). Output starts after it.
    mains_line_ratio : float
        A spectral line counts as present when its power exceeds this many
        times the median power of its +-8 Hz neighbourhood.
    block_s : float
        Length of the internal processing block, s. All envelope, noise and
        guard logic runs once per block aligned to absolute sample indices,
        which makes results independent of the caller's chunking.
    noise_init_s : float
        The noise floor starts as the median block RMS of this first span, s.
    noise_rate_per_s : float
        Step of the median tracker in natural-log units per second: the floor
        can follow at most ``exp(rate)`` times per second of quiet signal.
    noise_min_uv : float
        Floor of the noise estimate, µV (avoids dividing by zero on a
        constant channel).
    spike_window_s : float
        Smoothing window of the spike energy, s (about one MUAP phase; at
        least 3 samples, science.md 1.4: an FP is 3-5 samples at 250 Hz).
    spike_on_snr, spike_off_snr : float
        Hysteresis of the spike detector on the smoothed RMS (ratio to noise).
    spike_peak_snr : float
        A spike run is kept only if its peak |y| reaches this many noise RMS
        (energy alone lets broad noise swells through).
    spike_max_s : float
        Longest run reported as a spike, s (a doublet spans up to ~110 ms and
        an ECG QRS 80-120 ms plus the smoothing window, science.md 1.7; ECG
        beats must arrive as spikes so the classifier can judge their
        periodicity). Longer runs are reported as short sustained bursts.
    spike_group_s : float
        Spikes on different channels whose peaks lie within this many seconds
        form one Burst.
    context_edge_s, context_sustained_s : float
        A spike within ``context_edge_s`` of a sustained run of at least
        ``context_sustained_s`` on ANY channel gets feature
        ``near_sustained = 1``: during a cramp or contraction, units of the
        same muscle reach neighbouring channels as isolated spikes, and the
        first units of a cramp's ramp fire before the envelope crosses its
        threshold (science.md 1.2, 3.2: ramps of 0.3-5 s). Spikes are held
        until that is known (at most ``context_edge_s +
        context_sustained_s`` more latency, only while a run is open).
    sustained_window_s : float
        Window of the moving-RMS envelope of the sustained detector, s.
    sustained_on_snr, sustained_off_snr : float
        Envelope hysteresis (ratio to noise).
    sustained_min_s : float
        Shortest sustained burst, s.
    sustained_merge_s : float
        Sustained runs on one channel closer than this are merged, s (a
        low-level cramp fires 6-25 pps per unit and must not fragment,
        science.md 0.2; 0.5 s keeps gym repetitions 0.5-1 s apart separate
        in the simulator).
    parts_max_s : float
        Sustained bursts up to this long carry the spikes dsp found inside
        them on their own channels (``Burst.parts``), s: a cluster of
        separate twitches merges into one envelope run but is counted twitch
        by twitch (the classifier takes spiky runs up to 5 s for clusters,
        ``classifier._rules.SPIKY_CLUSTER_MAX_S``).
    split_min_s, split_dip, split_ratio : float
        One spike run is cut into two discharges when two energy humps lie
        at least ``split_min_s`` apart (s; a MUAP's own phases lie closer),
        the energy between them falls to ``split_dip`` of the smaller hump,
        and the smaller's peak is ``split_ratio`` of the larger's or more
        (a doublet is one unit firing twice; a filter's after-swing is far
        smaller). See ``dsp._split``.
    sustained_merge_duty : float
        ... but only while the candidate has been active (block RMS above the
        off threshold) for at least this fraction of its span: ECG beats
        (0.1 s every ~0.85 s) must not chain into one "sustained" burst.
    flat_ptp_uv : float
        A block whose raw peak-to-peak is at most this is "flat", µV.
    flat_min_s : float
        Shortest flat stretch reported as a "flat" artefact, s.
    clip_run : int
        Identical consecutive samples at the channel's running extreme that
        count as clipping (samples).
    clip_snr : float
        ... and only when that value lies further than this many noise RMS
        from the raw level of the last mains period (a quiet, coarsely
        quantised signal repeats its extreme codes without clipping).
    pop_step_snr : float
        A sample-to-sample jump above this many noise RMS is a pop candidate.
    pop_level_frac : float
        ... confirmed when the raw level after the jump stays shifted by at
        least this fraction of the jump (a MUAP has zero mean, a step not).
    pop_s : float
        Duration reported for a pop (step plus the filter's ringing), s.
    motion_snr : float
        Low-frequency RMS (block means minus a slow baseline) above this many
        noise RMS ...
    motion_ratio : float
        ... and above this times the band-passed RMS flags motion.
    motion_tau_s : float
        Time constant of the slow baseline removed before the motion test, s.
    artifact_merge_s : float
        Artefact intervals of one kind closer than this are merged, s.
    ring_s : float
        Seconds of samples kept for burst features; sample-level features of
        a longer burst use its last ``ring_s`` seconds.
    history_s : float
        Seconds of block envelope history kept (envelope features of
        sustained bursts up to this long are exact).
    dropout_hold_s : float
        Lost samples up to this long are bridged in the filters by repeating
        the input a whole number of mains periods back
        (``dsp.filters.bridge_period``; reported as dropout all the same);
        after a longer gap the filters restart. The hum then runs on through
        the gap and the notches do not ring when the data come back, so a
        BLE board's lost packets of up to 0.25 s leave no false spikes.
    """

    band_low_hz: float = 20.0
    band_high_hz: float = 450.0
    band_order: int = 4
    mains_q: float = 30.0
    mains_detect_s: float = 2.0
    mains_line_ratio: float = 20.0
    block_s: float = 0.025
    noise_init_s: float = 1.0
    noise_rate_per_s: float = 0.15
    noise_min_uv: float = 0.01
    spike_window_s: float = 0.008
    spike_on_snr: float = 2.4
    spike_off_snr: float = 1.4
    spike_peak_snr: float = 4.0
    spike_max_s: float = 0.2
    spike_group_s: float = 0.005
    context_edge_s: float = 0.5
    context_sustained_s: float = 1.0
    sustained_window_s: float = 0.15
    sustained_on_snr: float = 3.0
    sustained_off_snr: float = 2.0
    sustained_min_s: float = 0.3
    sustained_merge_s: float = 0.5
    sustained_merge_duty: float = 0.5
    parts_max_s: float = 5.0
    split_min_s: float = 0.02
    split_dip: float = 0.4
    split_ratio: float = 0.6
    flat_ptp_uv: float = 1e-3
    flat_min_s: float = 0.25
    clip_run: int = 3
    clip_snr: float = 10.0
    pop_step_snr: float = 40.0
    pop_level_frac: float = 0.5
    pop_s: float = 0.3
    motion_snr: float = 10.0
    motion_ratio: float = 2.0
    motion_tau_s: float = 0.25
    artifact_merge_s: float = 0.1
    ring_s: float = 30.0
    history_s: float = 900.0
    dropout_hold_s: float = 0.25

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ValueError(f"DetectorConfig.{f.name} must be a finite number, got {value!r}")
            if value < 0:
                raise ValueError(f"DetectorConfig.{f.name} must be >= 0, got {value!r}")
        if self.spike_off_snr > self.spike_on_snr:
            raise ValueError(
                f"DetectorConfig: spike_off_snr ({self.spike_off_snr}) must not exceed spike_on_snr ({self.spike_on_snr})"
            )
        if self.sustained_off_snr > self.sustained_on_snr:
            raise ValueError(
                "DetectorConfig: sustained_off_snr "
                f"({self.sustained_off_snr}) must not exceed sustained_on_snr ({self.sustained_on_snr})"
            )
        if self.band_order < 1 or self.clip_run < 2 or self.block_s <= 0:
            raise ValueError(
                "DetectorConfig: band_order must be >= 1, clip_run >= 2 and block_s > 0, "
                f"got {self.band_order}, {self.clip_run}, {self.block_s}"
            )
