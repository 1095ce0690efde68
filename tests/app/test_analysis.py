"""The offline analysis wiring: chunking invariance and the zero-phase mode."""

from __future__ import annotations

import numpy as np

from dsp import Chunk
from emgwatch.analysis import Overview, analyze_chunks, analyze_file
from firmware_bridge import simulate
from recordings import write_recording


def _key(e):
    return (round(e.onset_s, 6), round(e.offset_s, 6), e.trial_type, e.subtype, e.channels)


def test_any_chunking_gives_the_same_events_and_summary():
    rec = simulate("exercise_cramp", device="cyton_250", duration_s=60, seed=77)
    runs = [analyze_chunks(rec.chunks(n), fs=rec.fs, channels=rec.channels, keep_plot_data=False)
            for n in (1, 13, 250, 100_000)]
    first = sorted(map(_key, runs[0].events))
    assert first, "the scenario must produce events"
    for other in runs[1:]:
        assert sorted(map(_key, other.events)) == first
        assert other.summary == runs[0].summary


def test_zero_phase_analysis_finds_the_cramp(tmp_path):
    rec = simulate("night_calf_cramp", device="cyton_250", duration_s=90, seed=21)
    path = tmp_path / "n.edf"
    write_recording(path, rec.data, rec.fs, rec.channels, events_tsv=False)
    truth = [e for e in rec.truth if e.trial_type == "cramp"][0]
    for zero_phase in (False, True):
        res = analyze_file(path, zero_phase=zero_phase, keep_plot_data=False)
        cramps = [e for e in res.events if e.trial_type == "cramp"]
        assert len(cramps) == 1, (zero_phase, cramps)
        assert abs(cramps[0].onset_s - truth.onset_s) < 2.5  # the ramp lasts 1-4 s


def test_overview_keeps_a_fixed_budget_and_true_extremes():
    ov = Overview(("a",), fs=100.0)
    rng = np.random.default_rng(0)
    data = rng.normal(size=(200_000, 1)).astype(np.float32)
    data[123_457, 0] = 50.0
    for i in range(0, len(data), 997):
        ov.add(data[i : i + 997])
    t, mins, maxs = ov.arrays()
    assert len(t) <= 2 * 4000 + 2
    assert maxs.max() == 50.0 and mins.min() == data[: len(mins) * ov.bin_samples].min()
    assert abs(t[np.argmax(maxs[:, 0])] - 1234.57) < 2 * ov.bin_samples / 100.0


def test_a_ganglion_recording_with_lost_packets_reads_back_as_it_streamed(tmp_path):
    # EDF has no NaN: the writer stores lost samples as 0 with a BAD_lost
    # annotation, and the reader turns them back into NaN. Read as 0 µV they
    # had been steps from the board's offset: "flat" stretches, their edges
    # dropping twitches (a 2-min file gave 207 twitches where its stream gave 200).
    rec = simulate("rest_frequent", device="ganglion_200", duration_s=40, seed=7005)
    assert np.isnan(rec.data).any(), "the Ganglion model must lose packets"
    path = tmp_path / "g.bdf"
    write_recording(path, rec.data, rec.fs, rec.channels, events_tsv=False)
    from_file = analyze_file(path, keep_plot_data=False)
    chunks = (Chunk(rec.data[i : i + 20], rec.fs, i / rec.fs, tuple(rec.channels)) for i in range(0, len(rec.data), 20))
    streamed = analyze_chunks(chunks, fs=rec.fs, channels=rec.channels, keep_plot_data=False)

    def count(res, kind):
        return sum(1 for e in res.events if e.trial_type == kind or e.subtype == kind)

    assert count(from_file, "dropout") == count(streamed, "dropout") > 0
    assert abs(count(from_file, "fasciculation") - count(streamed, "fasciculation")) <= 1
    assert count(from_file, "flat") == 0
