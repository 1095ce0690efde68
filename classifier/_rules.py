"""Per-burst decision rules: what one ``dsp.Burst`` most likely is, and why.

The rules follow the feature matrix of science.md §1.7, built from §1.1
(fasciculations), §1.2 (cramps), §1.3 (voluntary contraction) and §1.6
(artefacts). Each rule returns the class, a confidence in 0..1 and the
evidence in plain words. Context that needs other bursts (ECG periodicity,
doublets, artefact overlap) is decided in ``classifier._context`` and passed
in as arguments, so every rule here is a pure function of its inputs.

Cramp versus voluntary is a sum of log-odds votes, one per feature, so the
evidence can list the votes that carried the decision and the confidence is
low when the votes disagree (a held contraction must not become a confident
cramp, brief of issue 5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

from dsp import Burst, design_bandpass
from dsp.config import DetectorConfig

# --- spikes (science.md §1.1, §1.6) ---------------------------------------
#: lf_ratio above which a brief discharge is mostly < 20 Hz energy: motion,
#: pop decay or ECG (§1.6 "energy < 20 Hz >> energy 20-125 Hz"), not a MUAP.
LF_ARTIFACT = 0.55
#: At 200-250 Hz the device filters cut a MUAP's upper band (§1.4), so a true
#: twitch carries relatively more < 20 Hz energy: on tuning seeds 27 twitches
#: on 1-2 channels had lf_ratio 0.55-1.0, nearly all with >= 30 zero
#: crossings/s (a fast waveform), while the slow deflections with that ratio
#: had 14-25 (two exceptions). There the limit is LF_ARTIFACT_LOW_RATE.
LF_ARTIFACT_LOW_RATE = 1.0
TWITCH_ZC_LOW_RATE = 30.0
#: ... on any number of channels (a twitch reaching 3-5 channels at lf_ratio
#: 0.55-1.0 with >= 30 zero crossings/s had been called "motion on N
#: channels at once": 30 such calls on 200-250 Hz tuning seeds, all on true
#: twitches); and a faster waveform still (>= TWITCH_ZC_FAST crossings/s)
#: may carry up to LF_ARTIFACT_FAST: at lf_ratio 1-2.5 that held two dozen
#: true twitches and 5 other spikes. Twitch recall on tuning seeds 0.677 -> 0.689
#: (250 Hz) and 0.546 -> 0.556 (200 Hz), precision 0.906 -> 0.906 and
#: 0.896 -> 0.894.
TWITCH_ZC_FAST = 45.0
LF_ARTIFACT_FAST = 2.5
#: Largest sample step relative to the noise (step_snr) and to the peak
#: (step_snr / peak_snr) that marks an electrode pop's step edge (§1.6).
POP_STEP_SNR = 25.0
POP_STEP_FRACTION = 0.8
#: A single-channel discharge this far above the noise is beyond any MUAP at
#: the skin (FPs 10-500 µV p-p, §1.1; noise >= ~1 µV RMS, §1.5): a pop.
POP_PEAK_SNR = 150.0
#: No muscle signal at the skin comes near this many times the noise on any
#: number of channels (FPs 10-500 µV p-p, noise >= ~1 µV RMS; twitches and
#: clusters of them reached 250x on tuning seeds): the rail jumps of a lead
#: coming off (15,000-29,000x) had been called "clusters of twitches".
BEYOND_MUSCLE_SNR = 1000.0
#: A one-channel discharge this large with this much < 20 Hz energy is a pop.
POP_BIG_SNR = 100.0
POP_BIG_LF = 0.15
#: A board with a high-pass before its ADC (BioAmp: 72 Hz) turns an electrode
#: pop's step into a jump that decays on one side within milliseconds: no
#: lasting step, little < 20 Hz energy, and the spike rules called 48 of 70
#: such pops twitches (tuning seeds 1-12, 500 Hz). A discharge's phases cancel
#: (dsp's net_ratio near 0); these pops' did not (median 0.74). From
#: POP_NET_MIN_FS up, where a 10-25 ms discharge spans enough samples to show
#: both phases, and from POP_NET_MIN_SNR, where noise no longer tips the
#: balance: at 1 kHz 0.9 % of twitches at 20-40x noise and none above reach
#: POP_NET_RATIO (none of 150 at 500 Hz); at 200 Hz one in ten does at any
#: size, so slower boards are left out.
POP_NET_RATIO = 0.5
POP_NET_MIN_SNR = 20.0
POP_NET_MIN_FS = 400.0
#: A discharge also has a phase of the other sign near its peak, while such a
#: pop has none: dsp's swing_ratio (largest opposite excursion within 8 ms /
#: the peak). Noise adds about 2/snr to a one-sided jump's swing, so the
#: test starts at POP_SWING_MIN_SNR, below the 20x the net area needs. On
#: tuning seeds no one-channel twitch from 8x noise up had less than
#: POP_SWING (1097 at 1 kHz, lowest 0.19; 920 at 500 Hz, lowest 0.17), while
#: 4 of the 17 BioAmp pops the other rules had called twitches did (0-0.12).
POP_SWING = 0.15
POP_SWING_MIN_SNR = 8.0
#: Channels with a correlated discharge that make a low-frequency spike motion.
MOTION_MIN_CHANNELS = 3
#: Surface FP duration is 8-25 ms (§1.1); allow smearing at 200-250 Hz (§1.4).
FP_MAX_DURATION_S = 0.12

# --- sustained activity (§1.2, §1.3) --------------------------------------
#: Voluntary plateaus run up to 30 s plus ramps of up to 2 s each (§3.2), cramps
#: 3 s-10 min with a median near 30 s: length beyond this is cramp evidence.
LONG_S = 36.0
#: Cramps decay over 2-30 s, voluntary contractions stop in 0.2-2 s (§1.2, §1.3).
SLOW_FADE_S = 2.0
#: Envelope CV (100 ms blocks) above which activity switches on and off like
#: repeated movements (§1.2: a cramp's wobble is 10-30 % deep). On tuning
#: seeds short cramps reached 0.64 (90th percentile 0.56), and 0.55 called
#: 4 of 74 at 1 kHz voluntary; voluntary bursts had a 90th percentile of 0.69.
ON_OFF_CV = 0.65
#: Envelope CV of separate spikes with silence between: not a contraction.
SPIKY_CV = 0.95
#: Below this mean-frequency proxy (zero crossings / 2 / duration, Hz) a
#: low-frequency sustained burst is electrode motion (§1.6).
MOTION_MAX_ZC_HZ = 40.0
#: The same at >= 500 Hz, where the pass band (and the zero-crossing rate of
#: muscle activity) reaches higher.
MOTION_MAX_ZC_HZ_WIDE = 60.0
#: Longest cramp fade (science.md §3.2: 2-30 s).
MAX_FADE_S = 30.0
#: Longest "sustained" burst that can be one large MUAP and its envelope tail.
SINGLE_DISCHARGE_S = 0.3
#: A spiky envelope means separate twitches only over a few seconds; longer,
#: it is contractions switching on and off (a fist clenched every 5 s on a
#: real Myo recording came out as a 55 s "cluster of twitches").
SPIKY_CLUSTER_MAX_S = 5.0
#: A cramp does not switch off quickly (science.md 1.3): one that stopped
#: within this many seconds is reported as ambiguous at most.
ABRUPT_STOP_S = 1.0
#: Sustained activity of a few seconds overlaps held voluntary contractions
#: (0.5-30 s) while cramps typically last 10 s-10 min (science.md 1.7): a
#: shorter "cramp" is reported as ambiguous at most.
SHORT_CRAMP_S = 10.0
#: With this many channels or more, how far a contraction spreads is a vote:
#: on at most CONFINED_FRACTION of them it looks confined (cramp), on at least
#: SPREAD_FRACTION like a movement of the limb. Fewer channels say little (on
#: a 4-channel board one muscle's cramp often reaches 3 of them). On tuning
#: seeds (cramp_mix, gym_set, exercise_cramp; 8 channels) short cramps had a
#: median of 3 channels (90th percentile 4), short voluntary sets 6 (10th: 4).
SPREAD_MIN_CHANNELS = 6
CONFINED_FRACTION = 0.5
SPREAD_FRACTION = 0.75
CONFINED_VOTE = 1.2
#: Cramping units' MUAPs are shorter than voluntary ones (lambda x 0.8-0.95,
#: mean power frequency +10-35 %: science.md §1.7 "MPF up", §3.2 [R24, R26]).
#: At >= 500 Hz sampling a burst's zero-crossing rate (zc_hz, a
#: mean-frequency proxy) at or above HIGH_ZC_HZ is cramp evidence, after the
#: noise's own crossings are taken out (``muscle_zc_hz``): on tuning seeds
#: (1 kHz) cramps had medians of 116 (>= 8x noise) and 110 (4-8x), voluntary
#: contractions 99 and 100 (90th percentiles 107 and 108). Uncorrected, noise
#: lifted weak voluntary bursts to 105 (90th percentile 117), so the vote
#: needed 8x noise and missed weak short cramps. Bursts under
#: HIGH_ZC_MIN_SNR get no vote (the correction divides by the signal's
#: power), nor do on-off envelopes (repeated movements). At 200-250 Hz the
#: boards' filters compress the band: there cramps had 66 against 57-61
#: (90th percentile 65), and a real Myo recording of fists at 200 Hz had 59,
#: so no vote.
#: The spectral centroid itself (dsp's ``mpf_hz``) told them apart less well
#: on tuning seeds 1-10 (sustained bursts >= 0.5 s at >= 4x noise in the five
#: scenarios with contractions; area under the ROC curve, cramp against
#: voluntary): 0.915 against 0.932 for ``zc_hz`` at 1 kHz (66 cramps, 263
#: voluntary bursts), 0.793 against 0.817 at 250 Hz (64, 233); so it is
#: reported, and the vote stays on the zero crossings.
HIGH_ZC_HZ = 110.0
HIGH_ZC_MIN_FS = 500.0
HIGH_ZC_MIN_SNR = 4.0
HIGH_ZC_VOTE = 1.0
#: A cramp often starts from low tonic activity that creeps up for 10-60 s
#: (science.md 3.2 prodrome, [R35]; a weak prior, flag F7) and ramps up
#: slowly, while a voluntary contraction recruits its units within a few
#: hundred ms from rest. Either lifts the channel's noise floor before dsp
#: sees the onset: dsp's noise_rise. On tuning seeds (bursts <= 12 s) cramps
#: had a median of 1.31 and voluntary bursts 1.03-1.06 (90th percentile
#: 1.18-1.39). From 1.4 up the vote lifted cramp recall at 250 Hz from 0.845
#: to 0.893 and at 200 Hz from 0.714 to 0.750 (84 cramps each), with no
#: voluntary burst called cramp; at 1.3 one voluntary burst became a cramp.
CREEP_RISE = 1.4
CREEP_VOTE = 0.8
#: A "sustained" burst up to CLUSTER_MAX_S long whose envelope varies this
#: much (CV of 100 ms blocks) is a few twitches close together, not a
#: contraction: on tuning seeds such 0.3-0.75 s bursts at rest held 2-5 truth
#: twitches (CV 0.6-0.93), while every voluntary burst under 1.5 s lasted
#: >= 1 s with CV <= 0.46 (a contraction's interference pattern is smooth, §1.3).
#: On tuning seeds 1-30 the short bursts called voluntary that held true
#: twitches at rest had CV 0.36-0.71 (median 0.53), short cramp and
#: voluntary ones 0.19-0.39 and 0.14-0.34 (10th-90th percentile): 0.5 rather
#: than 0.6 took twitch recall up 0.6 / 0.8 / 1.4 points (1 kHz / 250 / 200 Hz)
#: and voluntary precision up 1.6 / 2.4 / 3.0, with cramp and voluntary
#: recall unchanged.
CLUSTER_MAX_S = 1.0
CLUSTER_CV = 0.5
#: Longest burst that can be one heartbeat (QRS 80-120 ms, §1.6, plus edges).
BEAT_MAX_S = 0.3


@dataclass(frozen=True, slots=True)
class Decision:
    """Outcome of one rule: class, subtype, confidence (0..1) and evidence."""

    trial_type: str
    confidence: float
    evidence: str
    subtype: str = ""


def feature(burst: Burst, name: str) -> float:
    """Return ``burst.features[name]`` as float, NaN when absent or not a number."""
    value = burst.features.get(name, math.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def t_peak(burst: Burst) -> float:
    """Time of the burst's peak in s: ``t_peak_s`` if measured, else the midpoint."""
    t = feature(burst, "t_peak_s")
    return t if math.isfinite(t) else 0.5 * (burst.onset_s + burst.offset_s)


def _fmt_s(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10.0:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s"


def _where(burst: Burst) -> str:
    return ", ".join(burst.channels)


#: What a twitch's evidence says of its neighbours; dropped where it is not
#: known (a preview) or not true (the second discharge of a doublet).
NO_REPETITION = ", no regular repetition"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _beyond_muscle(where: str, snr: float, dur: float) -> Decision:
    return Decision("artifact", 0.9, f"{_fmt_s(dur)} burst on {where} at {snr:.0f}x noise, far beyond any muscle "
                    "signal at the skin: an electrode or lead event", "motion")


def decide_guard(burst: Burst) -> Decision:
    """A burst an artefact guard in ``dsp`` already flagged (clipping, flat, pop ...)."""
    what = {
        "clipping": "signal stuck at the amplifier's limit",
        "flat": "flat line (electrode off or lead broken)",
        "pop": "electrode pop: sudden step on one channel",
        "motion": "slow baseline movement (motion artefact)",
        "dropout": "samples lost in transmission",
        "mains": "mains hum",
        "ecg": "heartbeat (ECG) pickup",
    }.get(burst.artifact, burst.artifact)
    return Decision(
        "artifact", 0.9, f"{what} for {_fmt_s(burst.duration_s)} on {_where(burst)}", burst.artifact
    )


def decide_spike(burst: Burst, *, ecg_beats: int = 0, rr_s: float = math.nan, on_slow_wave: bool = False) -> Decision:
    """Classify a brief discharge: fasciculation, or a pop / motion / ECG artefact.

    Parameters
    ----------
    burst : Burst
        A burst of kind ``"spike"``.
    ecg_beats : int
        Length of the periodic train (same channels, RR 0.4-1.5 s, regular)
        the spike belongs to, 0 if none (found by ``classifier._context``).
    rr_s : float
        Mean RR interval of that train, s.
    on_slow_wave : bool
        The spike rides on a heartbeat's slow waves, so its < 20 Hz energy
        is the heartbeat's and says nothing of its own shape.
    """
    ch = _where(burst)
    dur = burst.duration_s
    snr = feature(burst, "peak_snr")
    lf = feature(burst, "lf_ratio")
    step = feature(burst, "step_snr")
    n_ch = len(burst.channels)
    snr_txt = f", {snr:.0f}x noise" if math.isfinite(snr) else ""
    if ecg_beats >= 3:
        bpm = 60.0 / rr_s if math.isfinite(rr_s) and rr_s > 0 else math.nan
        conf = 0.75 if ecg_beats == 3 else 0.9
        return Decision(
            "artifact",
            conf,
            f"heartbeat (ECG): one of {ecg_beats} regular beats at {bpm:.0f} per minute on {ch}",
            "ecg",
        )
    zc = feature(burst, "zc_hz")
    fs = feature(burst, "fs")
    lf_limit = LF_ARTIFACT
    if fs < 500.0 and zc >= TWITCH_ZC_LOW_RATE:
        lf_limit = LF_ARTIFACT_FAST if zc >= TWITCH_ZC_FAST else LF_ARTIFACT_LOW_RATE
    low_freq = math.isfinite(lf) and lf >= lf_limit
    step_edge = (
        math.isfinite(step)
        and step >= POP_STEP_SNR
        and math.isfinite(snr)
        and snr > 0
        and step / snr >= POP_STEP_FRACTION
    )
    if math.isfinite(snr) and snr >= BEYOND_MUSCLE_SNR:
        return _beyond_muscle(ch, snr, dur)
    huge = math.isfinite(snr) and snr >= POP_PEAK_SNR
    if n_ch == 1 and ((step_edge and (low_freq or huge)) or (huge and low_freq) or pop_like(burst)):
        return Decision(
            "artifact",
            0.8,
            f"electrode pop: sudden step on {ch} only{snr_txt}, slow return",
            "pop",
        )
    one_sided = one_sided_jump(burst, ch, snr_txt)
    if one_sided:
        return Decision("artifact", 0.75, one_sided, "pop")
    if on_slow_wave:
        low_freq = False
    if low_freq and n_ch >= MOTION_MIN_CHANNELS:
        return Decision(
            "artifact",
            0.75,
            f"motion: slow (<20 Hz) deflection on {n_ch} channels at once ({ch})",
            "motion",
        )
    if low_freq:
        # Mostly low-frequency but on 1-2 channels: not a MUAP shape, yet no
        # clear pop step either. Call it motion with modest confidence.
        return Decision(
            "artifact", 0.55, f"slow (<20 Hz) deflection on {ch}, not a twitch shape", "motion"
        )
    width = feature(burst, "width_s")
    phases = feature(burst, "phases")
    if math.isfinite(lf) and lf >= 0.3 and math.isfinite(zc) and zc < 25.0 and math.isfinite(snr) and snr < 8.0:
        # Faint, slow (few zero crossings, a third of its energy < 20 Hz): the
        # remnant of a QRS after the 20 Hz high-pass (ECG energy 5-30 Hz, §1.6),
        # not a MUAP (spectral peak 60-110 Hz, §1.4). Tuning seeds at 250 Hz:
        # removed 15 % of false twitches for 0.4 % of true ones.
        return Decision(
            "artifact", 0.5, f"faint slow wave on {ch}{snr_txt}, like heartbeat pickup, not a twitch shape", "ecg"
        )
    if n_ch == 1 and math.isfinite(phases) and phases <= 1:
        # A one-sided bump on one channel: a MUAP is bi- or triphasic at the
        # skin (§1.1: 2-7 phases), a filtered QRS or baseline wobble is not.
        # On tuning seeds this removed a fifth of the false twitches, no true one.
        return Decision(
            "artifact", 0.45, f"single one-sided bump on {ch}{snr_txt}, like heartbeat pickup, not a twitch shape",
            "ecg",
        )
    shape = []
    if math.isfinite(width):
        shape.append(f"{width * 1000:.0f} ms")
    if math.isfinite(phases) and phases >= 1:
        shape.append({1: "monophasic", 2: "biphasic", 3: "triphasic"}.get(int(phases), "polyphasic"))
    conf = twitch_confidence(snr, feature(burst, "fs"), n_ch)
    notes = []
    if dur > FP_MAX_DURATION_S:
        conf = min(conf, 0.55)
        notes.append(f"longer than a single twitch ({_fmt_s(dur)})")
    desc = " ".join(["single"] + shape + ["spike"]) if shape else "single brief spike"
    text = f"{desc} on {ch}{snr_txt}{NO_REPETITION}"
    if notes:
        text += "; but " + ", ".join(notes)
    return Decision("fasciculation", round(conf, 3), text)


#: How often a twitch call was a true twitch on tuning seeds (simulator seeds
#: 1-12, all scenarios; held-out seeds check it), by the spike's measured
#: peak SNR: (SNR, share) knots, interpolated linearly, for >= 500 Hz and
#: slower boards, one channel and several. Spikes near 5x noise are often
#: noise peaks or heartbeat pickup (at 250 Hz one-channel ones were right a
#: quarter of the time); above 10x a call is right 96-99 % of the time, on
#: however many channels (3+ channels at >= 12x: 0.99, so spreading over
#: channels is no doubt by itself).
TWITCH_PRECISION = {
    (True, False): ((5.5, 0.65), (7.0, 0.83), (10.0, 0.97), (14.0, 0.98)),
    (True, True): ((5.5, 0.35), (7.0, 0.91), (10.0, 0.97), (14.0, 0.99)),
    (False, False): ((5.5, 0.28), (7.0, 0.54), (10.0, 0.90), (14.0, 0.97)),
    (False, True): ((5.5, 0.45), (7.0, 0.84), (10.0, 0.97), (14.0, 0.975)),
}


def twitch_confidence(peak_snr: float, fs: float, n_channels: int) -> float:
    """Confidence of a twitch call: the share of such calls that were true
    twitches on tuning seeds (``TWITCH_PRECISION``); 0.6 without an SNR."""
    if not math.isfinite(peak_snr):
        return 0.6
    knots = TWITCH_PRECISION[(bool(fs >= 500.0), n_channels > 1)]
    xs = [k[0] for k in knots]
    return float(np.interp(peak_snr, xs, [k[1] for k in knots]))


def fade_tail_s(burst: Burst) -> float:
    """Seconds a cramp's fade goes on below dsp's off threshold, estimated from its features.

    The detector ends a burst when its envelope falls to ``sustained_off_snr``
    times the noise, i.e. a signal of sqrt(off² - 1) x noise; a cramp's slow
    fade (2-30 s, science.md §1.2) continues below that. Taking the fade as
    linear in amplitude from the plateau (``mean_snr``) to zero, the part of it
    dsp measured (``fall_s``, from 80 % of the plateau to the offset) gives the
    rest: ``fall_s * a / (0.8 * P - a)``. On tuning seeds this cut the median
    cramp offset error from 0.7 s to 0.2 s; voluntary releases are too quick
    for it to help, so it is used for cramps only.
    """
    fall = feature(burst, "fall_s")
    plateau = feature(burst, "mean_snr")
    if not (math.isfinite(fall) and math.isfinite(plateau)) or fall <= 0:
        return 0.0
    off = DetectorConfig().sustained_off_snr
    a = math.sqrt(max(off * off - 1.0, 0.0))
    return min(fall * a / max(0.8 * plateau - a, 0.5), MAX_FADE_S)


#: Below this plateau SNR the measured fall is too short and noisy to
#: extrapolate its tail from (a 48 s burst at 3.4x noise on a real Myo
#: recording at rest got a 1 s tail from a 0.6 s fall).
FADE_MIN_SNR = 4.0


def fade_s(burst: Burst) -> float:
    """How long a sustained burst took to fade out, s: dsp's ``fall_s`` (80 %
    of the plateau down to its off threshold) plus ``fade_tail_s``, the part
    below that threshold. A weak burst crosses the threshold early in its
    fade, so ``fall_s`` alone made weak cramps look as if they stopped
    abruptly (on tuning seeds, cramp recall at 200 Hz 0.67 -> 0.79 with the
    whole fade, and no voluntary contraction became a cramp)."""
    fall = feature(burst, "fall_s")
    if not math.isfinite(fall):
        return math.nan
    if not feature(burst, "mean_snr") >= FADE_MIN_SNR:
        return fall  # the tail would be extrapolated from a fall barely above the noise
    return fall + fade_tail_s(burst)


def pop_like(burst: Burst) -> bool:
    """A huge one-channel jump carrying low-frequency energy: an electrode pop (§1.6).

    Big MUAPs reached 60-150x noise with lf_ratio <= 0.05 on tuning seeds;
    pops that dsp passed on as spikes or brief "sustained" bursts were
    240-620x with lf_ratio 0.2-0.9 (the step and its slow return).
    """
    snr = feature(burst, "peak_snr")
    lf = feature(burst, "lf_ratio")
    return len(burst.channels) == 1 and snr >= POP_BIG_SNR and lf >= POP_BIG_LF


def one_sided_jump(burst: Burst, where: str, snr_txt: str) -> str:
    """Evidence that a one-channel jump decays on one side (an electrode pop
    through a board's high-pass, not a discharge: see ``POP_NET_RATIO`` and
    ``POP_SWING``), or ``""`` when it does not."""
    if len(burst.channels) != 1 or not feature(burst, "fs") >= POP_NET_MIN_FS:
        return ""
    snr = feature(burst, "peak_snr")
    swing = feature(burst, "swing_ratio")
    if snr >= POP_SWING_MIN_SNR and swing < POP_SWING:
        back = "no swing back the other way (" if swing < 0.01 else (
            f"hardly any swing back the other way (at most {swing:.0%} of its height; ")
        return f"electrode pop: a jump on {where} only{snr_txt}, with {back}a twitch swings both ways)"
    net = feature(burst, "net_ratio")
    if snr >= POP_NET_MIN_SNR and net >= POP_NET_RATIO:
        one_side = (1.0 + net) / 2.0  # net = one side - other, over both
        return (f"electrode pop: a jump on {where} only{snr_txt}, decaying on one side "
                f"({one_side:.0%} of its area on one side; a twitch swings both ways)")
    return ""


def discharge_like(burst: Burst) -> bool:
    """True for a sustained burst that is really one large discharge or a cluster of them.

    dsp reports a big MUAP (say 100x noise) as a 100-300 ms "sustained"
    burst, because its envelope stays above threshold for a while; a spiky
    envelope (CV >= SPIKY_CV, or >= CLUSTER_CV in a burst of at most
    CLUSTER_MAX_S) is separate discharges with silence between.
    Neither has the < 20 Hz energy of motion or ECG.
    """
    if burst.kind != "sustained":
        return False
    lf = feature(burst, "lf_ratio")
    if math.isfinite(lf) and lf >= 1.0:
        return False
    cv = feature(burst, "env_cv")
    if burst.duration_s <= SINGLE_DISCHARGE_S or (
        math.isfinite(cv) and cv >= SPIKY_CV and burst.duration_s <= SPIKY_CLUSTER_MAX_S
    ):
        return True
    return burst.duration_s <= CLUSTER_MAX_S and math.isfinite(cv) and cv >= CLUSTER_CV


def cramp_votes(burst: Burst, *, motion_overlap: bool = False, n_channels: int = 0) -> list[tuple[float, str]]:
    """Log-odds votes for cramp (positive) against voluntary (negative).

    Each vote is ``(weight, reason)``; the weights are hand-set from the
    contrasts in science.md §1.2-1.3 and checked on tuning seeds of the
    simulator (``classifier.evaluation.TUNING_SEEDS``). Features that did not
    separate the classes there (rise time, which overlaps at 0.2-2 s; the
    prior spike rate, which dsp also raises during voluntary work) carry no vote.
    """
    votes: list[tuple[float, str]] = []
    dur = burst.duration_s
    on_off = on_off_envelope(burst)
    if dur >= 15.0:
        # Not for repeated movements whose pauses are too short to end the
        # burst (real Myo fists every 5 s made one 55 s burst): the length is
        # the series', not one contraction's, so it says nothing of a cramp.
        if not on_off:
            votes.append((3.0, f"lasted {_fmt_s(dur)}, longer than a held contraction") if dur >= LONG_S
                         else (1.0, f"lasted {_fmt_s(dur)}"))
    elif dur < 2.0:
        votes.append((-2.5, f"only {_fmt_s(dur)} long"))
    elif dur < 5.0:
        votes.append((-0.8, f"short ({_fmt_s(dur)})"))
    fall = fade_s(burst)
    if math.isfinite(fall):
        if fall >= 4.0:
            votes.append((1.8, f"slow {_fmt_s(fall)} fade"))
        elif fall >= SLOW_FADE_S:
            votes.append((1.0, f"gradual {_fmt_s(fall)} fade"))
        elif fall < 1.0:
            votes.append((-1.0, f"stopped within {_fmt_s(max(fall, 0.1))}"))
        else:
            votes.append((-0.3, f"stopped in {_fmt_s(fall)}"))
    wobble = feature(burst, "wobble")
    if math.isfinite(wobble) and dur >= 8.0:
        # Cramp units share a ~1.4 Hz common drive (§1.2, [R25]); in shorter
        # bursts the 0.5-3 Hz band holds the ramps themselves, so no vote.
        if wobble >= 0.3:
            votes.append((0.6, "1-2 Hz wobble in strength"))
        elif wobble < 0.1:
            votes.append((-0.4, "steady strength"))
    if on_off:
        votes.append((-1.2, "on-off pattern, like repeated movements"))
    lf = feature(burst, "lf_ratio")
    if motion_overlap or (math.isfinite(lf) and lf >= 0.4):
        votes.append((-0.8, "with movement"))
    spread = _spread_vote(burst, n_channels)
    if spread is not None:
        votes.append(spread)
    rise = feature(burst, "noise_rise")
    if rise >= CREEP_RISE:
        votes.append((CREEP_VOTE, f"the noise floor had crept up {rise:.1f}x before it began, as before a cramp"))
    mz = _gated_muscle_zc(burst)
    if mz >= HIGH_ZC_HZ:
        reason = f"fast-oscillating signal ({mz:.0f} crossings/s): short motor-unit potentials, as in a cramp"
        votes.append((HIGH_ZC_VOTE, reason))
    return votes


def _gated_muscle_zc(burst: Burst) -> float:
    # the muscle's zero-crossing rate where the vote may use it, else NaN
    fs = feature(burst, "fs")
    if not (fs >= HIGH_ZC_MIN_FS and feature(burst, "mean_snr") >= HIGH_ZC_MIN_SNR) or on_off_envelope(burst):
        return math.nan
    return muscle_zc_hz(feature(burst, "zc_hz"), feature(burst, "rms_snr"), fs)


def muscle_zc_hz(zc_hz: float, rms_snr: float, fs: float) -> float:
    """The zero-crossing rate (crossings / 2 / s, Hz) of a burst's muscle
    signal alone, from that of signal + noise.

    For a sampled Gaussian signal a sign change between neighbouring samples
    has probability arccos(rho) / pi, rho its lag-1 autocorrelation (Kedem),
    and independent parts add their autocorrelations weighted by power:
    ``rho P = rho_m (P - N) + rho_n N``, with P / N = ``rms_snr``² and rho_n
    that of white noise through dsp's band-pass. NaN when the signal is not
    above the noise.
    """
    p = rms_snr * rms_snr
    if not (math.isfinite(zc_hz) and math.isfinite(p) and p > 1.0 and fs > 0):
        return math.nan
    rho = math.cos(2.0 * math.pi * zc_hz / fs)
    rho_m = (rho * p - _noise_rho(float(fs))) / (p - 1.0)
    return fs * math.acos(min(max(rho_m, -1.0), 1.0)) / (2.0 * math.pi)


@lru_cache(maxsize=16)
def _noise_rho(fs: float) -> float:
    # lag-1 autocorrelation of white noise after dsp's band-pass
    cfg = DetectorConfig()
    sos = design_bandpass(fs, cfg.band_low_hz, cfg.band_high_hz, cfg.band_order)
    f, h = signal.sosfreqz(sos, worN=8192, fs=fs)
    power = np.abs(h) ** 2
    return float(np.sum(np.cos(2.0 * np.pi * f / fs) * power) / np.sum(power))


def on_off_envelope(burst: Burst) -> bool:
    """True for an envelope that switches on and off (repeated movements), which a cramp does not."""
    cv = feature(burst, "env_cv")
    return math.isfinite(cv) and cv >= ON_OFF_CV


def _spread_vote(burst: Burst, n_channels: int) -> tuple[float, str] | None:
    """A cramp may hold only part of one muscle; a movement recruits the muscle
    group and its antagonists (§1.7 "Channels"). No vote on narrow montages,
    nor for an on-off envelope: a confined switching pattern is no cramp's
    plateau (on tuning seeds one made a false cramp in 8 h of artefact stress)."""
    if n_channels < SPREAD_MIN_CHANNELS or on_off_envelope(burst):
        return None
    k = len(burst.channels)
    if k <= CONFINED_FRACTION * n_channels:
        return (CONFINED_VOTE, f"confined to {k} of {n_channels} channels")
    if k >= SPREAD_FRACTION * n_channels:
        return (-CONFINED_VOTE, f"on {k} of {n_channels} channels at once, like a movement")
    return None


#: Highest confidence of a cramp call that could also be a held voluntary
#: contraction ("ambiguous"); an unambiguous call has a vote score >= 1, so
#: at least sigmoid(1) = 0.73.
AMBIGUOUS_CRAMP_CONFIDENCE = 0.6


def decide_sustained(burst: Burst, *, motion_overlap: bool = False, ecg_beats: int = 0,
                     rr_s: float = math.nan, n_channels: int = 0) -> Decision:
    """Cramp, voluntary contraction, or not a contraction at all, for a sustained burst.

    Short low-frequency bursts are ECG beats or motion (§1.6); very spiky
    envelopes are clusters of separate twitches; the rest is cramp versus
    voluntary by ``cramp_votes`` (§1.2-1.3).
    """
    dur = burst.duration_s
    lf = feature(burst, "lf_ratio")
    cv = feature(burst, "env_cv")
    where = _where(burst)
    if ecg_beats >= 3 and dur <= BEAT_MAX_S:
        bpm = 60.0 / rr_s if math.isfinite(rr_s) and rr_s > 0 else math.nan
        return Decision("artifact", 0.75 if ecg_beats == 3 else 0.9,
                        f"heartbeat (ECG): one of {ecg_beats} regular beats at {bpm:.0f} per minute on {where}", "ecg")
    zc = feature(burst, "zc_hz")
    fs = feature(burst, "fs")
    zc_limit = MOTION_MAX_ZC_HZ if not fs >= 500.0 else MOTION_MAX_ZC_HZ_WIDE
    if math.isfinite(lf) and lf >= 3.0 and math.isfinite(zc) and zc < zc_limit:
        # Mostly < 20 Hz energy and a slow residue in the pass band: a moving
        # electrode, not muscle (MUAP interference has its mean frequency at
        # 60-120 Hz, §1.3). On tuning seeds voluntary bursts had >= 49 zero
        # crossings/s at 250 Hz and >= 93 at 1 kHz; dsp's sustained bursts over
        # motion flags had 12-50 and 22-68.
        return Decision("artifact", 0.7, f"slow movement of the electrodes for {_fmt_s(dur)} on {where} "
                        f"({zc:.0f} zero crossings/s, mostly below 20 Hz), not muscle activity", "motion")
    if dur < 0.5 and math.isfinite(lf) and lf >= 1.0:
        return Decision("artifact", 0.7, f"slow (<20 Hz) {_fmt_s(dur)} deflection on {where}, not muscle activity",
                        "motion")
    if discharge_like(burst):
        snr = feature(burst, "peak_snr")
        snr_txt = f", {snr:.0f}x noise" if math.isfinite(snr) else ""
        if snr >= BEYOND_MUSCLE_SNR:
            return _beyond_muscle(where, snr, dur)
        if pop_like(burst):
            return Decision("artifact", 0.75, f"electrode pop: huge jump on {where} only{snr_txt}, slow return",
                            "pop")
        one_sided = one_sided_jump(burst, where, snr_txt)
        if one_sided:
            return Decision("artifact", 0.7, one_sided, "pop")
        if dur <= SINGLE_DISCHARGE_S:
            return Decision("fasciculation", 0.7, f"single large discharge on {where}{snr_txt}, "
                            f"{_fmt_s(dur)} with its after-swing, no repetition")
        return Decision("fasciculation", 0.5, f"a cluster of separate twitches over {_fmt_s(dur)} on {where}"
                        f"{snr_txt} (too close together to count one by one)", "cluster")
    if math.isfinite(cv) and cv >= SPIKY_CV and dur <= SPIKY_CLUSTER_MAX_S:
        return Decision("artifact", 0.6, f"repeated slow deflections for {_fmt_s(dur)} on {where}", "motion")
    votes = cramp_votes(burst, motion_overlap=motion_overlap, n_channels=n_channels)
    score = sum(w for w, _ in votes)
    p_cramp = _sigmoid(score)
    cramp = score > 0.0
    ranked = sorted(votes, key=lambda v: -abs(v[0]))
    for_ = [r for w, r in ranked if (w > 0) == cramp]
    against = [r for w, r in ranked if (w > 0) != cramp]
    if cramp:
        head = f"sustained involuntary-looking activity for {_fmt_s(dur)} on {where}"
    else:
        head = f"contraction for {_fmt_s(dur)} on {where}, looks voluntary"
    text = head + (": " + ", ".join(for_) if for_ else "")
    if against:
        text += "; against: " + ", ".join(against)
    conf = p_cramp if cramp else 1.0 - p_cramp
    fall = fade_s(burst)
    # Where the cramp call rests on the spread vote alone, it stays ambiguous:
    # a steady clench of a few fingers is confined too.
    spread = _spread_vote(burst, n_channels)
    confined_only = cramp and spread is not None and spread[0] > 0 and score - spread[0] <= 0.0
    if abs(score) < 1.0 or confined_only or (
        cramp and ((math.isfinite(fall) and fall < ABRUPT_STOP_S) or dur < SHORT_CRAMP_S)
    ):
        text += " (ambiguous)"
        conf = min(conf, AMBIGUOUS_CRAMP_CONFIDENCE)
    return Decision("cramp" if cramp else "voluntary", round(conf, 3), text)
