"""Review notes and viewpoints in the design file: real files, real processes, no mocks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.cli import main
from twin.errors import TwinError
from twin.specs import build_design
from twin.store.notes import ReviewStore

REPO = Path(__file__).resolve().parents[1]
NASTY = [
    "it's \"quoted\" and 'single'",
    "'); DROP TABLE notes; --",
    "<script>alert('x')</script> <b>bold</b> &amp;",
    "🔥 hot rack 🌡️ — ünïcödé",
    "line one\nline two\r\n\ttabbed",
]


@pytest.fixture
def design(pod_db, tmp_path) -> Path:
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    return path


def _run_twin(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *args], capture_output=True, text=True, cwd=REPO, **kw)


def _integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_notes_persist_across_processes(design):
    added = _run_twin("notes", "add", str(design), "--part", "A01", "--text", "check the busbar", "--author", "ana")
    assert added.returncode == 0, added.stderr
    point = _run_twin("notes", "add", str(design), "--at", "1.5,2,0.25", "--text", "floor tile cracked")
    assert point.returncode == 0, point.stderr
    listed = _run_twin("notes", "list", str(design), "--json")
    assert listed.returncode == 0, listed.stderr
    notes = json.loads(listed.stdout)["notes"]
    assert [n["text"] for n in notes] == ["check the busbar", "floor tile cracked"]
    assert notes[0]["part"] == "A01-frame" and notes[0]["author"] == "ana" and notes[0]["point"] is None
    assert notes[1]["part"] == "" and notes[1]["point"] == [1.5, 2.0, 0.25]
    assert notes[1]["author"]                      # the login name by default
    assert all(n["status"] == "open" and n["created"].endswith("Z") for n in notes)
    # and this process sees what the others wrote
    with ReviewStore(design) as store:
        assert [n.text for n in store.notes()] == ["check the busbar", "floor tile cracked"]


def test_resolve_edit_and_filter(design, capsys):
    with ReviewStore(design) as store:
        first = store.add_note("one", part="A02-U05")
        store.add_note("two", part="A02")
    assert main(["notes", "resolve", str(design), str(first.id)]) == 0
    assert main(["notes", "list", str(design), "--status", "open", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.split("\n", 1)[1])      # after "note 1 is resolved"
    assert [n["text"] for n in out["notes"]] == ["two"]
    assert main(["notes", "edit", str(design), str(first.id), "--text", "one, reworded", "--status", "open"]) == 0
    with ReviewStore(design) as store:
        note = store.note(first.id)
        assert (note.text, note.status) == ("one, reworded", "open")
        assert [n.text for n in store.notes(part="A02-U05")] == ["one, reworded"]
    assert main(["notes", "resolve", str(design), "999"]) == 1
    assert "no note with id 999" in capsys.readouterr().err


def test_note_text_is_stored_and_shown_verbatim(design):
    megabyte = ("x" * 1023 + "\n") * 1024
    texts = NASTY + [megabyte]
    with ReviewStore(design) as store:
        for text in texts:
            store.add_note(text, part="A01-U10")
    listed = _run_twin("notes", "list", str(design), "--json")
    assert [n["text"] for n in json.loads(listed.stdout)["notes"]] == texts
    # the tables are all still there: the SQL in the text was never executed
    conn = sqlite3.connect(design)
    assert conn.execute("select count(*) from notes").fetchone()[0] == len(texts)
    conn.close()
    plain = _run_twin("notes", "list", str(design))
    for text in NASTY[:4]:
        assert f"    {text}\n" in plain.stdout


def test_note_on_a_missing_part_names_it(design, capsys):
    assert main(["notes", "add", str(design), "--part", "Z99-U01", "--text", "where?"]) == 1
    err = capsys.readouterr().err
    assert "Z99-U01" in err and str(design) in err
    with ReviewStore(design) as store:
        assert store.notes() == []
        with pytest.raises(TwinError, match="needs some text"):
            store.add_note("   ", part="A01")
        with pytest.raises(TwinError, match="pin the note"):
            store.add_note("floating")


WRITER = """
import sys
from twin.store.notes import ReviewStore
path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with ReviewStore(path) as store:
    for i in range(count):
        note = store.add_note(f"{tag} {i}", part="A01-U05", author=tag)
        print(note.id, flush=True)
"""


def test_two_writer_processes_lose_no_note(design):
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(design), tag, "200"], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for tag in ("alice", "bob")]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [o[1] for o in outputs]
    with ReviewStore(design) as store:
        notes = store.notes()
    assert len(notes) == 400
    for tag in ("alice", "bob"):
        assert sorted(n.text for n in notes if n.author == tag) == sorted(f"{tag} {i}" for i in range(200))
    assert len({n.id for n in notes}) == 400
    assert _integrity(design) == "ok"


def test_kill_during_a_burst_of_writes_keeps_every_committed_note(design):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(design), "burst", "100000"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    committed = []
    deadline = time.monotonic() + 120
    while len(committed) < 60 and time.monotonic() < deadline:
        line = writer.stdout.readline()
        if not line:
            break
        committed.append(int(line))
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    assert len(committed) >= 60, writer.stderr.read()
    assert Path(f"{design}-wal").exists()        # killed with its log still open: recovery is tested
    assert _integrity(design) == "ok"
    with ReviewStore(design) as store:
        by_id = {n.id: n for n in store.notes()}
    for i, note_id in enumerate(committed):
        assert by_id[note_id].text == f"burst {i}"
    # the file takes new notes after the crash
    with ReviewStore(design) as store:
        assert store.add_note("after the crash", part="A01").text == "after the crash"


def test_a_locked_file_gives_a_clear_error_and_loses_nothing(design):
    with ReviewStore(design) as store:
        store.add_note("before the lock", part="A01")
    store = ReviewStore(design, busy_timeout_s=0.3)       # opened before the lock, as a viewer holds it
    blocker = sqlite3.connect(design, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(TwinError, match="locked") as err:
            store.add_note("while locked", part="A01")
        assert str(design) in str(err.value) and "nothing was changed" in str(err.value)
        store.close()
        with pytest.raises(TwinError, match="locked"):        # and one opened while it is locked
            ReviewStore(design, busy_timeout_s=0.3)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with ReviewStore(design) as store:
        assert [n.text for n in store.notes()] == ["before the lock"]
        store.add_note("after the lock", part="A01")
        assert len(store.notes()) == 2


def test_a_read_only_file_gives_a_clear_error(pod_db, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "ro.twin.db"
    shutil.copy(pod_db, path)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    command = [sys.executable, "-m", "twin", "notes", "add", str(path), "--part", "A01", "--text", "nope"]
    if os.geteuid() == 0:
        # root writes through file modes: run the CLI without the capability that allows it
        if not shutil.which("setpriv"):             # util-linux is essential on Debian: never missing there
            pytest.fail("running as root without setpriv (util-linux): cannot drop the capability that "
                        "writes through read-only files; install util-linux")
        command = ["setpriv", "--bounding-set", "-dac_override", "--inh-caps", "-dac_override"] + command
    try:
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 1, result.stdout
        assert "read-only" in result.stderr and str(path) in result.stderr and "Traceback" not in result.stderr
    finally:
        os.chmod(folder, 0o755)
        os.chmod(path, 0o644)
    with ReviewStore(path) as store:
        assert store.notes() == []


def test_rebuild_keeps_notes_still_in_the_write_ahead_log(tmp_path):
    out = tmp_path / "pod.twin.db"
    spec = REPO / "scenes" / "nvl72-pod.toml"
    build_design(spec, out)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(out), "wal", "100000"], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    committed = [int(writer.stdout.readline()) for _ in range(5)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    summary = build_design(spec, out)
    assert summary.carried_reviews >= 5
    assert not Path(f"{out}-wal").exists()
    assert _integrity(out) == "ok"
    with ReviewStore(out) as store:
        texts = {n.id: n.text for n in store.notes()}
    assert [texts[i] for i in committed] == [f"wal {i}" for i in range(5)]


def test_viewpoints_saved_and_listed(design, capsys):
    with ReviewStore(design) as store:
        store.save_viewpoint("hot aisle", (10, -5, 3), (10, 4, 1), view_angle=40)
        store.save_viewpoint("overview", (0, 0, 30), (5, 5, 0))
        store.save_viewpoint("hot aisle", (11, -5, 3), (10, 4, 1))          # same name: replaced
    assert main(["viewpoints", "list", str(design), "--json"]) == 0
    views = json.loads(capsys.readouterr().out)["viewpoints"]
    assert [v["name"] for v in views] == ["overview", "hot aisle"]
    assert views[1]["position"] == [11.0, -5.0, 3.0] and views[1]["focal_point"] == [10.0, 4.0, 1.0]
    assert main(["viewpoints", "list", str(design)]) == 0
    assert "hot aisle  from (11.00, -5.00, 3.00)" in capsys.readouterr().out


def test_bcf_export_holds_every_note_verbatim(design, tmp_path):
    import zipfile
    from xml.etree import ElementTree as ET

    with ReviewStore(design) as store:
        for text in NASTY:
            store.add_note(text, part="A03")
        store.resolve_note(1)
        store.save_viewpoint("hot aisle", (10, -5, 3), (10, 4, 1))
    out = tmp_path / "review.bcfzip"
    assert main(["notes", "bcf", str(design), "-o", str(out), "--no-snapshots"]) == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert "bcf.version" in names
        markups = [ET.fromstring(z.read(n)) for n in names if n.endswith("markup.bcf")]
        views = [ET.fromstring(z.read(n)) for n in names if n.endswith("viewpoint.bcfv")]
    assert len(markups) == len(views) == len(NASTY) + 1
    issues = [m for m in markups if m.find("Topic").get("TopicType") == "Issue"]
    assert sorted(m.findtext("Topic/Description") for m in issues) == sorted(NASTY)
    assert sum(m.find("Topic").get("TopicStatus") == "Closed" for m in issues) == 1
    assert {m.findtext("Topic/Labels") for m in issues} == {"A03-frame"}
    components = {c.findtext("AuthoringToolId") for v in views for c in v.iter("Component")}
    assert components == {"A03-frame"}
    camera = next(v for v in views if v.find("Components/Selection") is None).find("PerspectiveCamera")
    look = [float(camera.findtext(f"CameraDirection/{a}")) for a in "XYZ"]     # from (10, -5, 3) towards (10, 4, 1)
    assert look == pytest.approx([0.0, 9 / 85 ** 0.5, -2 / 85 ** 0.5])


def test_reading_notes_leaves_the_file_as_it_was(design):
    before = design.read_bytes()
    with ReviewStore(design) as store:
        assert store.notes() == [] and store.viewpoints() == []
    assert design.read_bytes() == before and not Path(f"{design}-wal").exists()
    with ReviewStore(design) as store:
        store.add_note("one", part="A01")
    conn = sqlite3.connect(design)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # back to a plain file once closed
    conn.close()
