"""convert() between readable formats and EDF+/BDF+/CSV, round-trip tested."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from recordings import convert, read_recording


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_recording(path, **kw)


@pytest.mark.parametrize(
    "rel",
    [
        "openbci_cosleep_bdf/multiple_annotation_chans.bdf",
        "opensignals_biosignalsplux/emg_bursts.h5",
        "myo_readings_dataset/right_hand_12345-1/7.txt",
        "openbci_gui_cyton_sample/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt",
    ],
)
@pytest.mark.parametrize("suffix", [".bdf", ".edf", ".csv"])
def test_convert_round_trip(real, tmp_path, rel, suffix):
    src = _read(real / rel)
    out = tmp_path / f"out{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = convert(real / rel, out)
    assert info.channels == src.channels
    back = _read(out)
    assert back.channels == src.channels and back.data.shape == src.data.shape
    assert back.fs == pytest.approx(src.fs, rel=1e-6)
    if suffix == ".csv":
        np.testing.assert_array_equal(back.data, src.data)
        return
    finite = src.data[np.isfinite(src.data)]
    span = float(finite.max() - finite.min())
    bits = 24 if suffix == ".bdf" else 16
    # The writer's range is the data's min..max with 5 % headroom (and 8-character rounding).
    step = (1.1 * span + 1.0) / (2**bits - 2)
    np.testing.assert_allclose(back.data, src.data, atol=step)
    src_ann = [(round(o, 3), t) for o, _, t in src.info.annotations]
    assert [(round(o, 3), t) for o, _, t in back.info.annotations] == src_ann
    if src.info.start_time is not None:
        assert back.info.start_time == src.info.start_time.replace(microsecond=0)


def test_convert_refuses_unknown_output(real, tmp_path):
    with pytest.raises(ValueError, match="no writer for '.mat'"):
        convert(real / "biosppy/emg.txt", tmp_path / "x.mat")
