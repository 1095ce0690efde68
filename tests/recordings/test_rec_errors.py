"""Bad input gives a clear error or a counted warning naming the file and place."""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
from conftest import check_reader

from dsp import InputFormatError, RecordingNotFoundError, UnsupportedFormatError
from recordings import open_recording, read_recording, supported_formats, write_recording


def test_missing_file(tmp_path):
    with pytest.raises(RecordingNotFoundError, match="no such file"):
        open_recording(tmp_path / "nope.edf")
    with pytest.raises(FileNotFoundError):  # the built-in still catches it
        read_recording(tmp_path / "nope.csv")


def test_unknown_format_lists_supported(tmp_path):
    path = tmp_path / "blob.xyz"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnsupportedFormatError, match=r"no reader recognises.*edf, wav.*openbci-gui"):
        open_recording(path)
    with pytest.raises(UnsupportedFormatError, match="Invalid value for the 'format' parameter: 'foo'"):
        open_recording(path, format="foo")
    names = [n for n, _ in supported_formats()]
    assert {
        "edf",
        "wfdb",
        "openbci-gui",
        "brainflow",
        "opensignals-text",
        "opensignals-h5",
        "myo-csv",
        "chords-csv",
        "wav",
        "text",
    } <= set(names)


def test_dat_without_header_gets_a_hint(tmp_path):
    path = tmp_path / "rec.dat"
    path.write_bytes(np.arange(1000, dtype="<i2").tobytes())
    with pytest.raises(UnsupportedFormatError, match=r"needs its WFDB \.hea header"):
        open_recording(path)


def test_truncated_and_corrupt_edf_headers(tmp_path):
    good = write_recording(tmp_path / "g.edf", np.zeros((200, 1)), 100.0, ["m1"])
    raw = good.read_bytes()
    short = tmp_path / "short.edf"
    short.write_bytes(raw[:100])
    with pytest.raises(InputFormatError, match="needs at least 256"):
        open_recording(short, format="edf")
    bad = bytearray(raw)
    bad[256 + 104 * 2 : 256 + 104 * 2 + 8] = b"abc     "  # physical minimum of signal 1
    path = tmp_path / "bad.edf"
    path.write_bytes(bytes(bad))
    with pytest.raises(InputFormatError, match=r"byte 464: physical minimum of signal 1 \('m1'\) is 'abc'"):
        open_recording(path)


def test_edf_header_that_lies_about_length(tmp_path):
    path = write_recording(tmp_path / "l.edf", np.ones((300, 1)), 100.0, ["m1"], annotations_channel=False)
    raw = bytearray(path.read_bytes())
    raw[236:244] = b"9       "
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match=r"byte 236: header says 9 data record\(s\), the file holds 3"):
        rec = read_recording(path)
    assert rec.n_samples == 300


def test_wfdb_header_promising_more_than_the_file(real, tmp_path):
    for name in ("emg_healthy.hea", "emg_healthy.dat"):
        shutil.copy(real / "physionet_emgdb" / name, tmp_path / name)
    dat = tmp_path / "emg_healthy.dat"
    dat.write_bytes(dat.read_bytes()[:20000])
    with pytest.warns(UserWarning, match="header promises 50860 samples, the file holds 10000"):
        rec = read_recording(tmp_path / "emg_healthy.hea")
    assert rec.n_samples == 10000


def test_text_malformed_nonfinite_and_missing_rate(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4\n5,x\n7\n9,inf\nnan,12\n")
    with pytest.raises(InputFormatError, match="states no sampling rate and has no time stamps; pass fs="):
        open_recording(path)
    with pytest.warns(UserWarning) as caught:
        rec = read_recording(path, fs=100.0)
    text = " ".join(str(w.message) for w in caught)
    assert "2 malformed line(s)" in text and "line 4" in text and "line 5 (1 field(s), expected 2)" in text
    assert "1 infinite value(s) set to NaN" in text and "1 NaN value(s) in the file kept" in text
    assert rec.data.shape == (6, 2) and int(np.isnan(rec.data).sum()) == 6  # 2 bad rows, inf, nan


def test_mostly_garbage_is_an_error_not_a_reading(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("1 2\n3 4\n5 6\n" + "junk here\n" * 20)
    with pytest.raises(InputFormatError, match="rows are malformed"):
        open_recording(path, fs=10.0)


def test_unknown_channel_is_named(real):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="no channel named 'EMG9'; the file has EMG, EOG"):
            open_recording(real / "openbci_cosleep_bdf/multiple_annotation_chans.bdf", channels=["EMG9"])


def test_wav_without_data_chunk(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00"
    )
    with pytest.raises(InputFormatError, match="no 'data' chunk"):
        open_recording(path)


def test_reader_closes_twice_and_refuses_after(real):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = open_recording(real / "biosppy/emg.txt")
    r.close()
    r.close()
    with pytest.raises(ValueError, match="reader is closed"):
        next(r.chunks())


def test_counter_gaps_become_nan_samples(real, tmp_path):
    lines = (real / "chords_bioamp/emg_sample.csv").read_bytes().split(b"\n")
    del lines[101:104]  # three samples lost after data row 99 (counter jumps by 4)
    path = tmp_path / "gappy.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"1 gap\(s\) in the sample counter, 3 lost sample\(s\) filled with NaN"):
        rec = read_recording(path)
    full = read_recording(real / "chords_bioamp/emg_sample.csv")
    assert rec.n_samples == full.n_samples
    assert np.isnan(rec.data[100:103]).all()
    np.testing.assert_array_equal(rec.data[103:], full.data[103:])
    np.testing.assert_array_equal(rec.data[:100], full.data[:100])


def test_multi_rate_edf_written_by_pyedflib(tmp_path):
    """A file from an independent writer, with two rates: the reader picks one rate group, says which
    signals it left out, and the other group is reachable with channels=."""
    from pyedflib import highlevel

    rng = np.random.default_rng(1)
    fast = [rng.uniform(-150, 150, 2000) for _ in range(2)]
    slow = [rng.uniform(-1, 1, 20)]
    headers = highlevel.make_signal_headers(
        ["EMG1", "EMG2"], dimension="uV", sample_frequency=1000, physical_min=-200, physical_max=200
    )
    headers += highlevel.make_signal_headers(
        ["Resp"], dimension="V", sample_frequency=10, physical_min=-2, physical_max=2
    )
    header = highlevel.make_header(equipment="bench_rig")
    header["annotations"] = [[0.5, 0.1, "twitch"]]
    path = tmp_path / "multi.edf"
    highlevel.write_edf(str(path), fast + slow, headers, header)
    with pytest.warns(UserWarning, match=r"Resp sampled at another rate than 1000 Hz left out"):
        rec = read_recording(path)
    assert rec.channels == ("EMG1", "EMG2") and rec.fs == 1000.0 and rec.info.format == "edf+"
    np.testing.assert_allclose(rec.data, np.column_stack(fast), atol=400 / 65535)
    assert rec.info.annotations == ((0.5, 0.1, "twitch"),)
    assert rec.info.device == "bench rig"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resp = read_recording(path, channels=["Resp"])
    assert resp.fs == 10.0 and resp.info.channel_units == ("uV",)
    np.testing.assert_allclose(resp.data[:, 0], slow[0] * 1e6, atol=4e6 / 65535)


def test_discontinuous_edf_gaps_become_nan(tmp_path):
    x = np.arange(4000, dtype=np.float32)[:, None] / 10
    path = write_recording(tmp_path / "d.edf", x, 1000.0, ["m1"], physical_range=(-500, 500))
    raw = bytearray(path.read_bytes())
    raw[192:197] = b"EDF+D"
    hdr, rec_bytes = 256 * 3, (1000 + 120) * 2
    for r, onset in ((2, b"+5"), (3, b"+6")):  # records 3 and 4 start at 5 s and 6 s: a 3 s gap
        at = hdr + r * rec_bytes + 2000
        assert raw[at : at + 2] == f"+{r}".encode()
        raw[at : at + 2] = onset
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match=r"1 gap\(s\), 3.000 s in all, filled with NaN"):
        rec = read_recording(path)
    assert rec.n_samples == 7000
    np.testing.assert_allclose(rec.data[:2000], x[:2000], atol=0.01)
    assert np.isnan(rec.data[2000:5000]).all()
    np.testing.assert_allclose(rec.data[5000:], x[2000:], atol=0.01)
    data, _ = check_reader(path)  # chunk boundaries across the gap change nothing
    np.testing.assert_array_equal(data, rec.data)
