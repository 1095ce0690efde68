"""Values checked against an independent reading of the same file."""

from __future__ import annotations

import csv
import json
import warnings

import h5py
import numpy as np
import pytest
import scipy.io.wavfile

from recordings import read_recording


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_recording(path, **kw)


def test_wfdb_dat_matches_its_text_copy(real):
    dat = _read(real / "physionet_emgdb/emg_healthy.hea")
    txt = _read(real / "physionet_emgdb/emg_healthy.txt")
    # Same samples, row for row (its first stamp is 0.00025 s: one sample step), in mV.
    a = dat.data[:, 0].astype(np.float64)
    b = txt.data[:, 0].astype(np.float64) * 1000.0
    n = min(a.size, b.size)
    bad = np.isnan(b[:n])
    assert int(bad.sum()) == 2  # lines 639 and 41464
    assert np.flatnonzero(bad).tolist() == [638, 41463]
    np.testing.assert_allclose(b[:n][~bad], a[:n][~bad], atol=0.06)  # the text keeps 4 decimals of mV


def test_wfdb_against_wfdb_package_digital_values(real):
    import wfdb

    rec = wfdb.rdrecord(str(real / "physionet_emgdb/emg_healthy"), physical=False)
    ours = _read(real / "physionet_emgdb/emg_healthy.dat")
    # gain 10000 ADC/mV, baseline 0: µV = digital / 10.
    np.testing.assert_allclose(ours.data[:, 0], rec.d_signal[:, 0] / 10.0, rtol=1e-6, atol=1e-3)


def test_bdf_matches_pyedflib(real):
    import pyedflib

    path = real / "openbci_cosleep_bdf/multiple_annotation_chans.bdf"
    ours = _read(path)
    with pyedflib.EdfReader(str(path)) as f:
        labels = f.getSignalLabels()
        for name in ("EMG", "ECG", "O2"):
            np.testing.assert_allclose(
                ours.data[:, ours.channels.index(name)], f.readSignal(labels.index(name)), rtol=1e-6, atol=1e-3
            )
        ann = f.readAnnotations()
    ours_ann = {t: o for o, _, t in ours.info.annotations}
    for onset, text in zip(ann[0], ann[2]):
        assert ours_ann[text] == pytest.approx(onset, abs=1e-6)
    # ECG is railed at -187 500 µV as the README says.
    assert ours.data[:, ours.channels.index("ECG")].max() == pytest.approx(-187500, abs=1)


def test_bdf_matches_mne(real):
    mne = pytest.importorskip("mne")  # not a project dependency; the witness runs where it is installed
    path = real / "openbci_cosleep_bdf/multiple_annotation_chans.bdf"
    ours = _read(path)
    raw = mne.io.read_raw_bdf(path, preload=True, verbose="error")
    for name in ("EMG", "C3"):
        np.testing.assert_allclose(
            ours.data[:, ours.channels.index(name)], raw.get_data(picks=[name])[0] * 1e6, rtol=1e-6, atol=1e-3
        )
    assert sorted(raw.annotations.description) == sorted(t for _, _, t in ours.info.annotations)


def test_opensignals_text_plux_transfer_function(real):
    path = real / "opensignals_biosignalsplux/classification_game/1_1.txt"
    rec = _read(path)
    raw = np.loadtxt(path, comments="#", delimiter="\t", usecols=(2, 3, 4))
    header = json.loads(path.read_text().splitlines()[1][1:])
    bits = next(iter(header.values()))["resolution"][0]
    expect_uv = (raw[:, :2] / 2**bits - 0.5) * 3000 / 1000 * 1000
    np.testing.assert_allclose(rec.data[:, :2], expect_uv, rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(rec.data[:, 2], raw[:, 2])  # accelerometer stays raw counts
    assert rec.info.channel_types == ("emg", "emg", "acc")
    assert rec.info.device == "biosignalsplux" and rec.info.start_time.year == 2019


def test_opensignals_h5_against_h5py(real):
    path = real / "opensignals_biosignalsplux/emg_bursts.h5"
    rec = _read(path)
    with h5py.File(path) as f:
        raw = f["00:07:80:3B:46:61/raw/channel_3"][:, 0].astype(np.float64)
    np.testing.assert_allclose(rec.data[:, 0], (raw / 65536 - 0.5) * 3000, rtol=1e-6, atol=1e-3)
    assert rec.info.device == "channeller"


def test_openbci_v6_against_csv_module(real):
    path = real / "openbci_gui_cyton_sample/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt"
    rec = _read(path)
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("%")]
    header, body = rows[0], rows[1:]
    cols = [i for i, h in enumerate(header) if h.strip().startswith("EXG Channel")]
    expect = np.array([[float(r[i]) for i in cols] for r in body])
    np.testing.assert_allclose(rec.data, expect, rtol=1e-6)
    assert rec.channels == tuple(f"EXG{i}" for i in range(8))
    assert "Cyton" in rec.info.device


def test_openbci_v4_ganglion_and_brainflow_values(real):
    gui = real / "openbci_ganglion_myoware_mi/OpenBCI-RAW-S02_S1REST.txt"
    rec = _read(gui)
    expect = np.loadtxt(gui, comments="%", delimiter=",", usecols=(1, 2, 3, 4))
    np.testing.assert_allclose(rec.data, expect, rtol=1e-6)
    assert rec.info.device == "OpenBCI Ganglion"
    bf = real / "brainflow_ganglion_ela411/Brainflow_Carl-Online-Run_EEG_2024-01-05_175720.txt"
    rec = _read(bf)
    expect = np.loadtxt(bf, delimiter="\t")
    np.testing.assert_allclose(rec.data, expect[:, 1:5], rtol=1e-6)
    # Naming the board gives the same reading; naming the wrong one is an error.
    np.testing.assert_array_equal(_read(bf, format="brainflow-ganglion").data, rec.data)
    with pytest.raises(ValueError, match="BrainFlow cyton rows have 24"):
        _read(bf, format="brainflow-cyton")


def test_myo_chords_grove_simple_text_values(real):
    myo = real / "myo_readings_dataset/right_hand_12345-1/7.txt"
    np.testing.assert_array_equal(_read(myo).data, np.loadtxt(myo, delimiter=",")[:, :8])
    assert _read(myo).data.max() == 127 and _read(myo).data.min() == -128  # saturation kept, not clipped
    chords = real / "chords_bioamp/emg_sample.csv"
    rec = _read(chords)
    expect = np.loadtxt(chords, delimiter=",", skiprows=1, usecols=range(2, 8))
    np.testing.assert_array_equal(rec.data, expect)
    assert int(((rec.data[:, 0] == 0) | (rec.data[:, 0] == 16383)).sum()) == 24
    grove = real / "grove_emg_mydaq_ela411/EMG_Pontus-Online-Run_2024-01-05_182541.txt"
    np.testing.assert_allclose(_read(grove).data, np.loadtxt(grove)[:, :2] * 1e6, rtol=1e-6)
    simple = real / "biosppy/emg.txt"
    np.testing.assert_array_equal(_read(simple).data[:, 0], np.loadtxt(simple))


def test_wav_against_scipy(real):
    path = real / "backyardbrains_spikerbox/pulse_1.wav"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fs, expect = scipy.io.wavfile.read(path)
    rec = _read(path)
    assert rec.fs == fs
    np.testing.assert_array_equal(rec.data[:, 0], expect.astype(np.float32))
