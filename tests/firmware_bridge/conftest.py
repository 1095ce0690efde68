"""Shared helpers for the firmware_bridge tests: small scenario files written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest

CALF = """
[[muscle]]
name = "gastrocnemius_medial"
x_mm = [0.0, 150.0]
y_mm = [0.0, 40.0]
depth_mm = [3.0, 18.0]

[[muscle]]
name = "tibialis_anterior"
x_mm = [0.0, 180.0]
y_mm = [120.0, 160.0]

[electrodes]
sites = [[75.0, 10.0], [75.0, 30.0], [75.0, 130.0], [75.0, 150.0]]
"""


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario TOML (the calf anatomy is appended) and return its path."""

    def _write(body: str, name: str = "custom", anatomy: str = CALF) -> Path:
        path = tmp_path / f"{name}.toml"
        path.write_text(body + "\n" + anatomy, encoding="utf-8")
        return path

    return _write
