"""Small hand-made files for the text layouts that the real set lacks (OpenBCI v3/v5, generic tables)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import check_reader

from recordings import read_recording


def _quiet(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_recording(path, **kw)


def test_openbci_v3_cyton_without_time_column(tmp_path):
    x = np.arange(40 * 8, dtype=float).reshape(40, 8) / 4
    rows = [", ".join([str(i % 256)] + [f"{v:.2f}" for v in row] + ["0.0", "0.0", "0.0"]) for i, row in enumerate(x)]
    path = tmp_path / "OpenBCI-RAW-old.txt"
    path.write_text("%OpenBCI Raw EEG Data\n%Sample Rate = 250.0 Hz\n%First Column = SampleIndex\n" + "\n".join(rows))
    data, info = check_reader(path)
    assert info.format == "openbci-gui-v3" and info.fs == 250.0 and info.device == "OpenBCI Cyton"
    np.testing.assert_allclose(data, x, atol=1e-6)


def test_openbci_v5_column_row_and_counter_gap(tmp_path):
    head = (
        "%OpenBCI Raw EEG Data\n%Number of channels = 2\n%Sample Rate = 250 Hz\n%Board = OpenBCI_GUI$BoardCytonSerial\n"
    )
    cols = "Sample Index, EXG Channel 0, EXG Channel 1, Accel Channel 0, Timestamp\n"
    idx = [0, 1, 2, 5, 6, 7]  # samples 3 and 4 were lost
    body = "".join(f"{i}, {i * 1.5:.2f}, {-i:.2f}, 0.1, {1600000000 + i * 0.004:.3f}\n" for i in idx)
    path = tmp_path / "OpenBCI-RAW-v5.txt"
    path.write_text(head + cols + body)
    with pytest.warns(UserWarning, match=r"1 gap\(s\) in the sample counter, 2 lost"):
        rec = read_recording(path)
    assert rec.info.format == "openbci-gui-v5" and rec.channels == ("EXG0", "EXG1")
    assert rec.n_samples == 8 and np.isnan(rec.data[3:5]).all()
    assert rec.data[5, 0] == pytest.approx(7.5)
    assert rec.fs == pytest.approx(250.0, rel=1e-3)  # from the seconds time stamps


def test_generic_table_with_header_and_ms_time(tmp_path):
    t = np.arange(500) * 2.0  # ms -> 500 Hz
    x = np.sin(t / 50.0)
    path = tmp_path / "arduino.csv"
    path.write_text("time_ms,emg_mV\n" + "".join(f"{a:g},{b:.6f}\n" for a, b in zip(t, x)))
    data, info = check_reader(path)
    assert info.format == "text" and info.fs == pytest.approx(500.0)
    assert info.channels == ("emg_mV",) and info.units == "uV"  # the mV column name is honoured
    np.testing.assert_allclose(data[:, 0], x * 1000, atol=6e-4)  # 6 decimals of mV


def test_generic_whitespace_column_needs_fs(tmp_path):
    path = tmp_path / "values.txt"
    path.write_text("\n".join(str(v) for v in range(100)) + "\n")
    rec = _quiet(path, fs=250.0)
    assert rec.fs == 250.0 and rec.info.units == "raw (as written)"
    np.testing.assert_array_equal(rec.data[:, 0], np.arange(100))


def test_myo_csv_rate_override_is_noted(real):
    rec = _quiet(real / "myo_readings_dataset/right_hand_12345-1/0.txt", fs=100.0)
    assert rec.fs == 100.0 and rec.info.duration_s == pytest.approx(119.25)


def test_counter_stepping_by_two_is_not_used_for_gaps(tmp_path):
    head = "%OpenBCI Raw EXG Data\n%Sample Rate = 125 Hz\n%Board = OpenBCI_GUI$BoardCytonSerialDaisy\n"
    cols = "Sample Index, EXG Channel 0, Timestamp\n"
    body = "".join(f"{(2 * i) % 256}, {i:.2f}, {1600000000 + i * 0.008:.3f}\n" for i in range(200))
    path = tmp_path / "daisy.txt"
    path.write_text(head + cols + body)
    with pytest.warns(UserWarning, match="does not step by 1"):
        rec = read_recording(path)
    assert rec.n_samples == 200 and not np.isnan(rec.data).any()
