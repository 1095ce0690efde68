import numpy as np
import pytest

from dsp import Burst, Chunk, Event


def test_chunk_converts_to_float32_and_checks_shape():
    c = Chunk(np.arange(6, dtype=np.float64).reshape(3, 2), fs=250, t0=1.0, channels=("a", "b"))
    assert c.data.dtype == np.float32 and c.data.flags.c_contiguous
    assert c.n_samples == 3 and c.n_channels == 2
    assert c.t_end == pytest.approx(1.0 + 3 / 250)


def test_chunk_rejects_channel_count_mismatch():
    with pytest.raises(ValueError, match="2 column\\(s\\) but 1 channel name"):
        Chunk(np.zeros((4, 2)), fs=250, t0=0, channels=("a",))


@pytest.mark.parametrize("fs", [0, -1, float("nan")])
def test_chunk_rejects_bad_rate(fs):
    with pytest.raises(ValueError, match="fs must be a positive rate"):
        Chunk(np.zeros((4, 1)), fs=fs, t0=0, channels=("a",))


def test_event_checks_class_confidence_and_interval():
    with pytest.raises(ValueError, match="trial_type must be one of"):
        Event(("a",), 0, 1, 5, "twitch", 0.5)
    with pytest.raises(ValueError, match="confidence must be within"):
        Event(("a",), 0, 1, 5, "cramp", 1.5)
    with pytest.raises(ValueError, match="is before onset_s"):
        Event(("a",), 2, 1, 5, "cramp", 0.5)


def test_burst_features_are_read_only():
    b = Burst(("a",), 0.0, 0.02, 40.0, "spike", features={"peak_snr": 8.0})
    with pytest.raises(TypeError):
        b.features["peak_snr"] = 1.0  # type: ignore[index]
    with pytest.raises(ValueError, match="artifact must be one of"):
        Burst(("a",), 0.0, 0.02, 40.0, "artifact", artifact="gremlin")


def test_burst_parts_are_spike_bursts():
    part = Burst(("a",), 0.1, 0.12, 40.0, "spike")
    b = Burst(("a",), 0.0, 0.5, 90.0, "sustained", parts=[part])
    assert b.parts == (part,)
    with pytest.raises(ValueError, match="parts must be spike Bursts"):
        Burst(("a",), 0.0, 0.5, 90.0, "sustained", parts=(b,))
