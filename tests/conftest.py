"""Test-wide fixtures: the shared real-data folder, and a private history."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the repo; tests that need it skip on a user's clone."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (a user's clone has none)")
    return SHARED


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory, monkeypatch):
    # Never write into the developer's real history from a test.
    monkeypatch.setenv("EMGWATCH_HOME", str(tmp_path_factory.mktemp("emgwatch_home")))
