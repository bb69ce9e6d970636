"""The viewer draws a design before its cables are read (real widgets, real VTK and a real
design file under Xvfb): the Findings dock says the cabling check is loading until the cables
arrive, then lists its findings; a damaged cables table is an error naming file and table,
after the design is already on screen."""

from __future__ import annotations

import shutil
import sqlite3

from test_app import LOAD_TIMEOUT_MS, window  # noqa: F401  (the window fixture)
from twin.analysis.findings import findings_to_dicts
from twin.model.deferred import waiting
from twin.session import ReviewSession
from twin.store import load_design


def held_back(win) -> list:
    """Hold the window's cable reads until released: returns the designs it was asked to read."""
    asked: list = []
    reader = win.opening.cable_reader
    reader.read = lambda design, session=None: asked.append((design, session))   # `release` calls the real one
    return asked


def release(win, asked) -> None:
    reader = win.opening.cable_reader
    del reader.read
    reader.read(*asked[0])


def test_findings_say_cabling_is_loading_until_the_cables_arrive(qtbot, window, hall_db):  # noqa: F811
    asked = held_back(window)
    window.open_file(hall_db)
    qtbot.waitUntil(lambda: bool(asked), timeout=LOAD_TIMEOUT_MS)
    design = window.design
    assert window.scene is not None and [a[0] for a in asked] == [design] and waiting(design.cables)
    assert window.loading                               # not whole yet
    summary = window.findings.summary.text()
    assert "cabling: loading…" in summary
    listed = {f.analysis for f in window.findings.all_findings}
    assert "cabling" not in listed and listed          # the others are listed already
    window.cables_dock.raise_()                          # the Cables table asked for before they arrive
    qtbot.waitUntil(lambda: window.cables.on_screen(), timeout=5000)
    window.cables.load()
    assert waiting(design.cables) and "loading" in window.cables.count.text()
    window.overlays.choose("cabling")                   # chosen before the cables arrive: no wait
    assert waiting(design.cables) and window.view.overlay_name != "cabling"
    assert "loading" in window.overlays.notes.text()
    release(window, asked)
    qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
    assert window.view.overlay_name == "cabling" and window.scene.overlay is not None
    assert window.cables.model.rowCount() == len(design.cables) > 0        # filled when they arrived
    assert "loading" not in window.findings.summary.text()
    want = ReviewSession(load_design(hall_db)).findings()        # an eager load, its own session
    assert findings_to_dicts(window.findings.all_findings) == findings_to_dicts(want)
    assert window.session.run_counts.get("cabling", 0) == 0      # run in the cable worker, kept by the session
    assert not window.errors


def test_a_damaged_cables_table_is_reported_after_the_design_is_shown(qtbot, window, hall_db, tmp_path):  # noqa: F811
    db = tmp_path / "damaged-cables.twin.db"
    shutil.copy(hall_db, db)
    with sqlite3.connect(db) as conn:
        victim = conn.execute("select max(id) from cables").fetchone()[0]
        conn.execute("update cables set rate_gbps = x'00ff' where id = ?", [victim])
    window.open_file(db)
    qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
    assert window.scene is not None and str(window.design.source) == str(db)     # on screen all the same
    assert len(window.errors) == 1
    title, message = window.errors[0]
    assert "cables" in title.lower()
    assert str(db) in message and "table cables" in message and f"row id {victim}" in message
    assert "failed: cabling" in window.findings.summary.text()
