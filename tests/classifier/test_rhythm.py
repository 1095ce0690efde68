"""Faint pieces of heartbeats in a steady heart rhythm (classifier._rhythm)."""

import random

import pytest

from classifier import Classifier, classify
from classifier._rhythm import RHYTHM_MIN_BEATS, heart_rhythm, rhythm_part
from dsp import Burst

CH = ("calf_1", "calf_2", "calf_3", "calf_4")
HEART = ("calf_1", "calf_2")


def piece(t, ch, peak=4.5, snr=6.5):
    """A brief, twitch-shaped spike (what a QRS piece looks like after the 20 Hz high-pass at 200 Hz)."""
    f = {"peak_snr": snr, "t_peak_s": t, "width_s": 0.01, "phases": 2, "lf_ratio": 0.1, "step_snr": 2.0,
         "zc_hz": 60.0}
    return Burst(tuple(ch), t - 0.008, t + 0.012, peak, "spike", features=f)


def heartbeats(seed, start=0.5, stop=40.0, rr=0.8):
    """Each beat reaches dsp as one to three pieces (R, S, side lobe) whose
    channel sets flicker, at RR jittered by HRV (SDNN 30 ms, science.md 3.3)."""
    rng = random.Random(seed)
    out, beat_times = [], []
    t = start
    while t < stop:
        beat_times.append(t)
        for dt in (0.0, 0.025, 0.05):
            if rng.random() < 0.75:
                ch = rng.choice([HEART, HEART[:1], HEART[1:]])
                out.append(piece(t + dt, ch, peak=rng.uniform(3.6, 5.2)))
        t += max(0.4, rng.gauss(rr, 0.03))
    return out, beat_times


def fasciculations(events):
    return [e for e in events if e.trial_type == "fasciculation"]


@pytest.mark.parametrize("seed", range(4))
def test_pieces_of_a_steady_heart_rhythm_are_no_twitches(seed):
    bursts, _ = heartbeats(seed)
    # The same spikes are twitches when nothing makes them a rhythm: two of them alone.
    assert len(fasciculations(classify(bursts[20:22], fs=200.0, channels=CH))) == 2
    late = [b for b in bursts if b.features["t_peak_s"] > 8.0]
    # Where a channel misses two beats in a row, or a piece lands far from
    # its beat, the walk can break: most pieces, not all, are found.
    assert sum(rhythm_part(b, bursts) for b in late) >= 0.8 * len(late)
    n, rr, size = max((heart_rhythm(b, bursts) for b in late[:5]), key=lambda r: r[0])
    assert n >= RHYTHM_MIN_BEATS
    assert rr == pytest.approx(0.8, abs=0.08)
    assert 3.6 <= size <= 5.2
    left = [e for e in fasciculations(classify(bursts, fs=200.0, channels=CH)) if e.onset_s > 8.0]
    assert len(left) <= 0.2 * len(late)


def test_twitches_at_random_times_keep_no_rhythm():
    rng = random.Random(7)
    t, bursts = 0.5, []
    while t < 40.0:
        bursts.append(piece(t, HEART, peak=rng.uniform(4.0, 5.0)))
        t += rng.expovariate(1.0 / 1.6)  # at random, half as often as heartbeats (denser runs are ongoing activity)
    assert not any(rhythm_part(b, bursts) for b in bursts)
    assert len(fasciculations(classify(bursts, fs=200.0, channels=CH))) == len(bursts)


def test_a_twitch_on_a_beat_is_kept_when_larger_clear_or_elsewhere():
    bursts, beat_times = heartbeats(1)
    tb = next(t for t in beat_times if t > 20.0)
    larger = piece(tb + 0.01, HEART, peak=12.0, snr=9.0)  # 2.5x the beats' pieces
    clear = piece(tb + 0.01, HEART[:1], peak=5.0, snr=14.0)  # too far above the noise for a faint piece
    elsewhere = piece(tb + 0.01, ("calf_4",), peak=4.5)  # no heartbeat reaches calf_4
    for twitch in (larger, clear, elsewhere):
        assert not rhythm_part(twitch, bursts + [twitch])
    # (A clear spike the beats' size on their channel keeps their strict train: it is called ECG.)
    for twitch in (larger, elsewhere):
        found = fasciculations(classify(bursts + [twitch], fs=200.0, channels=CH))
        assert twitch.features["t_peak_s"] in [e.features["t_peak_s"] for e in found]
    # The same faint size on the heart's channels is a piece of the beat.
    assert rhythm_part(piece(tb + 0.01, HEART[:1]), bursts)


def test_rhythm_only_counts_what_the_window_holds():
    bursts, _ = heartbeats(2, stop=14.0)
    me = max((b for b in bursts if b.features["t_peak_s"] > 12.5), key=lambda b: heart_rhythm(b, bursts)[0])
    # 10 s back: the whole run; looking only at the last 2 s and nothing ahead: too few beats.
    assert heart_rhythm(me, bursts)[0] >= RHYTHM_MIN_BEATS
    recent = [b for b in bursts if b.features["t_peak_s"] > me.features["t_peak_s"] - 2.0]
    assert heart_rhythm(me, recent, ahead_s=0.0)[0] < RHYTHM_MIN_BEATS


@pytest.mark.parametrize("seed", range(3))
def test_streaming_equals_classify_with_a_heart_rhythm_and_twitches(seed):
    rng = random.Random(50 + seed)
    bursts, _ = heartbeats(seed, stop=60.0)
    bursts += [piece(rng.uniform(1, 60), (rng.choice(CH),), peak=rng.uniform(4, 40), snr=rng.uniform(6, 30))
               for _ in range(40)]
    bursts.sort(key=lambda b: (b.offset_s, b.onset_s))
    offline = classify(bursts, fs=200.0, channels=CH)
    clf = Classifier(200.0, CH)
    streamed, i = [], 0
    while i < len(bursts):
        n = rng.choice([0, 1, 3, 11])
        streamed += clf.feed(bursts[i:i + n])
        i += n
    assert streamed + clf.flush() == offline


def test_preview_knows_a_heart_rhythm_from_the_previews_of_the_last_seconds():
    bursts, beat_times = heartbeats(3, stop=30.0)
    clf = Classifier(200.0, CH)
    calls = {b.features["t_peak_s"]: clf.preview([b]) for b in sorted(bursts, key=lambda b: b.features["t_peak_s"])}
    early = [t for t, c in calls.items() if t < 3.0 and c]
    late = [t for t, c in calls.items() if t > 12.0]
    # Too little rhythm in the first seconds: those pieces look like twitches.
    assert early
    # Once 10 s of it are behind, most pieces get no provisional call ...
    assert sum(1 for t in late if calls[t]) <= 0.2 * len(late)
    # ... but a spike on a channel the heart does not reach still does.
    assert len(clf.preview([piece(beat_times[-1] + 0.01, ("calf_4",))])) == 1
