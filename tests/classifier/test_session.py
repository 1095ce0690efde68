import pytest

from classifier import summarize_session
from dsp import Event


def ev(on, off, cls, ch=("calf",), sub="", conf=0.9):
    return Event(tuple(ch), on, off, 60.0, cls, conf, subtype=sub)


EVENTS = [
    ev(1.0, 1.015, "fasciculation"),
    ev(1.040, 1.055, "fasciculation", sub="doublet"),
    ev(30.0, 30.015, "fasciculation", ch=("shin", "calf")),
    ev(100.0, 160.0, "cramp"),
    ev(200.0, 212.5, "cramp", conf=0.55),
    ev(220.0, 225.0, "voluntary"),
    ev(5.0, 5.1, "artifact", sub="ecg"),
    ev(6.0, 6.1, "artifact", sub="ecg"),
    ev(7.0, 7.5, "artifact", sub="pop"),
]


def test_counts_rates_and_durations():
    s = summarize_session(EVENTS, duration_s=600.0, fs=1000.0, channels=["calf", "shin"], device="ideal_2k")
    assert s.fasciculations == 3 and s.doublets == 1
    assert s.fasciculation_rate_per_min == {"calf": pytest.approx(0.2), "shin": pytest.approx(0.1)}
    assert s.cramps == 2 and s.cramp_durations_s == (60.0, 12.5) and s.longest_cramp_s == 60.0
    assert s.voluntary == 1 and s.artifacts == {"ecg": 2, "pop": 1}
    assert s.device == "ideal_2k" and s.channels == ("calf", "shin") and s.duration_s == 600.0
    assert any("1 of the 2 cramp(s) could also have been a held voluntary" in c for c in s.caveats)
    assert not any("Hz board" in c for c in s.caveats)


def test_a_cramp_call_capped_as_ambiguous_gets_the_could_be_voluntary_caveat():
    # The rules and the trained model cap an ambiguous cramp at 0.6 exactly.
    events = [ev(10.0, 20.0, "cramp", conf=0.6), ev(40.0, 70.0, "cramp", conf=0.8)]
    s = summarize_session(events, duration_s=120.0, fs=1000.0, channels=["calf"])
    assert any("1 of the 2 cramp(s) could also have been a held voluntary" in c for c in s.caveats)


def test_low_rate_board_and_short_recording_caveats():
    s = summarize_session([], duration_s=60.0, fs=250.0, channels=["a"])
    assert any("250 Hz board misses small twitches" in c for c in s.caveats)
    assert any("short" in c for c in s.caveats)
    assert s.fasciculation_rate_per_min == {"a": 0.0}
    # 90 s is said in seconds, not rounded up to "2 min".
    s90 = summarize_session([], duration_s=90.0, fs=250.0, channels=["a"])
    assert any("short (90 s)" in c for c in s90.caveats)


def test_quality_caveats_name_the_channel_and_problem():
    quality = {
        "a": {"noise_uv": 18.0, "clipped_s": 0.0, "flat_s": 0.0, "dropout_s": 0.0, "no_signal": 0},
        "b": {"noise_uv": 2.0, "clipped_s": 45.0, "flat_s": 0.0, "dropout_s": 0.0, "no_signal": 0},
        "c": {"noise_uv": 0.0, "clipped_s": 0.0, "flat_s": 600.0, "dropout_s": 0.0, "no_signal": 1},
        "d": {"noise_uv": 3.0, "clipped_s": 1.0, "flat_s": 0.0, "dropout_s": 0.0, "no_signal": 0},
    }
    s = summarize_session([], duration_s=600.0, fs=1000.0, channels=list(quality), quality=quality)
    text = " | ".join(s.caveats)
    assert "channel a was noisy (18 µV" in text
    assert "channel b was overloaded (clipped) for 45 s" in text
    assert "channel c showed no signal" in text
    assert "channel d" not in text  # 1 s of clipping in 10 min is not worth a caveat


def test_bad_duration_is_a_clear_error():
    with pytest.raises(ValueError, match="duration_s must be a finite length >= 0 s"):
        summarize_session([], duration_s=-5.0, fs=250.0, channels=["a"])


def test_pieces_of_what_may_be_a_weak_cramp_are_counted_apart():
    events = [ev(220.0, 225.0, "voluntary")] + [
        ev(t, t + 0.4, "voluntary", sub="weak_on_off", conf=0.5) for t in (300.0, 301.0, 302.2)]
    s = summarize_session(events, duration_s=600.0, fs=1000.0, channels=["calf"])
    assert (s.voluntary, s.voluntary_unsure) == (4, 3)
