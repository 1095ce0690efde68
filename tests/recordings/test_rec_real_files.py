"""Every real recording in ../shared/data/real loads, chunked equals whole, and
the reader reports what the data README says (format, rate, size, units)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import check_reader

from recordings import open_recording

# file, format, fs (Hz), tolerance on fs, n_samples, n_channels, units, first channel type
EXPECTED = [
    ("physionet_emgdb/emg_healthy.hea", "wfdb", 4000, 0, 50860, 1, "uV", "emg"),
    ("physionet_emgdb/emg_healthy.dat", "wfdb", 4000, 0, 50860, 1, "uV", "emg"),
    ("physionet_emgdb/emg_healthy.txt", "text", 4000, 0.01, 50860, 1, "raw (as written)", "exg"),
    ("biosppy/emg.txt", "simple-text", 1000, 0, 100000, 1, "adc counts (12-bit)", "emg"),
    ("opensignals_biosignalsplux/classification_game/0_1.txt", "opensignals-text", 1000, 0, 6000, 3, "mixed", "emg"),
    ("opensignals_biosignalsplux/classification_game/1_1.txt", "opensignals-text", 1000, 0, 6600, 3, "mixed", "emg"),
    ("opensignals_biosignalsplux/emg_bursts.h5", "opensignals-h5", 1000, 0, 28519, 1, "uV", "emg"),
    (
        "openbci_gui_cyton_sample/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt",
        "openbci-gui-v6",
        250,
        1.0,
        22490,
        8,
        "uV",
        "exg",
    ),
    ("openbci_ganglion_myoware_mi/OpenBCI-RAW-S02_S1R0.txt", "openbci-gui-v4", 200, 1.0, 26207, 4, "uV", "exg"),
    ("openbci_ganglion_myoware_mi/OpenBCI-RAW-S02_S1REST.txt", "openbci-gui-v4", 200, 1.0, 6414, 4, "uV", "exg"),
    (
        "brainflow_ganglion_ela411/Brainflow_Carl-Online-Run_EEG_2024-01-05_175720.txt",
        "brainflow-ganglion",
        199,
        0.5,
        7818,
        4,
        "uV",
        "exg",
    ),
    ("openbci_cosleep_bdf/multiple_annotation_chans.bdf", "bdf+", 125, 0, 30875, 19, "mixed", "emg"),
    ("myo_readings_dataset/right_hand_12345-1/7.txt", "myo-csv", 200, 0, 11935, 8, "myo counts", "emg"),
    ("myo_readings_dataset/right_hand_12345-1/0.txt", "myo-csv", 200, 0, 11925, 8, "myo counts", "emg"),
    ("chords_bioamp/emg_sample.csv", "chords-csv", 500, 1.0, 12248, 6, "adc counts (14-bit)", "exg"),
    (
        "grove_emg_mydaq_ela411/EMG_Pontus-Online-Run_2024-01-05_182541.txt",
        "daq-volts",
        1000,
        0.01,
        35400,
        2,
        "uV",
        "emg",
    ),
    ("backyardbrains_spikerbox/pulse_1.wav", "wav", 44100, 0, 94208, 1, "audio counts (16-bit)", "emg"),
    ("backyardbrains_spikerbox/amp_on_baseline.wav", "wav", 44100, 0, 60928, 1, "audio counts (16-bit)", "emg"),
]


@pytest.mark.parametrize(
    "rel, fmt, fs, tol, n, n_ch, units, kind", EXPECTED, ids=[e[0].split("/")[-1] for e in EXPECTED]
)
def test_real_file_loads_and_chunks(real, rel, fmt, fs, tol, n, n_ch, units, kind):
    data, info = check_reader(real / rel)
    assert info.format == fmt
    assert info.fs == pytest.approx(fs, abs=tol)
    assert info.n_samples == n
    assert data.shape == (n, n_ch)
    assert info.units == units
    assert info.channel_types[0] == kind
    assert info.describe().count("\n") >= 5


def test_uci_myo_duplicates_dropped_and_rate_measured(real):
    path = real / "uci_emg_gestures_myo/01/1_raw_data_13-12_22.03.16.txt"
    data, info = check_reader(path)
    assert info.format == "uci-myo-tsv"
    assert info.units == "myo counts"
    # Values are int8 counts again once the dataset's 1e-5 factor is undone.
    assert np.allclose(data, np.round(data), atol=1e-3) and np.abs(data).max() <= 128
    assert any("repeating the previous row dropped" in w for w in info.warnings)
    # The distinct rows come at about 100 per second over 65.7 s (not 1 kHz).
    assert 60 < info.fs < 220
    assert info.jitter_s is not None and info.duplicates == 0
    assert any(text.startswith("class ") for _, _, text in info.annotations)


def test_real_quirks_are_reported(real):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_recording(real / "physionet_emgdb/emg_healthy.txt") as r:
            text_warn = " ".join(r.info.warnings)
        with open_recording(real / "backyardbrains_spikerbox/pulse_1.wav") as r:
            wav_warn = " ".join(r.info.warnings)
        with open_recording(
            real / "brainflow_ganglion_ela411/Brainflow_Carl-Online-Run_EEG_2024-01-05_175720.txt"
        ) as r:
            bf = r.info
        with open_recording(real / "openbci_cosleep_bdf/multiple_annotation_chans.bdf") as r:
            bdf = r.info
        with open_recording(real / "myo_readings_dataset/right_hand_12345-1/7.txt") as r:
            myo = r.info
    assert "2 malformed line(s)" in text_warn and "line 639" in text_warn and "line 41464" in text_warn
    assert "4 byte(s) missing" in wav_warn
    # BrainFlow Ganglion: each time stamp appears twice (2 samples per BLE packet), rate about 199 Hz.
    assert bf.duplicates > 3000 and 198.5 < bf.fs_measured < 199.6
    texts = [t for _, _, t in bdf.annotations]
    assert "EEG-check#1" in texts and "Ligths-Off#1" in texts and sum(t.startswith("TestStim#") for t in texts) == 7
    onset = dict((t, o) for o, _, t in bdf.annotations)
    assert onset["EEG-check#1"] == pytest.approx(22.488)
    assert bdf.device == "OpenBCI" and bdf.start_time.year == 2019
    assert bdf.channel_types[bdf.channels.index("ECG")] == "ecg"
    assert bdf.channel_units[bdf.channels.index("acc1")] == "G"
    # Myo fist file: gesture 7 alternates with rest every 5 s.
    gestures = [a for a in myo.annotations if a[2] == "gesture 7"]
    assert len(gestures) >= 4 and all(3.0 < d < 7.0 for _, d, _ in gestures[:-1])
