"""A rebuild of a design never loses a committed note, never corrupts the file, and leaves no temporary behind.

Real files, real processes: note writers and rebuilds run as subprocesses at the same time;
a build is killed with SIGKILL; a disk fills up (a small tmpfs mount as root, a file size
limit otherwise). What the file holds is read back with plain sqlite3.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


from twin.specs import build_design
from twin.store import load_design
from twin.store.notes import ReviewStore

REPO = Path(__file__).resolve().parents[1]
POD = REPO / "scenes" / "nvl72-pod.toml"
HALL = REPO / "scenes" / "ai-hall.toml"


def _twin(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *args], capture_output=True, text=True, cwd=REPO, **kw)


def _note_texts(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY id")]
    finally:
        conn.close()


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_store_kept_open_across_a_rebuild_writes_into_the_file_on_disk(tmp_path):
    out = tmp_path / "pod.twin.db"
    build_design(POD, out)
    store = ReviewStore(out)                       # the viewer keeps one open per design
    try:
        store.add_note("before the rebuild", part="A01")
        built = _twin("build", str(POD), "-o", str(out))
        assert built.returncode == 0, built.stderr
        store.add_note("after the rebuild", part="A02")
        assert [n.text for n in store.notes()] == ["before the rebuild", "after the rebuild"]
    finally:
        store.close()
    assert _note_texts(out) == ["before the rebuild", "after the rebuild"]
    conn = sqlite3.connect(out)
    pinned = conn.execute("SELECT p.name FROM notes n JOIN parts p ON p.id = n.part_id ORDER BY n.id").fetchall()
    conn.close()
    assert pinned == [("A01-frame",), ("A02-frame",)]
    assert _integrity(out) == "ok"


def test_a_store_notices_its_file_was_replaced_by_another_program(tmp_path):
    out = tmp_path / "pod.twin.db"
    build_design(POD, out)
    with ReviewStore(out) as store:
        store.add_note("in the first file", part="A01")
        other = tmp_path / "restored.twin.db"
        build_design(POD, other)
        os.replace(other, out)                      # a restore from backup, a copy moved over it
        store.add_note("in the file now on disk", part="A01")
        assert "in the file now on disk" in [n.text for n in store.notes()]
    # (whether the first note shows too depends on the old -wal the mover left beside the file)
    assert "in the file now on disk" in _note_texts(out)
    assert _integrity(out) == "ok"


WRITER = r"""
import sys, time
from twin.errors import TwinError
from twin.store.notes import ReviewStore
path, tag, seconds, keep = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "keep-open"
deadline = time.monotonic() + seconds
store = ReviewStore(path) if keep else None
i = 0
while time.monotonic() < deadline:
    text = f"{tag} {i}"
    i += 1
    try:
        if keep:
            store.add_note(text, part="A01-U05", author=tag)
        else:
            with ReviewStore(path) as one:         # as `twin notes add` does: open, add, close
                one.add_note(text, part="A01-U05", author=tag)
    except TwinError as exc:
        print("refused", exc, flush=True)
        continue
    print("ok", text, flush=True)
"""

REBUILDER = r"""
import sys, time
from twin.errors import TwinError
from twin.specs import build_design
spec, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        build_design(spec, out)
        print("rebuilt", flush=True)
    except TwinError as exc:
        print("refused", exc, flush=True)
"""


def test_notes_written_during_rebuilds_are_never_lost_and_the_file_stays_sound(tmp_path):
    """Two writers (one opening the file per note like the CLI, one keeping it open like the
    viewer) and a rebuild loop, 20 s: every note a writer was told succeeded is in the file."""
    out = tmp_path / "pod.twin.db"
    build_design(POD, out)
    seconds = "20"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(out), tag, seconds, mode], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag, mode in (("cli", "per-note"), ("viewer", "keep-open"))]
    procs.append(subprocess.Popen([sys.executable, "-c", REBUILDER, str(POD), str(out), seconds], cwd=REPO,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [p.communicate(timeout=120) for p in procs]
    for p, (stdout, stderr) in zip(procs, results):
        assert p.returncode == 0 and "Traceback" not in stderr, stderr[-2000:]
    lines = [line for stdout, _ in results for line in stdout.splitlines()]
    acknowledged = [line[3:] for line in lines if line.startswith("ok ")]
    refusals = [line for line in lines if line.startswith("refused")]
    rebuilds = sum(line == "rebuilt" for line in lines)
    assert rebuilds >= 2, results[2]
    for tag in ("cli", "viewer"):
        assert sum(t.startswith(f"{tag} ") for t in acknowledged) >= 10, (tag, refusals[:5])
    assert _integrity(out) == "ok"
    on_disk = set(_note_texts(out))
    lost = [t for t in acknowledged if t not in on_disk]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged notes lost, e.g. {lost[:5]}"
    assert not [r for r in refusals if "read-only" in r or "malformed" in r], refusals[:5]


def _wait_for_temporary(folder: Path, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if _temporaries(folder):
            return True
        time.sleep(0.002)
    return False


def test_kill_during_a_rebuild_keeps_the_design_and_its_notes_and_the_next_run_removes_the_temporary(tmp_path):
    out = tmp_path / "hall.twin.db"
    build_design(HALL, out)
    with ReviewStore(out) as store:
        for i in range(5):
            store.add_note(f"note {i}", part="A01")
    expected = _note_texts(out)
    racks = len(load_design(out).racks)
    killed_with_temporary = 0
    for delay in (0.0, 0.1, 0.3, 0.5):
        build = subprocess.Popen([sys.executable, "-m", "twin", "build", str(HALL), "-o", str(out)], cwd=REPO,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen = _wait_for_temporary(tmp_path, build)
        time.sleep(delay)
        os.kill(build.pid, signal.SIGKILL)
        build.wait(timeout=30)
        killed_with_temporary += seen and bool(_temporaries(tmp_path))
        assert _integrity(out) == "ok"
        assert _note_texts(out) == expected
        assert len(load_design(out).racks) == racks
    assert killed_with_temporary >= 1                # the first kill lands while the temporary is written
    wal = Path(f"{out}-wal")
    killed_in_copy = 0
    for _ in range(3):                               # and kill while the new tables are copied into the file
        build = subprocess.Popen([sys.executable, "-m", "twin", "build", str(HALL), "-o", str(out)], cwd=REPO,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while build.poll() is None and not (wal.exists() and wal.stat().st_size > 1_000_000):
            time.sleep(0.001)
        os.kill(build.pid, signal.SIGKILL)
        killed_in_copy += build.wait(timeout=30) == -signal.SIGKILL
        assert _integrity(out) == "ok"
        assert _note_texts(out) == expected
        assert len(load_design(out).racks) == racks
    assert killed_in_copy >= 1
    # a temporary whose owner is alive is left alone
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".{out.name}.{sleeper.pid}.abcd1234.tmp"
        live.write_bytes(b"being written")
        built = _twin("build", str(HALL), "-o", str(out))
        assert built.returncode == 0, built.stderr
        assert _temporaries(tmp_path) == [live.name]
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _note_texts(out) == expected


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _small_disk(folder: Path, size: str) -> bool:
    """Mount a tmpfs of `size` on `folder` (root only); False when this machine does not allow it."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def test_a_full_disk_during_a_rebuild_keeps_the_old_design_and_removes_the_temporary(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = _small_disk(disk, "3m")               # the pod (0.9 MB) fits twice, the hall (5 MB) does not
    try:
        out = disk / "site.twin.db"
        build_design(POD, out)
        with ReviewStore(out) as store:
            store.add_note("keep me", part="A01")
        before = _digest(out)
        limit = None if mounted else 3 * 1024 * 1024

        def small_files() -> None:                  # no tmpfs: a file size limit fills "the disk" instead
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        result = subprocess.run([sys.executable, "-m", "twin", "build", str(HALL), "-o", str(out)],
                                capture_output=True, text=True, cwd=REPO,
                                preexec_fn=None if mounted else small_files)
        assert result.returncode == 1, result.stdout
        message = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("  ")]
        assert len(message) == 1, result.stderr                  # the progress lines, then one error
        assert str(out) in message[-1] and ("disk full" in message[-1] or "size limit" in message[-1]), message
        assert "Traceback" not in result.stderr
        assert _digest(out) == before
        assert _temporaries(disk) == []
        assert _note_texts(out) == ["keep me"]
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=True)
