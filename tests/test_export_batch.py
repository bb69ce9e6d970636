"""Image batches from one scene, and how exports fail: one line, exit 1, no half-written file."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from twin.export.image import read_png
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]


def twin_cli(*args, preexec=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600, cwd=REPO, preexec_fn=preexec)


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("twin: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_row_batch_writes_every_rack_view_and_overlay(hall_db, tmp_path):
    design = load_design(hall_db)
    racks = design.racks.name[design.racks.row == "G"].tolist()
    result = twin_cli("export", "image", hall_db, "--row", "G", "--views", "front,top", "--overlays", "none,power",
                      "-o", tmp_path / "{row}" / "{rack}-{view}-{overlay}.png", "--size", "320x180", "-q")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "G").iterdir())
    assert written == sorted(f"{r}-{v}-{o}.png" for r in racks for v in ("front", "top") for o in ("none", "power"))
    assert "per second" in result.stdout
    a, b = read_png(tmp_path / "G" / f"{racks[0]}-front-none.png"), read_png(tmp_path / "G" / f"{racks[1]}-front-none.png")
    assert a.shape == (180, 320, 3) and np.abs(a.astype(int) - b.astype(int)).mean() > 1   # the camera moved


def test_rack_close_up_of_the_hot_rack_is_red_under_thermal(hall_db, tmp_path):
    result = twin_cli("export", "image", hall_db, "--rack", "A06", "--views", "front", "--overlays", "thermal,none",
                      "--quality", "high", "-o", tmp_path / "{rack}-{overlay}.png", "--size", "480x270", "-q")
    assert result.returncode == 0, result.stderr
    def red_share(name: str) -> float:
        mid = read_png(tmp_path / name)[80:190, 180:300].reshape(-1, 3).astype(int)
        return float(((mid[:, 0] > 150) & (mid[:, 0] > mid[:, 2] + 60)).mean())
    assert red_share("A06-thermal.png") > 0.25
    assert red_share("A06-none.png") < 0.05


def test_bad_batch_input_fails_before_drawing(hall_db, tmp_path):
    out = str(tmp_path / "{rack}-{view}-{overlay}.png")
    one_line_error(twin_cli("export", "image", hall_db, "--each-rack", "--overlays", "thermal,sparkle", "-o", out,
                            "-q"), "sparkle")
    one_line_error(twin_cli("export", "image", hall_db, "--rack", "Z99", "-o", out, "-q"), "Z99")
    one_line_error(twin_cli("export", "image", hall_db, "--row", "Q", "-o", out, "-q"), "'Q'", "rows:")
    one_line_error(twin_cli("export", "image", hall_db, "--row", "G", "--views", "sideways", "-o", out, "-q"),
                   "sideways")
    one_line_error(twin_cli("export", "image", hall_db, "--row", "G", "-o", tmp_path / "same.png", "-q"),
                   "same name")
    one_line_error(twin_cli("export", "glb", hall_db, "--overlay", "sparkle", "-o", tmp_path / "x.glb"), "sparkle")
    assert not list(tmp_path.iterdir())


def test_unwritable_output_is_one_line(hall_db, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    for what, name in (("glb", "x.glb"), ("usd", "x.usd"), ("report", "x.html")):
        line = one_line_error(twin_cli("export", what, hall_db, "-o", blocker / name, "-q"), str(blocker / name))
        assert "folder" in line
    one_line_error(twin_cli("export", "csv", hall_db, "-o", blocker, "-q"), str(blocker))


def _limit_file_size(limit: int = 100_000) -> None:
    # a 100 kB file size limit stands in for a full disk: writes past it fail with EFBIG, not a signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_write_that_fails_half_way_leaves_no_file(hall_db, tmp_path):
    out = tmp_path / "hall.glb"
    out.write_bytes(b"the previous export")
    line = one_line_error(twin_cli("export", "glb", hall_db, "-o", out, "-q", preexec=_limit_file_size), str(out))
    assert "size limit" in line or "disk" in line
    assert out.read_bytes() == b"the previous export"          # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.glb"]   # and no temp file is left
    report = tmp_path / "review.html"
    one_line_error(twin_cli("export", "report", hall_db, "-o", report, "--size", "320x180", "-q",
                            preexec=_limit_file_size), str(report))
    assert not report.exists()
