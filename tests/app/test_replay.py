"""Replay tests: simulate a recording with known events, analyse it as a user
would (subprocesses, files on disk), and check the events table against the
ground truth the simulator wrote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from recordings import read_events_tsv


def run(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "emgwatch", *args], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"emgwatch {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _iou(a, b) -> float:
    inter = max(0.0, min(a.offset_s, b.offset_s) - max(a.onset_s, b.onset_s))
    union = max(a.offset_s, b.offset_s) - min(a.onset_s, b.onset_s)
    return inter / union if union > 0 else 0.0


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> tuple[Path, Path, Path]:
    out = tmp_path_factory.mktemp("replay")
    rec = out / "night.edf"
    run("simulate", "night_calf_cramp", "--device", "cyton_250", "--duration", "150", "--seed", "901",
        "-o", str(rec))
    truth = out / "night_events.tsv"
    assert truth.exists(), "simulate must write <name>_events.tsv beside the recording"
    found = out / "found_events.tsv"
    report = out / "night.png"
    run("analyze", str(rec), "--events", str(found), "--json", str(out / "night.json"),
        "--report", str(report), "--no-history")
    return truth, found, out


def test_every_true_cramp_is_found_with_its_timing(night):
    truth_path, found_path, _ = night
    truth = [e for e in read_events_tsv(truth_path) if e.trial_type == "cramp"]
    found = [e for e in read_events_tsv(found_path) if e.trial_type == "cramp"]
    assert truth, "the scenario must contain a cramp"
    for t in truth:
        best = max(found, key=lambda f: _iou(t, f), default=None)
        assert best is not None and _iou(t, best) >= 0.2, f"cramp {t.onset_s:.1f}-{t.offset_s:.1f} s not found"
        assert abs(best.onset_s - t.onset_s) <= 2.0
    # No invented cramps: each found cramp overlaps a true one.
    for f in found:
        assert any(_iou(t, f) > 0 for t in truth), f"false cramp at {f.onset_s:.1f} s"


@pytest.fixture(scope="module")
def twitches(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("replay_twitches")
    rec = out / "rest.edf"
    run("simulate", "rest_frequent", "--device", "cyton_wifi_1000", "--duration", "120", "--seed", "902",
        "-o", str(rec))
    found = out / "found_events.tsv"
    run("analyze", str(rec), "--events", str(found), "--no-history")
    return out / "rest_events.tsv", found


def test_clear_twitches_are_found_at_their_time(twitches):
    truth_path, found_path = twitches
    # The table carries no SNR, so take it from the same simulation in-process
    # (same scenario, device, duration and seed give bit-identical output).
    from firmware_bridge import simulate

    truth = simulate("rest_frequent", device="cyton_wifi_1000", duration_s=120, seed=902).truth
    assert len(truth) == len(read_events_tsv(truth_path))
    mid = lambda e: (e.onset_s + e.offset_s) / 2  # noqa: E731
    clear = [e for e in truth if e.trial_type == "fasciculation" and e.features["snr"] >= 5]
    twitches_all = [e for e in truth if e.trial_type == "fasciculation"]
    found = [e for e in read_events_tsv(found_path) if e.trial_type == "fasciculation"]
    assert len(clear) >= 100, "the scenario must contain many clear twitches"
    hits = sum(any(abs(mid(f) - mid(t)) <= 0.05 for f in found) for t in clear)
    # Regression floors for this one recording (0.73 and 0.88 when written);
    # the targets are measured by 'emgwatch evaluate' on held-out seeds.
    assert hits / len(clear) >= 0.65, f"only {hits} of {len(clear)} clear twitches found"
    true_positive = sum(any(abs(mid(f) - mid(t)) <= 0.05 for t in twitches_all) for f in found)
    assert true_positive / len(found) >= 0.8, f"{len(found) - true_positive} of {len(found)} invented"


def test_no_twitches_invented_around_a_cramp(night):
    truth_path, found_path, _ = night
    truth = read_events_tsv(truth_path)
    mid = lambda e: (e.onset_s + e.offset_s) / 2  # noqa: E731
    twitches_all = [e for e in truth if e.trial_type == "fasciculation"]
    found = [e for e in read_events_tsv(found_path) if e.trial_type == "fasciculation"]
    invented = [f for f in found if not any(abs(mid(f) - mid(t)) <= 0.05 for t in twitches_all)]
    # A cramp's own units on neighbouring channels are not twitches (2 slip
    # through at its ramp and fade on this 250 Hz recording; 10 did before dsp
    # flagged spikes near sustained activity).
    assert len(invented) <= 2, [round(f.onset_s, 2) for f in invented]


def test_outputs_are_what_a_user_expects(night):
    _, found_path, out = night
    header = found_path.read_text().splitlines()[0].split("\t")
    assert header[:6] == ["onset", "duration", "trial_type", "channel", "peak_uv", "confidence"]
    data = json.loads((out / "night.json").read_text())
    assert data["summary"]["cramps"] >= 1
    assert any("does not diagnose" in " ".join(b["lines"]) + b["title"] for b in data["advice"])
    # every event carries the measurements behind its class, without the
    # ones that do not apply to it
    for e in data["events"]:
        assert e["features"]["duration_s"] > 0 and e["features"]["peak_snr"] > 0, e
        assert None not in e["features"].values(), e
    cramp = next(e for e in data["events"] if e["trial_type"] == "cramp")
    assert 20.0 < cramp["features"]["mpf_hz"] < 0.5 * data["fs_hz"]
    png = (out / "night.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
