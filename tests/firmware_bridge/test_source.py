"""The Source contract, open_source and sim:// streaming."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dsp import Chunk, SourceError, UnknownSourceError
from firmware_bridge import SOURCES, SimSource, Source, open_source, register_source, simulate

URL = "sim://night_calf_cramp?device=ganglion_200&seed=9&duration=20&speed=0"


def test_same_seed_is_bit_identical_and_another_seed_differs():
    a = simulate("exercise_cramp", device="cyton_250", duration_s=15, seed=42)
    b = simulate("exercise_cramp", device="cyton_250", duration_s=15, seed=42)
    c = simulate("exercise_cramp", device="cyton_250", duration_s=15, seed=43)
    assert a.data.tobytes() == b.data.tobytes()
    assert a.truth == b.truth
    assert a.data.tobytes() != c.data.tobytes()


def test_default_seed_and_duration_come_from_the_scenario():
    rec = simulate("noise_only", device="cyton_250")
    assert rec.meta["seed"] == 808 and rec.meta["duration_s"] == 60.0
    assert rec.meta["scenario"] == "noise_only" and rec.meta["device"] == "cyton_250"
    assert len(rec.meta["noise_uv"]) == 8 and rec.truth == []


def test_sim_stream_equals_simulate_output():
    rec = simulate("night_calf_cramp", device="ganglion_200", duration_s=20, seed=9)
    with open_source(URL) as src:
        assert isinstance(src, SimSource)
        assert src.truth == rec.truth
        chunks = list(src)
        assert src.finished and src.read(0) is None
    data = np.concatenate([c.data for c in chunks])
    assert data.tobytes() == rec.data.tobytes()  # NaN for lost packets included
    t0 = np.array([c.t0 for c in chunks])
    assert np.allclose(np.diff(t0), [c.n_samples / c.fs for c in chunks[:-1]])
    assert all(c.channels == rec.channels and c.fs == 200.0 for c in chunks)
    assert src.n_samples == rec.n_samples and src.n_chunks == len(chunks)


def test_chunks_method_covers_the_recording():
    rec = simulate("noise_only", device="cyton_250", duration_s=3, seed=1)
    chunks = list(rec.chunks(100))
    assert [c.n_samples for c in chunks] == [100] * 7 + [50]
    assert np.array_equal(np.concatenate([c.data for c in chunks]), rec.data)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        next(rec.chunks(0))


def test_real_time_pacing_and_timeout():
    with open_source("sim://noise_only?duration=1&speed=4&chunk=50") as src:
        # At 4x real time a 50-sample chunk (0.2 s) is ready after 0.05 s: not at once.
        assert src.read(timeout=0.0) is None
        start = time.monotonic()
        chunks = list(src)
        elapsed = time.monotonic() - start
    assert sum(c.n_samples for c in chunks) == 250
    assert 0.18 <= elapsed <= 1.0  # 1 s of data at 4x = 0.25 s


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sim://noise_only?speeed=2", "unknown option 'speeed'"),
        ("sim://noise_only?device=cyton_9000", "unknown device 'cyton_9000'"),
        ("sim://no_such_scenario", "unknown scenario 'no_such_scenario'"),
        ("sim://noise_only?seed=abc", "bad value 'abc' for option 'seed'"),
        ("sim://noise_only?speed=-1", "speed must be >= 0"),
        ("sim://", "names no scenario"),
        ("bogus://x", "unknown source scheme 'bogus'"),
        ("/dev/ttyUSB0", "has no scheme"),
    ],
)
def test_bad_urls_fail_by_name(url, message):
    with pytest.raises(UnknownSourceError, match=message):
        open_source(url)


class _ListSource(Source):
    """A minimal real subclass: serves a list of chunks, then ends."""

    def __init__(self, chunks):
        super().__init__()
        self._chunks = list(chunks)
        self.fs = 100.0
        self.channels = ("a",)
        self.closed_calls = 0

    def _read_internal(self, timeout):
        if not self._chunks:
            self._mark_finished()
            return None
        return self._chunks.pop(0)

    def _close_internal(self):
        self.closed_calls += 1


def test_source_base_counts_loss_closes_once_and_refuses_reads_after_close():
    chunks = [Chunk(np.zeros((10, 1)), 100.0, 0.0, ("a",)), Chunk(np.zeros((5, 1)), 100.0, 0.15, ("a",), lost=5)]
    src = _ListSource(chunks)
    assert [c.n_samples for c in src] == [10, 5]
    assert src.n_lost == 5 and src.n_samples == 15
    src.close()
    src.close()
    assert src.closed_calls == 1
    with pytest.raises(SourceError, match="closed"):
        src.read()


def test_unclosed_source_warns():
    src = _ListSource([])
    with pytest.warns(ResourceWarning, match="never closed"):
        src.__del__()


def test_register_source_adds_a_scheme():
    made = []

    def factory(url):
        made.append(url)
        return _ListSource([Chunk(np.ones((3, 1)), 100.0, 0.0, ("a",))])

    register_source("listtest", factory)
    try:
        with open_source("listtest://anything") as src:
            assert next(iter(src)).n_samples == 3
        assert made == ["listtest://anything"]
    finally:
        SOURCES.pop("listtest")
    with pytest.raises(ValueError, match="lower-case word"):
        register_source("Bad Scheme", factory)


def test_a_scheme_whose_module_fails_to_import_names_it():
    register_source("broken", "firmware_bridge._no_such_module:Thing")
    try:
        with pytest.raises(SourceError, match="_no_such_module"):
            open_source("broken://x")
    finally:
        SOURCES.pop("broken")


def test_a_failed_sim_source_does_not_warn_about_closing():
    import gc
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="unknown scenario"):
            SimSource("no_such_scenario")
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
