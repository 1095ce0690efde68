"""The EDF+/BDF+ and CSV writers: round trips, independent readers, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp import Chunk, Event
from recordings import RecordingWriter, open_recording, read_events_tsv, read_recording, write_recording

HERE = Path(__file__).resolve().parent


def _sig(n: int, c: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c)) * 80.0).astype(np.float32)


def _events():
    return [
        Event(
            channels=("m1",),
            onset_s=0.25,
            offset_s=0.265,
            peak_uv=210.0,
            trial_type="fasciculation",
            confidence=0.8,
            subtype="doublet",
        ),
        Event(
            channels=("m1", "m2"),
            onset_s=1.1,
            offset_s=1.9,
            peak_uv=900.0,
            trial_type="artifact",
            confidence=0.6,
            subtype="pop",
        ),
    ]


def _quiet_read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_recording(path, **kw)


@pytest.mark.parametrize("suffix, step", [(".edf", 0.5), (".bdf", 187500 * 2 / 2**24)])
def test_edf_bdf_round_trip_with_independent_readers(tmp_path, suffix, step):
    import pyedflib

    x = _sig(2345, 2)
    path = tmp_path / f"sub-01_emg{suffix}"
    with RecordingWriter(
        path, 1000.0, ["m1", "m2"], device="OpenBCI Cyton", electrode_sites={"m1": "left calf"}, prefilter="HP:20Hz"
    ) as w:
        w.write(x[:1000])
        for ev in _events():
            w.add_event(ev)
        w.write(Chunk(x[1000:], 1000.0, 1.0, ("m1", "m2")))
    ours = read_recording(path)
    assert ours.data.shape == x.shape  # padding of the last record trimmed
    np.testing.assert_allclose(ours.data, x, atol=step * 0.51 + 1e-3)
    texts = [t for _, _, t in ours.info.annotations]
    assert texts == ["fasciculation:doublet [m1] conf=0.80", "BAD_artifact:pop [m1,m2] conf=0.60"]
    assert ours.info.annotations[1][:2] == pytest.approx((1.1, 0.8))
    with pyedflib.EdfReader(str(path)) as f:
        assert f.getSignalLabels() == ["m1", "m2"]
        assert f.getEquipment() == "OpenBCI Cyton"
        assert "left calf" in f.getTransducer(0) and f.getPrefilter(0) == "HP:20Hz"
        assert f.getPhysicalDimension(0) == "uV"
        np.testing.assert_allclose(f.readSignal(0)[: x.shape[0]], x[:, 0], atol=step * 0.51 + 1e-3)
        onsets, _, descr = f.readAnnotations()
        assert "BAD_padding" in list(descr)
    # The events table sits beside the recording, BIDS-named.
    table = read_events_tsv(tmp_path / "sub-01_events.tsv")
    assert [e.trial_type for e in table] == ["fasciculation", "artifact"]


@pytest.mark.parametrize("suffix, step", [(".edf", 0.5), (".bdf", 187500 * 2 / 2**24)])
def test_mne_reads_what_we_write(tmp_path, suffix, step):
    mne = pytest.importorskip("mne")  # not a project dependency; the witness runs where it is installed
    x = _sig(2345, 2)
    path = write_recording(
        tmp_path / f"r{suffix}",
        x,
        1000.0,
        ["m1", "m2"],
        events=_events(),
        physical_range=(-187500, 187500) if suffix == ".bdf" else (-16384, 16384),
    )
    reader = mne.io.read_raw_bdf if suffix == ".bdf" else mne.io.read_raw_edf
    raw = reader(path, preload=True, verbose="error")
    assert raw.info["sfreq"] == 1000.0 and raw.ch_names == ["m1", "m2"]
    np.testing.assert_allclose(raw.get_data()[:, : x.shape[0]].T * 1e6, x, atol=step * 0.51 + 1e-3)
    descr = list(raw.annotations.description)
    assert "BAD_artifact:pop [m1,m2] conf=0.60" in descr and "BAD_padding" in descr
    # MNE skips BAD_ spans: the padding after the last real sample is excluded.
    assert raw.get_data(reject_by_annotation="omit").shape[1] < 3000


def test_csv_round_trip_is_exact(tmp_path):
    x = _sig(1500, 3)
    path = tmp_path / "rec.csv"
    write_recording(path, x, 500.0, ["a", "b", "c"], device="sim board")
    back = read_recording(path)
    np.testing.assert_array_equal(back.data, x)
    assert back.info.format == "emgwatch-csv" and back.fs == 500.0 and back.info.device == "sim board"
    assert back.channels == ("a", "b", "c") and back.info.units == "uV"


def test_write_recording_chooses_a_range_that_does_not_clip(tmp_path):
    x = _sig(3000, 1) * 1000  # +-300 mV peaks: beyond the EDF default range
    path = write_recording(tmp_path / "big.edf", x, 1000.0, ["m1"])
    back = _quiet_read(path)
    rel = np.abs(back.data - x).max() / np.abs(x).max()
    assert rel < 1e-4


def test_write_recording_fits_the_range_to_small_or_offset_data(tmp_path):
    """A fixed +-16 384 µV EDF range would quantise in 0.5 µV steps; fitted to the data the
    step is far below an EMG noise floor, also on top of a board's DC offset."""
    small = _sig(2000, 1) * 0.5  # about +-150 µV
    back = _quiet_read(write_recording(tmp_path / "small.edf", small, 1000.0, ["m1"]))
    assert np.abs(back.data - small).max() < 0.01
    offset = small + 60000.0
    back = _quiet_read(write_recording(tmp_path / "offset.edf", offset, 1000.0, ["m1"]))
    assert np.abs(back.data - offset).max() < 0.02


def test_lost_and_nan_samples_are_annotated_not_hidden(tmp_path):
    path = tmp_path / "gaps.bdf"
    x = _sig(1000, 1)
    with RecordingWriter(path, 1000.0, ["m1"]) as w:
        w.write(Chunk(x[:400], 1000.0, 0.0, ("m1",)))
        w.write(Chunk(x[400:], 1000.0, 0.45, ("m1",), lost=50))  # 50 samples missing before this chunk
        y = x.copy()
        y[100:110] = np.nan
        w.write(y)
    back = read_recording(path)
    assert back.n_samples == 2050
    bad = [(round(o, 3), round(d, 3)) for o, d, t in back.info.annotations if t == "BAD_lost"]
    assert bad == [(0.4, 0.05), (1.15, 0.01)]
    # EDF holds them as 0; read back, they are lost again (NaN), not 0 µV
    lost = np.isnan(back.data[:, 0])
    assert lost[400:450].all() and lost[1150:1160].all() and lost.sum() == 60


def test_clipping_is_counted(tmp_path):
    with pytest.warns(UserWarning, match="3 sample"):
        with RecordingWriter(tmp_path / "c.edf", 100.0, ["m1"], physical_range=(-100, 100)) as w:
            w.write(np.array([[0.0], [150.0], [-150.0], [1e6]] * 1 + [[0.0]] * 96))
    assert w.clipped == 3


def test_writer_rejects_bad_use(tmp_path):
    with pytest.raises(ValueError, match="no writer for suffix '.xyz'"):
        RecordingWriter(tmp_path / "a.xyz", 100.0, ["m1"])
    with pytest.raises(ValueError, match="first 16 characters"):
        RecordingWriter(tmp_path / "a.edf", 100.0, ["x" * 16 + "1", "x" * 16 + "2"])
    with RecordingWriter(tmp_path / "b.edf", 100.0, ["m1", "m2"]) as w:
        with pytest.raises(ValueError, match=r"needs shape \(n_samples, 2\)"):
            w.write(np.zeros((10, 3)))
        with pytest.raises(ValueError, match="chunk rate 200 Hz"):
            w.write(Chunk(np.zeros((10, 2)), 200.0, 0.0, ("m1", "m2")))


def test_non_integer_rate_uses_longer_records(tmp_path):
    x = _sig(1000, 1)
    path = write_recording(tmp_path / "r.bdf", x, 199.5, ["m1"])
    back = read_recording(path)
    assert back.fs == 199.5
    np.testing.assert_allclose(back.data, x, atol=0.02)


def test_file_left_open_by_a_crash_is_recovered(tmp_path):
    """Header count -1 and a torn last record: our reader keeps every complete record and says so."""
    path = tmp_path / "crashed.bdf"
    x = _sig(5000, 2)
    write_recording(path, x, 1000.0, ["m1", "m2"], annotations_channel=False, physical_range=(-187500, 187500))
    raw = bytearray(path.read_bytes())
    raw[236:244] = b"-1      "
    del raw[-1000:]  # the 5th record is torn
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="-1"):
        with open_recording(path) as r:
            info = r.info
            data = r.read_all()
    assert data.shape == (4000, 2)
    assert any("trailing byte(s) of an incomplete data record" in w for w in info.warnings)
    np.testing.assert_allclose(data, x[:4000], atol=0.02)


def test_sigkill_during_recording_loses_at_most_one_record(tmp_path):
    """Kill -9 a live recorder; pyedflib (independent) and our reader read every complete record."""
    import pyedflib

    sys.path.insert(0, str(HERE))
    from _crash_writer import signal as expected_signal

    path = tmp_path / "live.bdf"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_crash_writer.py"), str(path), "0.01"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        for line in proc.stdout:
            if line.strip() == "records 3":
                break
        else:
            pytest.fail(f"recorder exited early with {proc.wait()}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = read_recording(path)
    n = ours.n_samples
    assert n >= 3000 and n % 1000 == 0
    np.testing.assert_allclose(ours.data, expected_signal(0, n), atol=0.03)
    assert any(t.startswith("fasciculation") for _, _, t in ours.info.annotations)
    assert [e.trial_type for e in read_events_tsv(tmp_path / "live_events.tsv")] == ["fasciculation"]
    with pyedflib.EdfReader(str(path)) as f:
        assert f.datarecords_in_file * 1000 >= n - 1000  # the count lags by one record at most
        got = f.readSignal(2)
    np.testing.assert_allclose(got, expected_signal(0, got.size)[:, 2], atol=0.03)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=2600), max_size=6), suffix=st.sampled_from([".edf", ".bdf"]))
def test_split_writes_give_the_same_file(tmp_path_factory, cuts, suffix):
    """Chunking must not change the result: any split of the writes gives identical bytes."""
    from datetime import datetime

    tmp = tmp_path_factory.mktemp("split")
    x = _sig(2600, 2, seed=3)
    start = datetime(2026, 1, 2, 3, 4, 5)
    whole = write_recording(
        tmp / f"whole{suffix}", x, 1000.0, ["m1", "m2"], start_time=start, physical_range=(-500, 500)
    )
    bounds = sorted(set([0, *cuts, x.shape[0]]))
    with RecordingWriter(
        tmp / f"split{suffix}", 1000.0, ["m1", "m2"], start_time=start, physical_range=(-500, 500)
    ) as w:
        for a, b in zip(bounds, bounds[1:]):
            w.write(x[a:b])
    assert (tmp / f"split{suffix}").read_bytes() == whole.read_bytes()
