"""Shared fixtures: the real public data beside the repo and designs built from the sample scenes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from twin.specs import build_design

REPO = Path(__file__).resolve().parents[1]
SCENES = REPO / "scenes"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or $TWIN_SHARED_DATA): real NetBox data and mesh corpora. Missing means a broken checkout."""
    path = Path(os.environ.get("TWIN_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"shared test data not found at {path}; set TWIN_SHARED_DATA to the shared/data folder")
    return path


def _built(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    out = tmp_path_factory.mktemp("designs") / f"{name}.twin.db"
    build_design(SCENES / f"{name}.toml", out)
    return out


@pytest.fixture(scope="session")
def pod_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenes/nvl72-pod.toml built once per test session."""
    return _built(tmp_path_factory, "nvl72-pod")


@pytest.fixture(scope="session")
def hall_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenes/ai-hall.toml (with its seeded faults) built once per test session."""
    return _built(tmp_path_factory, "ai-hall")


@pytest.fixture(scope="session")
def hall2000_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenes/hall-2000.toml: the 2,000-rack scale case, built once per test session."""
    return _built(tmp_path_factory, "hall-2000")


@pytest.fixture(scope="session")
def campus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scenes/campus.toml: the four-hall site case, built once per test session (~20 s)."""
    return _built(tmp_path_factory, "campus")
