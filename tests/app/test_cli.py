"""The CLI as a user meets it: help, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from emgwatch.cli import build_parser, main


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emgwatch", *args], capture_output=True, text=True,
                          timeout=600, **kw)


def test_help_lists_every_verb_with_examples(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for verb in ("analyze", "monitor", "devices", "simulate", "info", "convert", "evaluate", "history"):
        assert verb in out
    assert "examples:" in out


@pytest.mark.parametrize("verb", ["analyze", "monitor", "devices", "simulate", "info", "convert", "evaluate", "history"])
def test_every_verb_help_has_examples(verb, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([verb, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"emgwatch {verb}" in out


def test_missing_file_is_exit_2_with_one_line(tmp_path):
    missing = tmp_path / "nope.edf"
    proc = run("analyze", str(missing))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert str(missing) in proc.stderr and "Traceback" not in proc.stderr


def test_unsupported_file_is_exit_2_naming_it(tmp_path):
    bad = tmp_path / "mystery.xyz"
    bad.write_bytes(b"\x00\x01\x02garbage" * 10)
    proc = run("analyze", str(bad))
    assert proc.returncode == 2, proc.stderr
    assert "mystery.xyz" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_option_value_is_usage_error():
    proc = run("analyze", "--mains", "55", "x.edf")
    assert proc.returncode == 2
    assert "mains must be 50 or 60" in proc.stderr


def test_history_lists_plots_and_deletes(tmp_path):
    from recordings import write_recording
    from firmware_bridge import simulate

    rec = simulate("night_calf_cramp", device="cyton_250", duration_s=60, seed=12)
    path = tmp_path / "night.edf"
    write_recording(path, rec.data, rec.fs, rec.channels, events_tsv=False)
    assert run("analyze", str(path)).returncode == 0
    listed = run("history")
    assert listed.returncode == 0 and "night.edf" in listed.stdout
    png = tmp_path / "h.png"
    assert run("history", "--plot", str(png)).returncode == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert run("history", "--delete-all").returncode == 0
    assert "no analyses" in run("history").stdout
