"""`twin export image` reads a design's cables only when the image draws or colours them, and
still says what reading them found. Real CLI subprocesses on a real ai-hall file edited by SQL.

Why: reading hall-2000's 297,440 cables was a third of a headless export of an iso view that
draws none; the picture must be the same as an eager load's, and a cable the loader repairs
must still be named when the image uses the cables.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from tests.support import edited
from twin.export.image import read_png, render_design
from twin.store import load_design

WARNING = "table cables, row id {id}: a_port_id points to no port"


def _twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *args], capture_output=True, text=True, timeout=300)


def test_an_image_that_uses_the_cables_reads_them_and_names_what_it_repaired(hall_db, tmp_path):
    import sqlite3

    with sqlite3.connect(hall_db) as conn:
        (first,) = conn.execute("SELECT min(id) FROM cables").fetchone()
    path = edited(hall_db, tmp_path, f"UPDATE cables SET a_port_id = 999999999 WHERE id = {first}")
    run = _twin("export", "image", str(path), "-o", str(tmp_path / "c.png"), "--size", "320x180", "--overlay", "cabling")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count(WARNING.format(id=first)) == 1, run.stderr


def test_a_deferred_export_draws_what_an_eager_load_draws(hall_db, tmp_path):
    out = tmp_path / "top.png"
    run = _twin("export", "image", str(hall_db), "-o", str(out), "--size", "480x270", "--view", "top")
    assert run.returncode == 0, run.stderr
    eager, _ = render_design(load_design(hall_db), view="top", size=(480, 270))
    diff = np.abs(read_png(out).astype(int) - eager.astype(int)).max(axis=2)
    assert (diff > 24).mean() < 0.001
