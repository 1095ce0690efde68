"""Real recordings as negative controls: held contractions and jaw clenches are not cramps.

No public recording has labelled fasciculations or cramps (shared/data/real/README.md),
so real data can only check what must *not* happen.
"""

import warnings
from pathlib import Path

import pytest

from classifier import Classifier
from dsp import Pipeline

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def _real(rel: str) -> Path:
    path = SHARED / "data" / "real" / rel
    if not path.exists():
        pytest.skip(f"real recording not available: {path}")
    return path


def _events(path: Path):
    from recordings import open_recording

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # irregular time stamps are reported by the reader, not our concern
        with open_recording(path) as reader:
            info = reader.info
            pipe = Pipeline(info.fs, info.channels, rails=info.rails)
            clf = Classifier(info.fs, info.channels)
            events = []
            for chunk in reader.chunks():
                events += clf.feed(pipe.process(chunk))
            events += clf.feed(pipe.flush()) + clf.flush()
    return events


@pytest.mark.parametrize(
    "rel",
    [
        "openbci_gui_cyton_sample/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt",  # jaw clenches, Cyton 250 Hz
        "opensignals_biosignalsplux/emg_bursts.h5",  # repeated voluntary bursts
    ],
)
def test_voluntary_contractions_in_real_recordings_are_not_confident_cramps(rel):
    events = _events(_real(rel))
    contractions = [e for e in events if e.trial_type in ("cramp", "voluntary")]
    assert contractions, "the recording's contractions should be detected at all"
    confident_cramps = [e for e in events if e.trial_type == "cramp" and e.confidence > 0.6]
    assert confident_cramps == []
    for e in contractions:
        assert e.evidence and e.channels


def test_myo_rest_gives_no_confident_cramp_and_fists_are_voluntary():
    rest = _events(_real("myo_readings_dataset/right_hand_12345-1/0.txt"))
    assert all(e.confidence <= 0.6 for e in rest if e.trial_type == "cramp")
    fists = _events(_real("myo_readings_dataset/right_hand_12345-1/7.txt"))
    assert not [e for e in fists if e.trial_type == "cramp"]
    # A fist every 5 s is contraction, not a minute-long "cluster of twitches".
    assert not [e for e in fists if e.trial_type == "fasciculation" and e.duration_s > 5.0]
    # The fists and their short pauses make one 55 s burst; its length must
    # not count as one held contraction's (it sat at 0.5, a hair from cramp).
    assert any(e.trial_type == "voluntary" and e.confidence > 0.8 for e in fists)


def test_samples_at_the_converters_rails_are_flagged_as_clipping():
    # The Chords file's 24 samples at 0 or 16383 (14-bit ADC) come singly or in
    # pairs in Channel1's strongest bursts: no run of equal samples, but
    # clipped all the same. The Myo's fists saturate its int8 counts.
    chords = [e for e in _events(_real("chords_bioamp/emg_sample.csv")) if e.subtype == "clipping"]
    assert len(chords) >= 5 and {c for e in chords for c in e.channels} == {"Channel1"}
    assert all(e.trial_type == "artifact" and "limit" in e.evidence for e in chords)
    fists = [e for e in _events(_real("myo_readings_dataset/right_hand_12345-1/7.txt")) if e.subtype == "clipping"]
    assert fists


@pytest.mark.parametrize(
    "rel",
    [
        "uci_emg_gestures_myo/01/1_raw_data_13-12_22.03.16.txt",  # forearm gestures, ~120 motion flags
        "chords_bioamp/emg_sample.csv",  # contraction bursts with movement
    ],
)
def test_gesture_movement_is_not_taken_for_a_heartbeats_slow_waves(rel):
    # Motion flags keeping a heart rate are a strong ECG's P and T waves
    # (classifier._context.paced_motion). Gestures flag often enough that a
    # looser train test (any shared channel) made 62 of the Myo file's 117
    # and 8 of the BioAmp file's 13 flags "heartbeats"; now none.
    artefacts = [e for e in _events(_real(rel)) if e.trial_type == "artifact" and e.subtype in ("motion", "ecg")]
    heartbeats = [e for e in artefacts if e.subtype == "ecg"]
    assert len(artefacts) >= 10 and len(heartbeats) <= 0.05 * len(artefacts)


def test_gestures_on_a_board_slower_than_the_cramp_models_training_are_not_cramps():
    # The Myo at ~101 Hz is outside the 200-1000 Hz the trained cramp model saw
    # (classifier._cramp_model); ungated, it called 3 of these 9 gestures cramps.
    events = _events(_real("uci_emg_gestures_myo/01/1_raw_data_13-12_22.03.16.txt"))
    assert not [e for e in events if e.trial_type == "cramp"]
    assert sum(e.trial_type == "voluntary" for e in events) >= 5
