"""Decisions that need neighbouring bursts.

* ECG: a brief burst in a regular train (RR 0.4-1.5 s, similar size, same
  channels) is a heartbeat, whatever kind dsp gave it (science.md §1.6); so
  are motion flags that keep a heart rate (a strong ECG's P and T waves,
  ``paced_motion``), which hide only the spikes at their QRS and slow ones.
* Absorption: a spike gets no event of its own when it is part of something
  else: inside an artefact or a contraction, at a contraction's edge, a ripple
  or a split copy of a larger discharge, too dense to be separate twitches, or
  too faint to tell from noise. A brief motion flag on the edge of a big MUAP
  and a "sustained" burst that duplicates a larger spike are dropped likewise.
  Each rule's numbers come from tuning seeds of the simulator (comments).
* Doublets are found in ``classifier._classify`` from the decided twitches.

A burst's context is every burst whose offset lies in
``[burst.offset_s - RETAIN_S, burst.offset_s + HOLD_S]``. The streaming
``Classifier`` holds a burst until it has seen everything up to
``offset_s + HOLD_S`` (bursts arrive in order of their offset, as a detector
emits a burst when it ends), so the offline and the streaming classifier see
the same context and make the same decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from classifier._rules import BEAT_MAX_S, discharge_like, feature, t_peak
from dsp import Burst

#: Heart rates 40-150 bpm give RR 0.4-1.5 s (science.md §1.6, §3.3: HR 50-110).
RR_MIN_S = 0.4
RR_MAX_S = 1.5
#: Successive RR intervals of one train may differ by this fraction of their
#: mean. Resting HRV (SDNN 20-80 ms at RR ~0.8 s) keeps successive differences
#: within a few percent; FPs are Poisson, so chance regular triplets are rare.
RR_TOLERANCE = 0.08
#: A train of only three needs RR intervals within this fraction: at 40-100
#: twitches/min chance triplets within 8 % were common on tuning seeds, and
#: beat-to-beat change at rest is a few percent (RMSSD 20-50 ms at RR ~0.8 s).
#: No ECG beat became a twitch for it; 8 (1 kHz) and 11 (250 Hz) twitches were
#: no longer taken for heartbeats.
RR_TOLERANCE_SHORT = 0.05
#: Beats that make a train a heartbeat whatever its members' spectrum or
#: exact channel set (see ``ecg_train``).
LONG_TRAIN = 5
#: A heartbeat's energy is mostly 5-30 Hz (§1.6): its lf_ratio (energy
#: < 20 Hz over 20-125 Hz) was >= 1 for 95 % of the ECG beats on tuning seeds
#: (median 8), while the twitches taken for beats by their timing had <= 0.4.
#: A burst below this is no heartbeat, however regular its neighbours.
ECG_MIN_LF = 0.5
#: ECG beats on one channel set have near-identical shape and size (§1.6);
#: members of one train must be on exactly the same channels.
AMPLITUDE_RATIO_MAX = 1.6
#: Look-behind/ahead for a train: two RR intervals either side.
WINDOW_S = 2 * RR_MAX_S * (1 + RR_TOLERANCE) + 0.05
#: How long the streaming classifier waits after a burst ends before deciding.
HOLD_S = WINDOW_S + 0.5
#: How far back the context reaches (the longest cramp is ~10 min, §1.2).
RETAIN_S = 900.0
#: A spike this long before to this long after a larger heartbeat on a
#: shared channel is part of it (QRS side lobes, the steep T wave). On tuning
#: seeds a strong-ECG hour of artefact stress (1 kHz) gave 150 false twitches
#: there and twitches at rest 2 in ~6000.
BEAT_PART_BEFORE_S = 0.06
BEAT_PART_AFTER_S = 0.15
#: Longest motion flag that can be one heartbeat's slow waves (P to T wave:
#: ~0.7 s on tuning seeds of ``trunk_ecg``), and how many such flags in a
#: regular train make them a heartbeat (see ``paced_motion``). On one 1 kHz
#: tuning recording (strong ECG) every beat was flagged "motion", and the
#: twitches between the beats were lost inside the flags.
PACED_MOTION_MAX_S = 0.9
PACED_MOTION_BEATS = 4
#: Successive intervals of the flags' onsets may differ by this fraction: the
#: onset is where the P wave crosses the guard, a block (~20 ms) coarse, and
#: the simulator's RR jitter (SDNN up to 80 ms, §3.3) is beat to beat. Three
#: 1 kHz trunk_ecg tuning recordings: 313 / 378 / 430 of 602 flags in trains
#: at 0.08 / 0.15 / 0.25, the same twitch recall at 0.15 and 0.25 (tuning
#: seeds), while the real files' gesture and sleep flags taken for heartbeats
#: went 5 / 11 / 17 (Myo gestures 0 / 0 / 2).
PACED_MOTION_TOLERANCE = 0.15
#: Members share at least this fraction of their channels (of the union) and
#: are within these ratios in size and length. Gestures flag often: on the
#: real Myo gesture file a train test with any shared channel called 62 of
#: 117 motion flags heartbeats, with these limits none (BioAmp file: 8 of 13,
#: now none), while 378 of 602 flags on three 1 kHz trunk_ecg tuning
#: recordings still form trains (a length ratio of 2 kept fewer: a beat's flag
#: splits into P, QRS and T parts as the guard's threshold is crossed or not).
PACED_MOTION_OVERLAP = 0.5
PACED_MOTION_SIZE_RATIO = 2.0
PACED_MOTION_LENGTH_RATIO = 4.0
#: A spike on those slow waves away from the QRS is a twitch only when it is
#: fast (a MUAP: 79-154 zero crossings/s for the 1 kHz tuning twitches there;
#: the T wave's steep parts, noise peaks and the spikes riding on electrode
#: pops 0-66) and clear, at rates from SLOW_WAVE_TWITCH_MIN_FS: at 200-250 Hz
#: the tuning seeds held 1 twitch there against 50 other spikes, many 20-36x
#: noise.
SLOW_WAVE_TWITCH_ZC_HZ = 75.0
SLOW_WAVE_TWITCH_SNR = 8.0
SLOW_WAVE_TWITCH_MIN_FS = 500.0
#: The P wave starts, and the T wave ends, beyond the flag (where the slow
#: wave is under the motion guard's threshold).
SLOW_WAVE_REACH_S = 0.3
#: Spikes on one channel within +-DENSE_HALF_S that make activity too dense to
#: be separate fasciculations: 12 in 4 s is 180/min, above the ~100/min per
#: muscle of the busiest FP recordings (§1.1), while a contraction's units
#: seen as spikes reach several per second.
DENSE_COUNT = 12
DENSE_HALF_S = 2.0
#: Only spikes of similar size count as one activity: a steady background
#: unit (~6 Hz, §1.3 [R42]) must not hide a twitch of another size beside it.
DENSE_SIZE_RATIO = 2.0
#: That background unit itself, near the noise, crosses the threshold on only
#: some of its discharges: faint spikes (under BUSY_FAINT_SNR) need only this
#: many of one size on their channel within +-DENSE_HALF_S. On tuning seeds
#: 1-30 one such unit gave 117 false twitches in 5 minutes of rest_benign;
#: the lower count took twitch precision from 0.930 to 0.944 (1 kHz), 0.883
#: to 0.895 (250 Hz) and 0.868 to 0.877 (200 Hz), for recall -0.3 points.
DENSE_COUNT_FAINT = 7
#: A spike this much smaller than a discharge within +-ECHO_S is its ripple
#: (band-pass and notch filters ring around a large MUAP; seen on tuning seeds
#: as 5-15 % copies up to ~200 ms either side of a big one). A ripple is on the
#: big discharge's own channels, so only a spike whose strongest channel the
#: big one also reached counts (a twitch elsewhere beside a wide discharge is
#: its own event: recall 0.638 -> 0.657 at 1 kHz on tuning seeds, same precision).
#: The filters are causal, so ringing follows the discharge: 300 of 304 copies
#: on tuning seeds came after it, while a third of the true twitches so caught
#: came before; only spikes after a big discharge are taken for its ripple.
ECHO_S = 0.25
ECHO_MIN_S = 0.03
#: 4x, not 5x: on tuning seeds copies 4.5-5x smaller than a twitch 33-67 ms
#: after it (two to four 60 Hz periods: notch ringing) were reported as
#: "doublets", while true second discharges are of the same size (median
#: ratio 1.1, 5th percentile 0.29; §1.1 "same shape").
ECHO_RATIO = 4.0
#: Ringing dies away, so a later copy must be smaller still: the ratio a
#: ripple needs grows as exp((dt - ECHO_MIN_S) / ECHO_DECAY_S). The slowest
#: ringer is the mains notch (Q 30): tau = Q / (pi f) = 0.16 s at 60 Hz.
ECHO_DECAY_S = 0.16
#: ... at sampling rates from ECHO_DECAY_MIN_FS up. On tuning seeds the decay
#: gained recall for little precision at 1 kHz (+0.8 / -0.3 points) and was
#: even at 250 Hz (+0.5 / -0.2), but at 200 Hz (Ganglion) it cost 1.0 point
#: of precision for 0.3 of recall: there a flat ratio is kept.
ECHO_DECAY_MIN_FS = 500.0
#: Spikes within this of a larger one are the same discharge on other channels;
#: up to SAME_DISCHARGE_WIDE_S when the other is SAME_DISCHARGE_RATIO times
#: larger (peak times scatter by several samples at 200-250 Hz, §1.4).
SAME_DISCHARGE_S = 0.010
SAME_DISCHARGE_WIDE_S = 0.025
SAME_DISCHARGE_RATIO = 2.0
#: ... and never less than this many samples: at 200-250 Hz a MUAP is 2-6
#: samples wide, and |y| peaks on different phases of it on different
#: channels (on tuning seeds at 250 Hz one twitch came out as two events, 16 ms
#: = 4 samples apart, 35 times). 4.5 samples: precision +1.0 (250 Hz) and
#: +2.0 (200 Hz) points, recall -0.5 and -0.3; 1 kHz unchanged.
SAME_DISCHARGE_SAMPLES = 4.5
#: A muscle that has produced spikes at this rate for a minute (dsp's
#: prior_spike_rate, per min), is still producing BUSY_COUNT within
#: +-BUSY_HALF_S on all channels, and whose level around the spike (dsp's
#: background_snr) is BUSY_LEVEL above the floor is contracting, not
#: twitching: these spikes are a long cramp's units, whose sustained burst
#: dsp reports only when it ends. Without the level test the rule also took
#: frequent twitches at rest (150-270 a minute over three muscles, quiet
#: between them): 435 true twitches on tuning seeds 1-30 at 1 kHz. The level
#: test and ``REPEAT_COUNT`` together took 1 kHz recall there from 0.756 to
#: 0.792 and precision from 0.923 to 0.930 (250 Hz: 0.705 -> 0.708,
#: 0.881 -> 0.883; 200 Hz: 0.581 -> 0.580, 0.862 -> 0.865).
BUSY_PRIOR_RATE = 150.0
BUSY_COUNT = 40
BUSY_HALF_S = 3.2
BUSY_LEVEL = 1.5
#: A motor unit of a cramp or contraction fires steadily at 6-25 pps
#: (science.md 1.2 [R25]; >= 8 Hz voluntarily [R38]); a fasciculating unit
#: fires at random, at most a doublet at a time (§1.1). A spike whose unit
#: (``same_unit``) discharges REPEAT_COUNT more times within +-REPEAT_HALF_S
#: is one of a steadily firing unit's potentials, however calm the last minute.
REPEAT_HALF_S = 0.5
REPEAT_COUNT = 5
#: Units fire singly while a contraction ramps up or fades below dsp's
#: threshold: spikes this close to a contraction on its channels belong to it.
CONTRACTION_EDGE_S = 0.5
#: Guard flags that mean samples are missing or stuck, and how far their
#: edges reach.
GAP_KINDS = ("dropout", "flat", "clipping")
GAP_EDGE_S = 0.2
#: dsp's near_sustained window and run length (DetectorConfig.context_edge_s,
#: context_sustained_s), to find the run that set the flag.
CONTEXT_EDGE_S = 0.5
CONTEXT_SUSTAINED_S = 1.0
#: dsp's near_sustained flag looks at every channel, but a cramp may hold one
#: part of a muscle while another part twitches (science.md 1.2, 3.2). A
#: spike is judged on its own when no sustained run is on its own channels
#: (dsp's sustained_here), it is clear (QUIET_CLEAR_SNR), and its channels
#: stay under QUIET_BACKGROUND: the level around it (background_snr) times
#: how far the floor has risen (noise_rise; the tracked floor follows a
#: cramp's crosstalk up within seconds, and background_snr sinks back to ~1).
#: On tuning seeds the flag had hidden 37 of the 41 true twitches >= 5x noise
#: at 1 kHz that fired during a cramp on channels it did not reach. Freed,
#: seeds 1-12 (all scenarios): recall 0.764 -> 0.785 at 1 kHz, 0.689 -> 0.700
#: at 250 Hz, 0.556 -> 0.559 at 200 Hz, precision -0.001 / -0.004 / 0; seeds
#: 13-24 (the three cramp scenarios): 0.557 -> 0.619, 0.505 -> 0.538, 0.479
#: -> 0.514, precision +0.002 / +0.009 / +0.014. Levels 1.5 / 1.75 and
#: spikes >= 10x freed less; 3.0, or >= 6x, cost 4-6 points of precision.
#: Without sustained_here, 8 of 28 spikes freed at 1 kHz (seeds 13-24) were
#: false: a cramp's first units on its own channels, before its envelope
#: crossed the threshold.
QUIET_BACKGROUND = 2.0
QUIET_CLEAR_SNR = 8.0
#: A spike starting this soon after samples return, or ending this close to
#: where they stop, is the filters' restart (or the step into the gap) ...
GAP_RESTART_S = 0.03
GAP_STEP_S = 0.01
#: ... and within GAP_EDGE_S of a gap otherwise, a spike is kept only when it
#: stands this far above the noise.
GAP_EDGE_SNR = 7.0
#: dsp bridges short dropouts (DetectorConfig.dropout_hold_s; feature
#: ``bridged``) by repeating the input a whole number of mains periods back,
#: so the filters neither restart nor ring after one; only a spike starting
#: within DROPOUT_RESTART_S of its end is the step back into the data. On 200 Hz tuning seeds (Ganglion, a lost packet every ~2 s) the 0.2 s
#: window above had cost 3.4 points of twitch recall for 1.6 of precision
#: once bridged; 10 ms (2 samples) kept the most true twitches per false one
#: of 0 / 5 / 10 / 20 / 30 ms.
DROPOUT_RESTART_S = 0.01
#: Longest motion flag that can be the edge of one discharge.
EDGE_MAX_S = 0.1
#: ... and its most < 20 Hz energy (lf_ratio): real movement has far more.
EDGE_MAX_LF = 0.5
#: A spike in the first SETTLE_S of a stream is start-up: a board's own
#: filters start from rest and step to the electrode offset (the simulated
#: boards' first samples ramp over ~0.1 s), and on tuning seeds such steps
#: crossed the spike threshold on up to all 8 channels at once.
SETTLE_S = 0.25
#: A spike on a channel whose noise floor stands FLOOR_RISE times above its
#: lowest of the last minutes (dsp's noise_rise), among at least
#: FLOOR_RISE_RATE spikes a minute there, rides on faint ongoing activity: a
#: cramp at 2-3x the noise RMS lifts the floor without crossing the
#: sustained threshold, and only its largest units poke out. On tuning seeds
#: (250 Hz) one such 5-minute cramp gave 200 "twitches" at rise 2.0-3.1,
#: while twitches at rest stayed under 1.9 (99th percentile 1.8). A floor
#: lifted without the spikes is an electrode drying or a noisier room.
FLOOR_RISE = 2.0
FLOOR_RISE_RATE = 30.0
#: A faint spike (under BUSY_FAINT_SNR) alone on one channel whose level
#: around it (dsp's background_snr) is BUSY_BACKGROUND or more above the
#: floor is a unit of faint ongoing activity there, like the floor rule above
#: but within a second: a weak cramp or contraction under the sustained
#: threshold. On tuning seeds 1-24 it took twitch precision from 0.833 to
#: 0.848 at 250 Hz, 0.793 to 0.817 at 200 Hz and 0.932 to 0.936 at 1 kHz,
#: for recall -0.003 / -0.006 / 0; levels 1.2 / 1.5 and 6.5x / 8x slid along
#: the same trade.
BUSY_FAINT_SNR = 7.0
BUSY_BACKGROUND = 1.3
#: Spikes below this peak/noise ratio are not reported: on tuning seeds most
#: of them were noise peaks, weak ECG beats or single units of a nearby
#: contraction, and the accuracy goals are stated for FPs >= 5x noise (§2.1).
FAINT_SNR = 4.5
#: On a single channel nothing corroborates a spike; noise peaks and heartbeat
#: remnants reached 5-6x noise on tuning seeds (more often at 250 Hz).
FAINT_SNR_ONE_CHANNEL = 5.5
#: Second discharge of a doublet follows the first by 10-110 ms ([R4], §1.1).
DOUBLET_MIN_S = 0.010
DOUBLET_MAX_S = 0.110
#: Largest peak ratio of a doublet's two discharges (see ``same_unit``).
DOUBLET_RATIO_MAX = 2.0


def same_site(a: Burst, b: Burst) -> bool:
    """True when two bursts are on the same place: one's strongest channel is in the other."""
    return a.channels[0] in b.channels or b.channels[0] in a.channels


#: A weak cramp breaks up once the tracked noise floor has crept up under it
#: (the quiet moments between its pieces feed the tracker): it then comes as
#: brief low-level bursts about a second apart on the same channels, each of
#: which looks voluntary (short, and it stops at once). On tuning seeds (1-10
#: and 13-24 of the scenarios with contractions; 1 kHz, 250 Hz, 200 Hz) the
#: short bursts called voluntary that were under PIECE_MAX_SNR (mean level)
#: over a floor crept PIECE_FLOOR_RISE or more, with PIECE_COUNT or more
#: such bursts on their channels within +-PIECE_HALF_S, all lay inside true
#: cramps (37, from 3 of 308 cramps, at 2.6-4.1x noise); no true voluntary
#: contraction was among them (a floor rise of 1.2 also took 2 bursts before
#: a cramp began). Such a burst stays voluntary (a piece of a second matches
#: no cramp), but says it may be a cramp breaking up.
PIECE_MAX_S = 3.0
PIECE_MAX_SNR = 4.0
PIECE_FLOOR_RISE = 1.3
PIECE_HALF_S = 3.0
PIECE_COUNT = 2


def weak_pieces(burst: Burst, context: Sequence[Burst]) -> list[Burst]:
    """The other pieces around ``burst`` when it and they look like a weak
    cramp breaking up (see ``PIECE_MAX_S``), else an empty list."""
    if not (_weak_piece(burst) and feature(burst, "noise_rise") >= PIECE_FLOOR_RISE):
        return []
    chans = set(burst.channels)
    near = [
        b for b in context
        if b is not burst and _weak_piece(b) and chans.intersection(b.channels)
        and abs(b.onset_s - burst.onset_s) <= PIECE_HALF_S
    ]
    return near if len(near) >= PIECE_COUNT else []


def _weak_piece(b: Burst) -> bool:
    return b.kind == "sustained" and b.duration_s < PIECE_MAX_S and feature(b, "mean_snr") < PIECE_MAX_SNR


def same_unit(a: Burst, b: Burst) -> bool:
    """Could two discharges be one motor unit's? Same place and a peak within
    ``DOUBLET_RATIO_MAX`` of each other: a unit's potential has one shape, so
    doublets are found by matching a template (science.md 2, [R4]). At tens
    of twitches a minute two units often fire within 110 ms at one site; on
    tuning seeds the size test took the share of doublet tags on true
    doublets from 0.41 / 0.36 / 0.32 to 0.58 / 0.54 / 0.43 (1 kHz / 250 Hz /
    200 Hz), tagging 0.305 / 0.166 / 0.091 of them against 0.326 / 0.171 / 0.112."""
    pa, pb = abs(a.peak_uv), abs(b.peak_uv)
    return same_site(a, b) and pa > 0 and pb > 0 and max(pa, pb) / min(pa, pb) <= DOUBLET_RATIO_MAX


def _similar(a: Burst, b: Burst) -> bool:
    # One heart's beats reach the same electrodes every time (§1.6: same shape
    # on all channels of one side); random twitches of a muscle's several units
    # land on varying channel sets. Requiring the same set cut the twitches
    # taken for ECG at high twitch rates by a half on tuning seeds.
    if set(a.channels) != set(b.channels):
        return False
    pa, pb = abs(a.peak_uv), abs(b.peak_uv)
    if pa <= 0 or pb <= 0:
        return False
    return max(pa, pb) / min(pa, pb) <= AMPLITUDE_RATIO_MAX


def _regular(rr1: float, rr2: float, tol: float = RR_TOLERANCE) -> bool:
    return (
        RR_MIN_S <= rr1 <= RR_MAX_S
        and RR_MIN_S <= rr2 <= RR_MAX_S
        and abs(rr1 - rr2) <= tol * 0.5 * (rr1 + rr2)
    )


def _extend(times: Sequence[float], idx: int, prev: int, step: int, tol: float = RR_TOLERANCE) -> int:
    """Count further beats continuing the train from ``idx`` (coming from ``prev``)."""
    count = 0
    while True:
        rr = abs(times[idx] - times[prev])
        best, best_err = -1, math.inf
        j = idx + step
        while 0 <= j < len(times):
            gap = abs(times[j] - times[idx])
            if gap > RR_MAX_S * (1 + RR_TOLERANCE):
                break
            if _regular(rr, gap, tol) and abs(gap - rr) < best_err:
                best, best_err = j, abs(gap - rr)
            j += step
        if best < 0:
            return count
        count += 1
        prev, idx = idx, best


def beat_like(burst: Burst) -> bool:
    """True for a burst short enough to be one heartbeat: a spike, or a brief sustained or motion/pop burst."""
    if burst.duration_s > BEAT_MAX_S:
        return False
    return burst.kind != "artifact" or burst.artifact in ("motion", "pop", "ecg")


def _qrs_band(burst: Burst) -> bool:
    """False for a burst whose energy is mostly above 20 Hz (a MUAP), which no heartbeat is."""
    lf = burst.features.get("lf_ratio", math.nan)
    try:
        lf = float(lf)
    except (TypeError, ValueError):
        return True
    return not lf < ECG_MIN_LF


def ecg_train(burst: Burst, context: Sequence[Burst], window_s: float = WINDOW_S) -> tuple[int, float]:
    """Length and mean RR (s) of the regular train ``burst`` belongs to, or ``(0, nan)``.

    Members are looked for within ``window_s`` of the burst's peak (a
    preview, which has only the past, looks twice as far back).

    Short trains must pass the strict member tests of ``_strict_train``. A
    long train (``LONG_TRAIN`` beats or more at the tight short-train
    tolerance) is a heartbeat whatever its spectrum and however its channel
    set flickers near threshold: random twitches do not keep a metronome for
    five beats (science.md 1.1, 1.6), while a strong ECG with sharp QRS
    complexes reaches some beats' channel sets only partly.
    """
    n, rr = _strict_train(burst, context, window_s)
    if n >= 3 or not beat_like(burst):
        return n, rr
    n2, rr2 = _train(burst, context, lambda b: _overlapping(burst, b), RR_TOLERANCE_SHORT, window_s)
    return (n2, rr2) if n2 >= LONG_TRAIN else (n, rr)


def _overlapping(a: Burst, b: Burst) -> bool:
    if not set(a.channels) & set(b.channels):
        return False
    pa, pb = abs(a.peak_uv), abs(b.peak_uv)
    return pa > 0 and pb > 0 and max(pa, pb) / min(pa, pb) <= AMPLITUDE_RATIO_MAX


def _strict_train(burst: Burst, context: Sequence[Burst], window_s: float) -> tuple[int, float]:
    """A train is at least three similar brief bursts on the same channels with
    RR intervals in 0.4-1.5 s that differ by at most ``RR_TOLERANCE``
    (science.md §1.6: ECG is periodic, fasciculations are not). One beat may
    reach ``dsp`` as several bursts (a spike, a brief sustained burst, a motion
    flag), so any beat-like burst can be a member.
    """
    if not (beat_like(burst) and _qrs_band(burst)):
        return 0, math.nan
    return _train(burst, context, lambda b: _qrs_band(b) and _similar(burst, b), RR_TOLERANCE, window_s)


def _train(burst: Burst, context: Sequence[Burst], member, tol: float, window_s: float,
           brief=beat_like, when=t_peak) -> tuple[int, float]:
    t0 = when(burst)
    peers = sorted(
        (
            (when(b), b)
            for b in context
            if brief(b)
            and abs(when(b) - t0) <= window_s
            and (b is burst or member(b))
        ),
        key=lambda tb: tb[0],
    )
    times = [t for t, _ in peers]
    if len(times) < 3:
        return 0, math.nan
    me = next(i for i, (_, b) in enumerate(peers) if b is burst)
    best_len, best_rr = 0, math.nan
    # Try every partner spike one RR away on either side, then grow the train
    # both ways; the longest train wins.
    for j in range(len(times)):
        if j == me:
            continue
        rr = abs(times[j] - times[me])
        if not RR_MIN_S <= rr <= RR_MAX_S:
            continue
        lo, hi = (j, me) if j < me else (me, j)
        after = _extend(times, hi, lo, +1, tol)
        before = _extend(times, lo, hi, -1, tol)
        length = 2 + after + before
        if length == 3 and 2 + _extend(times, hi, lo, +1, RR_TOLERANCE_SHORT) + _extend(
            times, lo, hi, -1, RR_TOLERANCE_SHORT
        ) < 3:
            continue
        if length >= 3 and length > best_len:
            best_len, best_rr = length, rr
    return best_len, best_rr


def _onset(burst: Burst) -> float:
    return burst.onset_s


def _slow_wave_flag(burst: Burst) -> bool:
    return burst.kind == "artifact" and burst.artifact == "motion" and burst.duration_s <= PACED_MOTION_MAX_S


def _same_slow_wave(a: Burst, b: Burst) -> bool:
    # One heart's slow waves reach mostly the same electrodes with about the
    # same size and length every beat; movement and gestures vary.
    ca, cb = set(a.channels), set(b.channels)
    if len(ca & cb) < PACED_MOTION_OVERLAP * len(ca | cb):
        return False
    pa, pb = abs(a.peak_uv), abs(b.peak_uv)
    da, db = a.duration_s, b.duration_s
    return (min(pa, pb) > 0 and max(pa, pb) / min(pa, pb) <= PACED_MOTION_SIZE_RATIO
            and min(da, db) > 0 and max(da, db) / min(da, db) <= PACED_MOTION_LENGTH_RATIO)


def paced_motion(burst: Burst, context: Sequence[Burst], window_s: float = WINDOW_S) -> tuple[int, float]:
    """Length and RR interval (s) of the heartbeat train a motion flag belongs to, or ``(0, nan)``.

    A strong ECG's P and T waves lie below the 20 Hz pass band and trip
    dsp's motion guard at every beat (science.md 1.6): a flag of ~0.7 s
    from the P wave to the T wave, with the QRS as its band-passed peak. Such
    flags keep the heart's metronome (``PACED_MOTION_BEATS`` or more in a
    regular train, each shorter than one RR interval); movement does not.
    """
    if not _slow_wave_flag(burst):
        return 0, math.nan
    # Onsets, not peaks: a twitch riding on the slow waves becomes the
    # flag's band-passed peak and moves it, while the slow wave's start stays.
    n, rr = _train(burst, context, lambda b: _same_slow_wave(burst, b), PACED_MOTION_TOLERANCE,
                   window_s, brief=_slow_wave_flag, when=_onset)
    if n >= PACED_MOTION_BEATS and burst.duration_s < rr:
        return n, rr
    return 0, math.nan


def on_slow_wave(burst: Burst, context: Sequence[Burst]) -> bool:
    """True for a fast, clear spike (``fast_on_slow_wave``) within
    ``SLOW_WAVE_REACH_S`` of a heartbeat's slow waves (``paced_motion``) on a
    shared channel: its < 20 Hz energy is the heartbeat's."""
    if not fast_on_slow_wave(burst):
        return False
    t = t_peak(burst)
    chans = set(burst.channels)
    return any(
        b.onset_s - SLOW_WAVE_REACH_S <= t <= b.offset_s + SLOW_WAVE_REACH_S
        and chans.intersection(b.channels)
        and paced_motion(b, context)[0] > 0
        for b in context
        if _slow_wave_flag(b)
    )


def fast_on_slow_wave(burst: Burst) -> bool:
    """True for a spike clear and fast enough to be a twitch on a heartbeat's slow waves.

    Its lf_ratio measures the heartbeat under it, so the waveform's own
    speed (zero crossings) and size decide (see ``SLOW_WAVE_TWITCH_ZC_HZ``).
    """
    zc = burst.features.get("zc_hz", math.nan)
    snr = burst.features.get("peak_snr", math.nan)
    fs = burst.features.get("fs", math.nan)
    return fs >= SLOW_WAVE_TWITCH_MIN_FS and zc >= SLOW_WAVE_TWITCH_ZC_HZ and snr >= SLOW_WAVE_TWITCH_SNR


def contraction_like(burst: Burst) -> bool:
    """True for a sustained burst that looks like a contraction, not discharges or a slow wave."""
    if burst.kind != "sustained" or discharge_like(burst):
        return False
    lf = burst.features.get("lf_ratio", math.nan)
    cv = burst.features.get("env_cv", math.nan)
    return not ((burst.duration_s < 0.5 and lf >= 1.0) or cv >= 0.95)


def larger_twin(burst: Burst, context: Sequence[Burst]) -> Burst | None:
    """A larger spike or single-discharge burst peaking within ``SAME_DISCHARGE_S`` of ``burst``."""
    t = t_peak(burst)
    for b in context:
        if b is burst or not (b.kind == "spike" or discharge_like(b)):
            continue
        if same_discharge(burst, b, abs(t_peak(b) - t)):
            return b
    return None


def same_discharge(burst: Burst, other: Burst, dt: float) -> bool:
    """Is ``other``, peaking ``dt`` s from ``burst``, the same discharge seen larger?"""
    big = abs(other.peak_uv)
    fs = burst.features.get("fs", math.nan)
    near = max(SAME_DISCHARGE_S, SAME_DISCHARGE_SAMPLES / fs) if fs > 0 else SAME_DISCHARGE_S
    return (dt <= near and big > abs(burst.peak_uv)) or (
        dt <= SAME_DISCHARGE_WIDE_S and big >= SAME_DISCHARGE_RATIO * abs(burst.peak_uv)
    )


def steep_edge(burst: Burst) -> bool:
    """True for a brief motion flag with no < 20 Hz energy: the steep edge of a
    motor unit's discharge (inside a contraction, where no spike of its own is
    reported), not movement; ``motion_overlap`` leaves these out too."""
    return (
        burst.kind == "artifact"
        and burst.artifact == "motion"
        and burst.duration_s <= EDGE_MAX_S
        and burst.features.get("lf_ratio", math.nan) < EDGE_MAX_LF
    )


def discharge_edge(burst: Burst, context: Sequence[Burst]) -> Burst | None:
    """For a brief motion flag: the twitch whose steep edge tripped it, or None.

    dsp's motion guard fires for 20-70 ms on the rising edge of a big MUAP at
    200-250 Hz (tuning seeds); real motion lasts 50 ms-1 s and is slow (§1.6).
    """
    if burst.kind != "artifact" or burst.artifact != "motion" or burst.duration_s > EDGE_MAX_S:
        return None
    for b in context:
        if b is burst or not (b.kind == "spike" or discharge_like(b)):
            continue
        snr = b.features.get("peak_snr", math.nan)
        if not snr >= FAINT_SNR:
            continue
        t = t_peak(b)
        if burst.onset_s - 0.02 <= t <= burst.offset_s + 0.03:
            return b
    return None


def _filtered_span(burst: Burst) -> tuple[float, float]:
    """Onset and offset of ``burst`` in the filtered signal, s.

    dsp moves a burst back by the band-pass's delay (feature ``delay_s``) so
    it sits where the activity is in the recording. A filter's response to a
    gap's edge starts at that edge, though, so set against the gaps (which
    come from the raw samples) a spike is placed where the filters saw it.
    """
    lag = burst.features.get("delay_s", 0.0)
    lag = lag if math.isfinite(lag) else 0.0
    return burst.onset_s + lag, burst.offset_s + lag


def _gaps_near(burst: Burst, context: Sequence[Burst]) -> list[Burst]:
    """Data-gap flags (dropout, flat line, clipping) within ``GAP_EDGE_S`` of ``burst``."""
    on, off = _filtered_span(burst)
    return [
        b for b in context
        if b.kind == "artifact"
        and b.artifact in GAP_KINDS
        # A dropout loses every channel; clipping and flat lines only their own.
        and (b.artifact == "dropout" or set(b.channels).intersection(burst.channels))
        and b.onset_s - GAP_EDGE_S <= off
        and on <= b.offset_s + GAP_EDGE_S
    ]


def near_gap(burst: Burst, context: Sequence[Burst]) -> str:
    """Kind of a data gap (dropout, flat line, clipping) within ``GAP_EDGE_S`` of ``burst``, or ``""``.

    Filters ring and steps appear where samples go missing or stick (BLE
    packet loss on Ganglion/Myo, §1.6); on tuning seeds at 200 Hz every brief
    "contraction" and most "twitches" near a dropout were such edges.
    """
    gaps = _gaps_near(burst, context)
    return gaps[0].artifact if gaps else ""


def _clear_on_quiet_channels(burst: Burst) -> bool:
    """True when ``burst`` stands clear on channels of its own that no
    sustained activity reaches: not the crosstalk or the first units of
    activity elsewhere. Unmeasured (NaN or missing) levels are not quiet."""
    f = burst.features
    level = f.get("background_snr", math.nan) * f.get("noise_rise", math.nan)
    return (
        f.get("sustained_here", 1.0) < 1.0
        and level < QUIET_BACKGROUND
        and f.get("peak_snr", math.nan) >= QUIET_CLEAR_SNR
    )


def _near_clusters_only(burst: Burst, context: Sequence[Burst]) -> bool:
    """dsp flagged ``burst`` as near >= 1 s of sustained activity: True when
    the context shows that activity, and all of it near the spike is clusters
    of separate discharges rather than a contraction.

    A contraction still running is not in the context yet, so without a
    visible cause the flag stands (a cramp's units stay absorbed).
    """
    t = t_peak(burst)
    near = [
        b for b in context
        if b.kind == "sustained" and b.onset_s - CONTEXT_EDGE_S <= t <= b.offset_s + CONTEXT_EDGE_S
    ]
    return any(b.duration_s >= CONTEXT_SUSTAINED_S for b in near) and all(discharge_like(b) for b in near)


def gap_edge(burst: Burst, context: Sequence[Burst]) -> str:
    """Kind of a data gap that explains spike ``burst`` away, or ``""``.

    ``near_gap``'s window, narrowed for spikes: filters restart where samples
    return and ring for tens of ms. BLE boards lose a packet every couple of
    seconds (Ganglion, §1.6), so dropping every spike within 0.2 s of a gap lost
    17 % of the twitches at rest on 200 Hz tuning seeds; dsp bridges such
    short dropouts (feature ``bridged``), so next to one only the first
    samples back are unsure (``DROPOUT_RESTART_S``).
    """
    snr = burst.features.get("peak_snr", math.nan)
    on, off = _filtered_span(burst)
    for b in _gaps_near(burst, context):
        after = on - b.offset_s
        before = b.onset_s - off
        if b.features.get("bridged", 0.0) >= 1.0:
            if -GAP_STEP_S <= after <= DROPOUT_RESTART_S + 1e-9:
                return b.artifact
            continue
        if -GAP_STEP_S <= after <= GAP_RESTART_S or -GAP_RESTART_S <= before <= GAP_STEP_S:
            return b.artifact
        if not snr >= GAP_EDGE_SNR:
            return b.artifact
    return ""


def heartbeat_part(burst: Burst, context: Sequence[Burst], window_s: float = WINDOW_S) -> Burst | None:
    """The larger heartbeat that spike ``burst`` is a part of, or None.

    A strong ECG leaves more than its QRS after the 20 Hz high-pass: its side
    lobes and the steep parts of the T wave cross the spike threshold on the
    beat's own channels, tens of ms around the beat (science.md 1.6). The beat
    itself is told by its train (``ecg_train``); a smaller spike within
    ``BEAT_PART_BEFORE_S`` before to ``BEAT_PART_AFTER_S`` after it, on a
    shared channel, is part of it.
    """
    t = t_peak(burst)
    chans = set(burst.channels)
    mine = abs(burst.peak_uv)
    for b in context:
        if b is burst or abs(b.peak_uv) <= mine or not beat_like(b) or not chans.intersection(b.channels):
            continue
        if -BEAT_PART_BEFORE_S <= t - t_peak(b) <= BEAT_PART_AFTER_S and ecg_train(b, context, window_s)[0] >= 3:
            return b
    return None


def echo_ratio(dt_s: float, fs: float) -> float:
    """How many times larger a discharge ``dt_s`` s earlier must be for a
    spike to be its ripple, at sampling rate ``fs`` (Hz)."""
    if not fs >= ECHO_DECAY_MIN_FS:
        return ECHO_RATIO
    return ECHO_RATIO * math.exp(max(dt_s - ECHO_MIN_S, 0.0) / ECHO_DECAY_S)


def absorbed_by(burst: Burst, context: Sequence[Burst]) -> str:
    """Why a spike is part of something else and no event of its own, or ``""``.

    * inside a guard-flagged artefact on a shared channel (the artefact's own
      event covers it);
    * inside a sustained burst (a contracting muscle's units, or crosstalk
      from it, look like single spikes on weaker channels);
    * among ``DENSE_COUNT`` or more spikes on its channel within
      +-``DENSE_HALF_S`` (far denser than fasciculations fire, §1.1);
    * one of a unit's steady discharges (``REPEAT_COUNT``), or of a busy,
      lifted muscle (``BUSY_PRIOR_RATE``).
    """
    gap = gap_edge(burst, context)
    if gap:
        return f"at the edge of a {gap} gap in the data"
    if burst.features.get("start_s", math.inf) < SETTLE_S:
        return f"in the first {SETTLE_S:g} s of the recording, while the board and the filters settle"
    if (
        burst.features.get("near_sustained", 0.0) >= 1.0
        and not _near_clusters_only(burst, context)
        and not _clear_on_quiet_channels(burst)
    ):
        # dsp saw sustained activity (>= 1 s) on some channel within 0.5 s: a
        # cramp's or contraction's units reach neighbouring channels as
        # single spikes, and its first units fire before its envelope crosses
        # threshold (science.md 1.2, 3.2); the long burst is decided minutes
        # later, beyond this classifier's hold, so dsp flags it at once.
        return "part of sustained activity on a nearby channel"
    snr = burst.features.get("peak_snr", math.nan)
    if snr < (FAINT_SNR if len(burst.channels) > 1 else FAINT_SNR_ONE_CHANNEL):
        return f"too faint ({snr:.1f}x noise) to tell from noise or heartbeat pickup"
    rise = burst.features.get("noise_rise", math.nan)
    if rise >= FLOOR_RISE and burst.features.get("prior_spike_rate", 0.0) >= FLOOR_RISE_RATE:
        return (f"on faint ongoing activity: the noise floor of {burst.channels[0]} is {rise:.1f}x its lowest "
                "of the last minutes, with spikes coming steadily")
    busy = burst.features.get("background_snr", math.nan)
    if len(burst.channels) == 1 and snr < BUSY_FAINT_SNR and busy >= BUSY_BACKGROUND:
        return (f"faint ({snr:.1f}x noise) on {burst.channels[0]} while the level around it is {busy:.1f}x "
                "its noise floor: a unit of faint ongoing activity")
    if "peak_snr" in burst.features and not math.isfinite(snr):
        # dsp reports NaN when it could not measure the spike (seen inside
        # long contractions): without a size it cannot be confirmed as a twitch.
        return "not measurable (no peak/noise ratio)"
    t = t_peak(burst)
    chans = set(burst.channels)
    mine = abs(burst.peak_uv)
    dense = 0
    repeats = 0
    for b in context:
        if b is burst:
            dense += 1
            continue
        if b.onset_s <= t <= b.offset_s:
            # A brief motion flag around a clear spike is that spike's own steep
            # edge (``discharge_edge`` drops the flag), not an artefact hiding it:
            # at 250 Hz on tuning seeds 19 twitches were lost between the two.
            if (
                b.kind == "artifact"
                and chans.intersection(b.channels)
                and not (b.artifact == "motion" and b.duration_s <= EDGE_MAX_S and snr >= FAINT_SNR)
            ):
                if paced_motion(b, context)[0] == 0:
                    return f"inside a {b.artifact} artefact on {b.channels[0]}"
                # The slow waves of a heartbeat hide its QRS and the spikes
                # around it, but not a fast, clear twitch elsewhere in them.
                # (The flag's peak is its QRS unless the spike itself is larger.)
                qrs = abs(b.peak_uv) > mine and -BEAT_PART_BEFORE_S <= t - t_peak(b) <= BEAT_PART_AFTER_S
                if qrs or not fast_on_slow_wave(burst):
                    return f"part of a heartbeat on {b.channels[0]}"
            if contraction_like(b):
                return f"part of sustained activity on {', '.join(b.channels)}"
        elif (
            b.onset_s - CONTRACTION_EDGE_S <= t <= b.offset_s + CONTRACTION_EDGE_S
            and contraction_like(b)
            and chans.intersection(b.channels)
        ):
            return f"a unit recruited or released at the edge of the contraction on {', '.join(b.channels)}"
        if not (b.kind == "spike" or discharge_like(b)):
            continue
        for part in b.parts:
            # a discharge-like burst's twitches are judged one by one (Classifier)
            if same_discharge(burst, part, abs(t_peak(part) - t)):
                return f"same discharge as the larger spike on {part.channels[0]}"
        dt = abs(t_peak(b) - t)
        big = abs(b.peak_uv)
        if b.kind == "spike" and dt <= REPEAT_HALF_S and same_unit(burst, b):
            repeats += 1
        if (
            b.kind == "spike"
            and b.channels[0] == burst.channels[0]
            and dt <= DENSE_HALF_S
            and max(big, mine) <= DENSE_SIZE_RATIO * max(min(big, mine), 1e-9)
        ):
            dense += 1
        if same_discharge(burst, b, dt):
            return f"same discharge as the larger spike on {b.channels[0]}"
        if (
            ECHO_MIN_S <= t - t_peak(b) <= ECHO_S
            and big >= echo_ratio(t - t_peak(b), burst.features.get("fs", math.nan)) * abs(burst.peak_uv)
            and burst.channels[0] in b.channels
        ):
            return f"ripple of a larger discharge on {b.channels[0]} {dt * 1000:.0f} ms away"
    if dense >= (DENSE_COUNT_FAINT if snr < BUSY_FAINT_SNR else DENSE_COUNT):
        return f"{dense} spikes within {2 * DENSE_HALF_S:.0f} s on {burst.channels[0]}: part of continuous activity"
    if repeats >= REPEAT_COUNT:
        return (f"its unit fired {repeats} more times within {REPEAT_HALF_S:g} s on {burst.channels[0]}: "
                "a steadily firing unit of a contraction, not a twitch")
    prior = burst.features.get("prior_spike_rate", math.nan)
    if prior >= BUSY_PRIOR_RATE and busy >= BUSY_LEVEL:
        nearby = sum(1 for b in context if b.kind == "spike" and abs(t_peak(b) - t) <= BUSY_HALF_S)
        if nearby >= BUSY_COUNT:
            return (f"{nearby} spikes on all channels within {2 * BUSY_HALF_S:.0f} s after {prior:.0f}/min "
                    "for a minute: units of ongoing activity, not separate twitches")
    return ""


def motion_overlap(burst: Burst, context: Sequence[Burst]) -> bool:
    """True when a motion artefact on a shared channel overlaps ``burst`` in time.

    A brief flag without < 20 Hz energy is not counted: inside contractions at
    200-250 Hz, dsp's motion guard trips on the steep edges of single MUAPs
    (tuning seeds: 92-96 % of the <= 0.1 s flags inside cramps and contractions
    had lf_ratio < 0.5; 80-97 % of the other flags had more), and one such
    flag made a 36 s cramp "voluntary, with movement".
    """
    chans = set(burst.channels)
    return any(
        b.kind == "artifact"
        and b.artifact == "motion"
        and b.onset_s < burst.offset_s
        and b.offset_s > burst.onset_s
        and chans.intersection(b.channels)
        and not steep_edge(b)
        for b in context
    )
