"""One render path: a single `--view`, a batch, the scripting API take the same view names and
draw the same image for the same view (real CLI subprocesses, real offscreen VTK frames)."""

from __future__ import annotations

import sqlite3

import numpy as np

from tests.test_export_batch import twin_cli
from twin.export.image import read_png

SIZE = "480x270"


def test_single_rack_rear_view_works_and_equals_the_batch_image(hall_db, tmp_path):
    single = tmp_path / "single.png"
    result = twin_cli("export", "image", hall_db, "--view", "rack:A06:rear", "--size", SIZE, "-o", single, "-q")
    assert result.returncode == 0, result.stderr
    result = twin_cli("export", "image", hall_db, "--rack", "A06", "--views", "rear", "--quality", "high",
                      "--size", SIZE, "-o", tmp_path / "batch-{rack}-{view}.png", "-q")
    assert result.returncode == 0, result.stderr
    a, b = read_png(single).astype(int), read_png(tmp_path / "batch-A06-rear.png").astype(int)
    assert a.shape == b.shape == (270, 480, 3)
    diff = np.abs(a - b).max(axis=2)
    assert diff.mean() < 0.5 and (diff > 24).mean() < 0.002, (diff.mean(), (diff > 24).mean())


def test_rack_rear_view_looks_at_that_rack(hall_db, tmp_path):
    """Under thermal, A06 (the seeded hot rack: its inlet sensors read hot) shows red parts in
    the middle of its rear view; the rear view of A02, a cool rack, has no red in its middle."""
    def red(rack: str) -> tuple[np.ndarray, np.ndarray]:
        out = tmp_path / f"{rack}.png"
        result = twin_cli("export", "image", hall_db, "--view", f"rack:{rack}:rear", "--overlay", "thermal",
                          "--size", SIZE, "-o", out, "-q")
        assert result.returncode == 0, result.stderr
        px = read_png(out).astype(int)[:, :400]                   # the legend strip is at the right
        return np.nonzero((px[..., 0] > 150) & (px[..., 0] > px[..., 2] + 60))
    ys, xs = red("A06")
    assert len(xs) > 30, len(xs)
    assert 0.35 * 480 < xs.mean() < 0.6 * 480, xs.mean()
    _, xs = red("A02")
    assert not ((xs > 0.3 * 480) & (xs < 0.65 * 480)).any()


def test_a_batch_takes_every_view_a_single_image_takes(hall_db, tmp_path):
    with sqlite3.connect(hall_db) as db:
        hall = db.execute("SELECT name FROM halls ORDER BY id LIMIT 1").fetchone()[0]
    views = f"site,hall:{hall},rack:A06:top"
    result = twin_cli("export", "image", hall_db, "--views", views, "--size", "320x180",
                      "-o", tmp_path / "{index}.png", "-q")
    assert result.returncode == 0, result.stderr
    for index, view in enumerate(views.split(","), 1):
        single = tmp_path / f"single-{index}.png"
        result = twin_cli("export", "image", hall_db, "--view", view, "--size", "320x180", "-o", single, "-q")
        assert result.returncode == 0, (view, result.stderr)
        assert read_png(tmp_path / f"{index}.png").shape == read_png(single).shape == (180, 320, 3)
