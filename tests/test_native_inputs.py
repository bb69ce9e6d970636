"""Inputs that used to kill the process inside VTK are refused (or made safe) before VTK sees them.

- a NaN or infinite `--field-slice` segfaulted the cutter;
- a few hundred bytes of .vti declaring 10^15 points made VTK allocate them and abort;
- a design name stored as a BLOB (invalid UTF-8) aborted VTK's text renderer, and a 10 MB one
  took minutes and gigabytes;
- bidi overrides and zero-width characters reached the terminal raw.

Each case runs the real `twin` command in a subprocess (a crash is an exit status, not a
Python exception) and checks the exit code, the one line of error, and the child's own
peak memory (os.wait4).
"""

from __future__ import annotations

import os
import signal
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.export.image import read_png
from twin.text import display_text, terminal_safe

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FIELD = REPO / "scenes" / "ai-hall-air.vti"


def run(*args, timeout: float = 180) -> tuple[subprocess.CompletedProcess, float]:
    """`twin ARGS` in a subprocess (its peak memory is not measured: 0.0)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "twin", *map(str, args)], cwd=REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)
    return done, 0.0


#: Runs the command given after the result file and writes its peak RSS (KB) there. Why a
#: launcher: Linux counts the RSS of the process that forked (and exec'd) into a child's
#: ru_maxrss, so a child forked straight from a big pytest process reports pytest's size; a
#: grandchild forked from this small launcher reports its own.
_LAUNCHER = """
import os, resource, signal, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
if rc < 0:
    signal.signal(-rc, signal.SIG_DFL)
    os.kill(os.getpid(), -rc)
sys.exit(rc)
"""


def run_measured(*args, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float]:
    """Like `run`, with the command's own peak RSS (MB), read through a small launcher (see above)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    stamp = f"{os.getpid()}-{time.monotonic_ns()}"
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    err_path, rss_path = tmp / f"twin-err-{stamp}", tmp / f"twin-rss-{stamp}"
    with open(os.devnull, "wb") as null, open(err_path, "w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(rss_path), sys.executable, "-m", "twin",
                                 *map(str, args)], cwd=REPO, env=env, stdout=null, stderr=err,
                                start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)       # the launcher and the command it runs
            proc.wait()
            pytest.fail(f"twin {' '.join(map(str, args))} ran over {timeout} s")
        err.seek(0)
        text = err.read()
    err_path.unlink()
    peak_kb = float(rss_path.read_text())
    rss_path.unlink()
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", text), peak_kb / 1024


def one_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("twin: error:")
    return lines[0]


@pytest.fixture()
def hall(hall_db, tmp_path) -> Path:
    copy = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, copy)
    return copy


@pytest.mark.parametrize("position", ["nan", "inf", "-inf", "NaN", "1e400"])
def test_a_slice_that_is_not_a_finite_number_is_refused(hall_db, tmp_path, position):
    out = tmp_path / "f.png"
    done, _ = run("export", "image", hall_db, "-o", out, "--size", "64x64", "--field", SAMPLE_FIELD,
                  "--field-slice", f"z={position}")
    line = one_error(done)
    assert "--field-slice" in line and "finite" in line
    assert not out.exists()


def test_a_nan_isosurface_value_is_refused_and_a_finite_one_draws(hall_db, tmp_path):
    out = tmp_path / "f.png"
    done, _ = run("export", "image", hall_db, "-o", out, "--size", "64x64", "--field", SAMPLE_FIELD, "--iso", "nan")
    assert "--iso" in one_error(done)
    assert not out.exists()
    done, _ = run("export", "image", hall_db, "-o", out, "--size", "160x90", "--field", SAMPLE_FIELD, "--iso", "30")
    assert done.returncode == 0, done.stderr
    assert read_png(out).std() > 5


def _tiny_vti(path: Path, extent: str, origin: str = "0 0 0", spacing: str = "1 1 1") -> Path:
    path.write_text(
        '<?xml version="1.0"?>\n<VTKFile type="ImageData" version="0.1" byte_order="LittleEndian">\n'
        f'  <ImageData WholeExtent="{extent}" Origin="{origin}" Spacing="{spacing}">\n'
        f'    <Piece Extent="{extent}">\n      <PointData Scalars="T">\n'
        '        <DataArray type="Float32" Name="T" format="ascii">1 2 3</DataArray>\n'
        '      </PointData>\n    </Piece>\n  </ImageData>\n</VTKFile>\n')
    return path


def test_a_tiny_vti_declaring_1e15_points_is_refused_from_its_header(hall_db, tmp_path):
    field = _tiny_vti(tmp_path / "huge.vti", "0 99999 0 99999 0 99999")
    assert field.stat().st_size < 450
    done, peak_mb = run_measured("export", "image", hall_db, "-o", tmp_path / "f.png", "--size", "64x64",
                                 "--field", field)
    line = one_error(done)
    declared = 100_000 ** 3
    assert str(field) in line and f"{declared:,}" in line
    assert peak_mb < 1500, peak_mb


@pytest.mark.parametrize("origin,spacing", [("nan 0 0", "1 1 1"), ("0 0 0", "inf 1 1")])
def test_a_vti_with_a_non_finite_origin_or_spacing_is_refused(hall_db, tmp_path, origin, spacing):
    field = _tiny_vti(tmp_path / "bad.vti", "0 1 0 1 0 0", origin, spacing)
    line = one_error(run("export", "image", hall_db, "-o", tmp_path / "f.png", "--size", "64x64",
                         "--field", field)[0])
    assert str(field) in line and "finite" in line


@pytest.mark.parametrize("kind", ["blob", "huge"])
def test_design_name_that_vtk_cannot_take_is_drawn_safely(hall, tmp_path, kind):
    value = b"\xff\xfe\x00design\xc3\x28" if kind == "blob" else "\u202eA" * 5_000_000     # 10 M characters
    with sqlite3.connect(hall) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'design_name'", (value,))
        db.execute("UPDATE racks SET name = ? WHERE id = (SELECT min(id) FROM racks)", (b"\xff\xfeA01",))
        db.execute("UPDATE halls SET name = ?", (b"\xc3\x28hall",))
    out = tmp_path / "t.png"
    start = time.perf_counter()
    done, peak_mb = run_measured("export", "image", hall, "-o", out, "--size", "320x180")
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_png(out).shape == (180, 320, 3)
    assert seconds < 60 and peak_mb < 2000, (seconds, peak_mb)     # before: an abort, or 70 s and 5.3 GB


def test_display_text_is_valid_bounded_and_shows_invisible_characters():
    assert display_text(b"\xff\xfeok") == "\ufffd\ufffdok"
    assert display_text("a\ud800b") == "a?b"
    assert display_text("line\none\ttab") == "line one tab"
    assert display_text("x\u202ey\u200bz\x1b") == "x\\u202ey\\u200bz\\x1b"
    long = display_text("é" * 10_000_000)
    assert len(long) == 200 and long.endswith("…")
    assert display_text(12.5) == "12.5"
    for text in (display_text(b"\x80" * 1000), display_text("\udfff" * 1000)):
        text.encode("utf-8")              # always valid UTF-8
        assert len(text) <= 200


def test_bidi_and_zero_width_characters_are_escaped_on_the_terminal(hall):
    evil = "safe\u202egnp.exe\u200b\u2066x\u2069\ufeff"
    with sqlite3.connect(hall) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'design_name'", (evil,))
    done, _ = run("info", hall)
    assert done.returncode == 0, done.stderr
    for ch in "\u202e\u200b\u2066\u2069\ufeff":
        assert ch not in done.stdout
    assert "safe\\u202egnp.exe\\u200b\\u2066x\\u2069\\ufeff" in done.stdout
    assert terminal_safe("tab\tnew\nline é 中") == "tab\tnew\nline é 中"      # ordinary text untouched


def test_rack_names_that_are_not_text_label_a_close_up(hall, tmp_path):
    with sqlite3.connect(hall) as db:
        db.execute("UPDATE racks SET name = ? WHERE name = 'A01'", ("A01\n\x1b[31m\x00red",))
        db.execute("UPDATE racks SET name = ? WHERE name = 'A02'", ("A02\u202e" + "x" * 100_000,))
        rows = db.execute("SELECT count(*) FROM racks WHERE row = 'A'").fetchone()[0]
    out = tmp_path / "out"
    done, _ = run("export", "image", hall, "--row", "A", "--views", "front", "-o", out / "{rack}.png",
                  "--size", "320x180", "-q")
    assert done.returncode == 0, done.stderr[-2000:]
    images = sorted(out.glob("*.png"))
    assert len(images) == rows
    assert all(read_png(p).std() > 5 for p in images)
