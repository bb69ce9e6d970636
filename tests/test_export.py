"""Headless image export, for real: the CLI with no DISPLAY, compared against baselines.

Baselines live in tests/baselines; after an intended visual change regenerate them with
`TWIN_UPDATE_BASELINES=1 make test` and look at every image before committing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twin.export.image import read_png, render_design, write_png
from twin.store import load_design

BASELINES = Path(__file__).parent / "baselines"
SIZE = "480x270"


def _headless_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _export(db: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", "export", "image", str(db), "-o", str(out),
                           "--size", SIZE, *args], capture_output=True, text=True, env=_headless_env(),
                          timeout=300)


def _compare(image: np.ndarray, name: str) -> None:
    baseline_path = BASELINES / name
    if os.environ.get("TWIN_UPDATE_BASELINES"):
        write_png(image, baseline_path)
    baseline = read_png(baseline_path)
    assert image.shape == baseline.shape
    diff = np.abs(image.astype(int) - baseline.astype(int)).max(axis=2)
    assert diff.mean() < 4.0, f"{name}: mean difference {diff.mean():.2f}"
    assert (diff > 48).mean() < 0.02, f"{name}: {(diff > 48).mean():.1%} of pixels differ strongly"


@pytest.mark.parametrize("scene_name,view", [("pod", "iso"), ("hall", "top"), ("hall", "iso"), ("pod", "rack:A03")])
def test_cli_export_matches_baseline_without_a_display(scene_name, view, pod_db, hall_db, tmp_path):
    db = pod_db if scene_name == "pod" else hall_db
    out = tmp_path / "out.png"
    result = _export(db, out, "--view", view)
    assert result.returncode == 0, result.stderr
    image = read_png(out)
    assert image.shape == (270, 480, 3)
    _compare(image, f"{scene_name}-{view.replace(':', '-')}.png")


def test_export_puts_racks_where_they_stand_and_highlights_selection(hall_db):
    design = load_design(hall_db)
    image, scene = render_design(design, view="top", size=(480, 270), select="F03")
    r = design.rack_index("F03")
    x, y = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.1]))[0].round().astype(int)
    r_, g, b = image[y, x].astype(int)
    assert b > 150 and g > 150 and r_ < 120          # highlighted in cyan
    x, y = scene.camera.project(scene.geometry.rack_centre[design.rack_index("A01")] + np.array([0, 0, 1.1]))[0].round().astype(int)
    assert image[y, x].astype(int).mean() < 110      # a dark rack, not floor


def test_thermal_export_shows_the_hot_rack_red(hall_db, tmp_path):
    out = tmp_path / "thermal.png"
    result = _export(hall_db, out, "--view", "top", "--overlay", "thermal")
    assert result.returncode == 0, result.stderr
    image = read_png(out)
    design = load_design(hall_db)
    _, scene = render_design(design, view="top", size=(480, 270), overlay="thermal")   # framed beside its legend
    def colour(rack: str) -> np.ndarray:
        x, y = scene.camera.project(scene.geometry.rack_centre[design.rack_index(rack)] + np.array([0, 0, 1.2]))[0].round().astype(int)
        return image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)
    hot = colour("A06")
    assert hot[0] > 150 and hot[0] > hot[2] + 60, hot
    cool = colour("A02")
    assert not (cool[0] > 150 and cool[0] > cool[2] + 60), cool
    _compare(image, "hall-top-thermal.png")


def test_export_errors_are_one_clear_line(hall_db, tmp_path):
    result = _export(hall_db, tmp_path / "x.png", "--view", "rack:NOPE")
    assert result.returncode == 1
    assert "NOPE" in result.stderr and "Traceback" not in result.stderr
    result = _export(hall_db, tmp_path / "x.png", "--overlay", "sparkle")
    assert result.returncode == 1 and "sparkle" in result.stderr
    result = _export(tmp_path / "missing.twin.db", tmp_path / "x.png")
    assert result.returncode == 1 and "missing.twin.db" in result.stderr
    assert not (tmp_path / "x.png").exists()
