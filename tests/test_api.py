"""The README's Python examples run for real, headless, with no Qt imported."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

import twin
from twin.export.image import read_png

REPO = Path(__file__).resolve().parents[1]


def readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Python API"):]
    section = section[:section.index("\n## ", 4)]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_the_api_examples():
    blocks = readme_examples()
    assert len(blocks) == 3
    assert any("twin.open(" in b and "save_image(" in b for b in blocks)
    assert any("export_glb(" in b and "report(" in b for b in blocks)


def test_readme_examples_run_without_display_or_qt(hall_db, tmp_path):
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "ai-hall.twin.db").symlink_to(hall_db)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(REPO)
    check = "\nimport sys\nassert not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]\n"
    out = ""
    for i, block in enumerate(readme_examples()):
        result = subprocess.run([sys.executable, "-c", block + check], cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, f"example {i + 1} failed:\n{result.stderr}"
        out += result.stdout
    a06 = read_png(tmp_path / "a06.png")
    assert a06.shape == (1080, 1920, 3)
    # the hot rack fills the middle of its close-up, and under the thermal overlay it is red
    mid = a06[400:700, 800:1100].reshape(-1, 3).astype(int)
    reddish = (mid[:, 0] > 150) & (mid[:, 0] > mid[:, 2] + 60)
    assert reddish.mean() > 0.2, reddish.mean()
    assert read_png(tmp_path / "top.png").shape == (540, 960, 3)
    for name in ("hall.glb", "hall.usda", "review.html", "tables/parts.csv", "tables/findings.csv"):
        assert (tmp_path / name).stat().st_size > 500, name
    assert "parts draw over 5 kW" in out


def test_one_scene_serves_every_view(hall_db):
    t = twin.open(hall_db)
    plain = t.view(camera="top").image(size=(320, 180))
    scene = t.renderer().scene
    hot = t.view(overlay="thermal", camera="top").image(size=(320, 180))
    assert t.renderer().scene is scene
    assert plain.shape == hot.shape == (180, 320, 3)
    assert np.abs(plain.astype(int) - hot.astype(int)).mean() > 3      # the overlay recoloured the same scene


def test_tables_as_numpy_and_plain_rows(hall_db):
    t = twin.open(hall_db)
    parts = t.parts()
    assert len(parts["name"]) == len(t.design.parts)
    i = int(np.flatnonzero(parts["name"] == "A01-U01")[0])
    assert parts["rack"][i] == "A01" and parts["row"][i] == "A" and parts["vendor"][i]
    rows = t.parts_records()
    assert rows[i]["name"] == "A01-U01" and isinstance(rows[i]["power_w"], float)
    findings = t.findings_records()
    assert any(f["subject"] == "A06" and f["severity"] == "critical" for f in findings)


def test_bad_names_fail_at_once_with_the_choices(hall_db):
    t = twin.open(hall_db)
    for kwargs, word in (({"overlay": "sparkle"}, "sparkle"), ({"camera": "rack:NOPE"}, "NOPE"),
                         ({"camera": "rack:A01:sideways"}, "sideways")):
        try:
            t.view(**kwargs)
        except twin.errors.TwinError as exc:
            assert word in str(exc)
        else:
            raise AssertionError(f"{kwargs} was accepted")


def test_import_twin_stays_light():
    code = ("import sys, twin, twin.specs, twin.session; "
            "heavy = [m for m in sys.modules if m.startswith(('vtkmodules', 'PySide6', 'pxr'))]; "
            "assert not heavy, heavy[:5]; assert callable(twin.open)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
