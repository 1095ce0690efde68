"""The live monitor against the simulated board (a real source, paced at full speed)."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np

from emgwatch.analysis import analyze_chunks
from emgwatch.monitor import run_monitor
from emgwatch.sources import FileSource
from firmware_bridge import open_source, simulate


def test_monitor_plain_records_a_readable_file(tmp_path):
    out = tmp_path / "live.bdf"
    proc = subprocess.run(
        [sys.executable, "-m", "emgwatch", "monitor", "sim://rest_frequent?speed=0&duration=20&device=cyton_250",
         "--plain", "--record", str(out), "--no-history"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "fasciculation" in proc.stdout
    assert "monitored 20.0 s" in proc.stdout
    from recordings import read_recording

    rec = read_recording(out)
    assert rec.fs == 250 and rec.data.shape == (20 * 250, 8)
    original = simulate("rest_frequent", device="cyton_250", duration_s=20).data
    # BDF+ stores 24-bit integers: values survive to within one quantisation step.
    step = (np.nanmax(np.abs(original)) * 2) / (2**24 - 1)
    np.testing.assert_allclose(rec.data, original, atol=max(step * 2, 0.05))


def test_live_loop_finds_what_offline_analysis_finds():
    url = "sim://night_calf_cramp?speed=0&duration=90&device=ganglion_200&chunk=7&seed=4"
    with open_source(url) as src:
        live = run_monitor(src, label=url, plain=True)
    rec = simulate("night_calf_cramp", device="ganglion_200", duration_s=90, seed=4)
    offline = analyze_chunks(rec.chunks(4096), fs=rec.fs, channels=rec.channels, keep_plot_data=False)
    key = lambda e: (round(e.onset_s, 6), e.trial_type, e.channels)  # noqa: E731
    assert sorted(map(key, live.events)) == sorted(map(key, offline.events))
    assert live.counts["cramp"] >= 1
    # the Ganglion's lost packets are counted in the header, not listed one by one
    drops = [e for e in live.events if e.subtype == "dropout"]
    assert live.gaps == len(drops) > 0 and not any(e.subtype == "dropout" for e in live.recent)


def test_a_strong_heartbeat_is_counted_not_listed_and_not_called_movement():
    # Its P and T waves trip dsp's motion guard at every beat; once they keep
    # the heart's rhythm they are heartbeats (seen live as a screen of
    # "motion" rows before: 0 heartbeats and 38 motion flags here, now 20
    # and 18; most of the rest merge two beats as the rate rises, or start the
    # recording before a train is seen).
    url = "sim://trunk_ecg?speed=0&duration=30&device=cyton_wifi_1000&seed=9"
    with open_source(url) as src:
        live = run_monitor(src, label=url, plain=True)
    beats = [e for e in live.events if e.subtype == "ecg"]
    motion = [e for e in live.events if e.subtype == "motion"]
    assert live.heartbeats == len(beats) >= 18 and len(motion) < len(beats)
    assert not any(e.subtype == "ecg" for e in live.recent)


def test_file_source_replays_a_recording_in_chunks(tmp_path):
    from recordings import write_recording

    rec = simulate("rest_benign", device="cyton_250", duration_s=5, seed=2)
    path = tmp_path / "r.edf"
    write_recording(path, rec.data, rec.fs, rec.channels)
    with FileSource(path, speed=0, chunk_samples=33) as src:
        chunks = list(src)
    assert all(c.n_samples == 33 for c in chunks[:-1])
    assert sum(c.n_samples for c in chunks) == rec.data.shape[0]
    assert chunks[1].t0 == 33 / rec.fs


def test_monitor_reads_a_cyton_over_a_real_serial_port(tmp_path):
    # The board is an emulator speaking the Cyton protocol on a pty pair: the
    # CLI opens a real serial port by URL, as it would a USB dongle.
    from firmware_bridge.emulators import CytonEmulator

    rec = simulate("night_calf_cramp", device="cyton_250", duration_s=40, seed=8)
    out = tmp_path / "cyton.bdf"
    with CytonEmulator(rec.data, speed=4.0) as board:
        proc = subprocess.run(
            [sys.executable, "-m", "emgwatch", "monitor", f"cyton://{board.port}", "--plain", "--duration", "30",
             "--record", str(out), "--no-history"],
            capture_output=True, text=True, timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    # it stops at the first chunk past 30 s; a busy machine reads bigger chunks
    seconds = float(re.search(r"monitored ([0-9.]+) s", proc.stdout).group(1))
    assert 30.0 <= seconds < 31.0, proc.stdout[-300:]
    from recordings import read_recording

    got = read_recording(out)
    assert got.fs == 250 and got.data.shape[1] == 8 and got.data.shape[0] >= 30 * 250
    # What arrived over the wire is the simulated signal (24-bit counts of 0.02235 µV).
    n = 30 * 250
    np.testing.assert_allclose(got.data[:n], rec.data[:n], atol=0.05)


def test_live_monitor_flags_single_samples_at_the_boards_rails():
    # A Cyton's ADC saturates at +-187500 uV (gain 24); one sample there is
    # clipping even if the next is not, and the source tells the monitor where.
    from firmware_bridge import SimRecording, SimSource

    rec = simulate("rest_benign", device="cyton_250", duration_s=20, seed=3)
    data = rec.data.copy()
    data[1250, 1] = 187500.0  # 5 s, ch2
    data[3000, 1] = -187500.0  # 12 s
    hit = SimRecording(data, rec.fs, rec.channels, rec.truth, rec.meta)
    with SimSource(hit, speed=0) as src:
        assert src.rails == (-187500.0, 187500.0)
        live = run_monitor(src, label="sim", plain=True)
    clips = [e for e in live.events if e.subtype == "clipping"]
    assert [round(e.onset_s) for e in clips] == [5, 12] and all(e.channels == ("ch2",) for e in clips)


def test_live_monitor_shows_provisional_twitches_and_settles_each_one(capsys):
    url = "sim://rest_frequent?speed=0&duration=40&device=cyton_wifi_1000&seed=5"
    with open_source(url) as src:
        live = run_monitor(src, label=url, plain=True)
    out = capsys.readouterr().out.splitlines()
    early = [ln for ln in out if "twitch? (checking)" in ln]
    assert len(early) == live.n_provisional >= 5
    assert live.provisional == [] and 0 <= live.n_withdrawn < 0.5 * live.n_provisional
    # a confirmed provisional line comes before the final line of its discharge
    final_at = {ln.split()[0]: i for i, ln in enumerate(out) if " fasciculation" in ln}
    pairs = [(out.index(ln), final_at[ln.split()[0]]) for ln in early if ln.split()[0] in final_at]
    assert len(pairs) >= 0.5 * len(early) and all(a < b for a, b in pairs)


def test_settling_counts_provisional_twitches_the_final_decision_did_not_confirm():
    from dsp import Event
    from emgwatch.monitor import MonitorState, settle_provisional

    def ev(t, kind="fasciculation", subtype=""):
        return Event(("ch1",), t - 0.01, t + 0.01, 20.0, kind, 0.5, "", subtype=subtype, features={"t_peak_s": t})

    state = MonitorState(source="test", fs=250.0, channels=("ch1",))
    state.provisional = [ev(1.0, subtype="provisional"), ev(2.0, subtype="provisional"),
                         ev(3.0, subtype="provisional"), ev(9.0, subtype="provisional")]
    settle_provisional(state, [ev(1.004), ev(2.0, "artifact", "ecg")], decided_s=9.2, hold_s=3.8)
    # 1.0 confirmed, 2.0 turned out a heartbeat, 3.0 never decided (absorbed), 9.0 still pending
    assert state.n_withdrawn == 2 and [_peak(p) for p in state.provisional] == [9.0]


def _peak(e):
    return e.features["t_peak_s"]


def test_a_file_read_in_big_chunks_does_not_withdraw_twitches_it_then_confirms(tmp_path, capsys):
    # Reading time jumps 6 s per chunk here, past the classifier's hold; a
    # provisional call is settled by the decisions' own clock (with sparse
    # twitches the clock lags the reading, and one was withdrawn and then
    # confirmed).
    from recordings import write_recording

    rec = simulate("rest_benign", device="cyton_250", duration_s=300, seed=6)  # sparse twitches
    path = tmp_path / "r.edf"
    write_recording(path, rec.data, rec.fs, rec.channels)
    with FileSource(path, speed=0, chunk_samples=1500) as src:
        live = run_monitor(src, label="file", plain=True)
    out = capsys.readouterr().out.splitlines()
    early = {ln.split()[0] for ln in out if "twitch? (checking)" in ln}
    confirmed = early & {ln.split()[0] for ln in out if " fasciculation" in ln}
    assert live.n_provisional == len(early) > 0 and confirmed
    # Two calls confirmed and one (a faint spike on ch8 where no twitch was
    # simulated) withdrawn: a withdrawn call is never among the confirmed.
    assert live.n_withdrawn <= live.n_provisional - len(confirmed) and len(confirmed) >= 2


def test_the_header_says_how_much_data_was_lost_in_words():
    from emgwatch.monitor import MonitorState, _losses

    state = MonitorState(source="test", fs=200.0, channels=("ch1",))
    assert _losses(state) == "no data lost"
    state.lost = 6  # the packet counter knows at once ...
    assert _losses(state) == "data lost: 6 samples"
    state.gaps, state.gap_s = 24, 0.74  # ... the gaps, with NaN rows too, once decided
    assert _losses(state) == "data lost: 0.74 s in 24 gaps"


def test_the_last_event_line_says_what_a_possible_weak_cramp_piece_means():
    import io

    from rich.console import Console

    from dsp import Event
    from emgwatch.monitor import MonitorState, _render_dashboard

    state = MonitorState(source="test", fs=1000.0, channels=("ch8",))
    state.recent.append(Event(("ch8",), 227.97, 228.4, 50.0, "voluntary", 0.5, subtype="weak_on_off"))
    console = Console(width=220, record=True, file=io.StringIO())
    console.print(_render_dashboard(state))
    text = console.export_text()
    assert "voluntary/weak_on_off" in text
    assert "last event: a brief low-level contraction, one of several in a row" in text
    assert "possibly a weak cramp breaking up" in text
    state.recent.append(Event(("ch8",), 240.0, 242.0, 80.0, "voluntary", 0.9))
    console.print(_render_dashboard(state))
    assert "last event: a voluntary contraction" in console.export_text()
