"""Outputs land only where they are asked to: pattern fields stay inside the pattern's folder,
special files given as `-o` are written through or refused (never replaced), and a full disk
leaves neither a temporary file nor an empty final file behind.

Everything runs the real `twin` command in a subprocess on real design files, FIFOs, device
nodes (made in a temp folder, never the system's /dev nodes) and a small real tmpfs mount.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def twin(*args, timeout: float = 180, preexec=None, stdout=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], text=True, env=env, cwd=REPO,
                          timeout=timeout, preexec_fn=preexec, stderr=subprocess.PIPE,
                          stdout=stdout if stdout is not None else subprocess.PIPE)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("twin: error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture()
def pod(pod_db, tmp_path) -> Path:
    copy = tmp_path / "design" / "pod.twin.db"
    copy.parent.mkdir()
    shutil.copy(pod_db, copy)
    return copy


# ---------------------------------------------------------------- 1. output patterns
def test_pattern_fields_never_leave_the_output_folder(pod, tmp_path):
    with sqlite3.connect(pod) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM racks ORDER BY id")]
        hostile = ["../../evil", "../../../../../tmp/x", "a/b", "a\\b", "a_b", "..", ".hidden",
                   "nul\x00here", "r\u202egnp.exe", "z" * 400]
        for rack_id, name in zip(ids, hostile):
            db.execute("UPDATE racks SET name = ? WHERE id = ?", (name, rack_id))
        db.execute("UPDATE racks SET row = '../up' WHERE id = ?", (ids[0],))
        db.execute("UPDATE halls SET name = '../../hall'")
        names = [r[0] for r in db.execute("SELECT name FROM racks")]
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    before = tree(tmp_path)
    done = twin("export", "image", pod, "--each-rack", "--size", "32x32", "-q",
                "-o", work / "out" / "{hall}" / "{row}" / "{rack}.png")
    assert done.returncode == 0, done.stderr
    created = tree(tmp_path) - before
    out = work / "out"
    assert created, "nothing was written"
    for rel in created:
        path = (tmp_path / rel).resolve()
        assert path.is_relative_to(out.resolve()), f"{path} lies outside {out}"
    pngs = [p for p in out.rglob("*.png")]
    assert len(pngs) == len(names)                      # a distinct file per rack, none folded together
    for p in out.rglob("*"):
        assert not any(c in p.name for c in "\x00\u202e") and not p.name.startswith(".")
        assert len(p.name.encode()) < 255
    # deterministic: the same design gives the same names
    again = tmp_path / "again"
    assert twin("export", "image", pod, "--each-rack", "--size", "32x32", "-q",
                "-o", again / "{hall}" / "{row}" / "{rack}.png").returncode == 0
    assert sorted(str(p.relative_to(again)) for p in again.rglob("*.png")) == \
        sorted(str(p.relative_to(out)) for p in pngs)


def test_a_link_inside_the_output_folder_cannot_lead_out(pod, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.png"
    (out / "A03.png").symlink_to(outside)
    done = twin("export", "image", pod, "--each-rack", "--size", "32x32", "-q", "-o", out / "{rack}.png")
    line = one_error_line(done)
    assert "A03" in line and "outside" in line
    assert not outside.exists()
    assert list(out.glob("*.png")) == [out / "A03.png"]       # refused before any image was written


# ---------------------------------------------------------------- 2. special files as -o
def _fifo_reader(fifo: Path, sink: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as handle:
            sink.append(handle.read())
    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _release(fifo: Path, thread: threading.Thread) -> None:
    """Unblock a reader still waiting on `fifo` (when the writer never opened it)."""
    if thread.is_alive():
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        thread.join(5)


WRITERS = {
    "cables": lambda d, o: ("export", "cables", d, "-o", o),
    "image": lambda d, o: ("export", "image", d, "-o", o, "--size", "32x32"),
    "glb": lambda d, o: ("export", "glb", d, "-o", o, "-q"),
    "bcf": lambda d, o: ("notes", "bcf", d, "-o", o),
}


def _with_note(pod: Path) -> None:
    done = twin("notes", "add", pod, "--part", "A01", "--text", "check the busbar", "--author", "t")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_fifo_as_output_is_written_through_not_replaced(pod, tmp_path, writer):
    _with_note(pod)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _fifo_reader(fifo, got)
    try:
        done = twin(*WRITERS[writer](pod, fifo))
    finally:
        _release(fifo, reader)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a file"
    assert got and len(got[0]) > 100
    # what came through the pipe is the export itself
    magic = {"cables": b"\xef\xbb\xbfcable,", "image": b"\x89PNG", "glb": b"glTF", "bcf": b"PK"}[writer]
    assert got[0].startswith(magic)
    assert set(tmp_path.iterdir()) == {fifo, pod.parent}


def _char_device(tmp_path: Path, system: str) -> Path:
    """A private node of the character device `system` in `tmp_path` where we may make one
    (root), else the system's own node: a writer must write through it either way, and a
    replaced private node is easier to see than a replaced /dev/null (which needs root too)."""
    node = tmp_path / Path(system).name
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.stat(system).st_rdev)
    except PermissionError:
        return Path(system)
    return node


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_character_device_as_output_is_written_through(pod, tmp_path, writer):
    _with_note(pod)
    node = _char_device(tmp_path, "/dev/null")
    before = os.lstat(node)
    done = twin(*WRITERS[writer](pod, node))
    assert done.returncode == 0, done.stderr
    after = os.lstat(node)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino
    assert set(tmp_path.iterdir()) == {node, pod.parent} - {Path("/dev/null")}


def test_a_full_device_gives_one_line_naming_the_output(pod, tmp_path):
    node = _char_device(tmp_path, "/dev/full")
    line = one_error_line(twin("export", "cables", pod, "-o", node))
    assert str(node) in line and "disk full" in line
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_stdout_as_output_carries_only_the_data(pod, tmp_path):
    target = tmp_path / "schedule.csv"
    with open(target, "w") as handle:
        done = twin("export", "cables", pod, "-o", "/dev/stdout", stdout=handle)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(pod) as db:
        cables = db.execute("SELECT count(*) FROM cables").fetchone()[0]
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("cable,") and len(lines) == cables + 1
    assert "wrote /dev/stdout" in done.stderr


def test_a_symlink_output_replaces_its_target_and_keeps_the_link(pod, tmp_path):
    target = tmp_path / "real" / "schedule.csv"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    done = twin("export", "cables", pod, "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8-sig").startswith("cable,")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere" / "x.csv")
    line = one_error_line(twin("export", "cables", pod, "-o", dangling))
    assert str(dangling) in line and "symbolic link" in line
    assert dangling.is_symlink() and not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------- 3. a full disk
@pytest.fixture()
def small_disk(tmp_path):
    """A 64 KiB real tmpfs (as root); otherwise a folder under a 64 KiB file-size limit."""
    folder = tmp_path / "small"
    folder.mkdir()
    if os.geteuid() == 0 and shutil.which("mount"):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
        try:
            yield folder, None
        finally:
            subprocess.run(["umount", str(folder)], check=False)
    else:
        yield folder, lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_leaves_no_file_behind(pod, small_disk, shared_data):
    folder, preexec = small_disk
    for _ in range(3):          # 3 × 60 KB of random bytes as hex: a zip deflates it to no less than ~90 KB
        done = twin("notes", "add", pod, "--part", "A01", "--text", os.urandom(60_000).hex(), "--author", "t")
        assert done.returncode == 0, done.stderr
    cases = {
        "cat.toml": ("import", "device-types", shared_data / "netbox-devicetypes", "-o"),
        "n.bcfzip": ("notes", "bcf", pod, "-o"),
        "cables.csv": ("export", "cables", pod, "-o"),
    }
    for name, args in cases.items():
        out = folder / name
        line = one_error_line(twin(*args, out, preexec=preexec))
        assert str(out) in line, line
        assert os.listdir(folder) == [], f"{name} left {os.listdir(folder)}"


def test_a_temp_file_left_by_a_killed_export_is_removed_by_the_next(pod, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)                             # that process has exited
    stale = out / f".schedule.{dead_pid}.0badc0de.tmp.csv"
    live = out / f".schedule.{os.getpid()}.0badc0de.tmp.csv"    # this test runs: not stale
    other = out / f".notes.{dead_pid}.0badc0de.tmp.csv"         # another output's: not this run's business
    for path in (stale, live, other):
        path.write_text("half a file")
    done = twin("export", "cables", pod, "-o", out / "schedule.csv")
    assert done.returncode == 0, done.stderr
    assert not stale.exists() and live.exists() and other.exists()
    assert (out / "schedule.csv").read_text(encoding="utf-8-sig").startswith("cable,")


def test_progress_bars_keep_their_carriage_returns(pod, tmp_path):
    """The CLI escapes control characters in what it prints; a progress bar's own carriage
    returns (twin's text, not the design's) must reach the terminal as such, not as \\x0d."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    # bytes, not text: text mode's universal newlines would turn every "\r" into "\n"
    done = subprocess.run([sys.executable, "-m", "twin", "export", "glb", str(pod), "-o", str(tmp_path / "p.glb")],
                          env=env, cwd=REPO, timeout=180, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert b"glb:" in done.stderr and b"\r" in done.stderr and b"\\x0d" not in done.stderr
