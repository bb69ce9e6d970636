"""What twin logs at warning level is kept (twin.logbook, no Qt) and listed by the viewer's
View → Load warnings…; a failure the viewer survives is logged, not swallowed."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them under xvfb-run (make test does)")

from test_app import open_and_wait, window  # noqa: E402,F401  (the window fixture)
from twin.logbook import warning_log  # noqa: E402
from twin.store import load_design  # noqa: E402


def _dangling(pod_db, tmp_path) -> tuple[object, int]:
    """pod with its first part on cooling loop 9999, which does not exist; that part's id."""
    db = tmp_path / "dangling.twin.db"
    shutil.copy(pod_db, db)
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from cooling_loops where id = 9999").fetchone() == (0,)
        part, = c.execute("select min(id) from parts").fetchone()
        c.execute("update parts set cooling_loop_id = 9999 where id = ?", [part])
    return db, part


def test_a_dangling_row_is_logged_as_a_warning(pod_db, tmp_path):
    db, part = _dangling(pod_db, tmp_path)
    log = warning_log()
    log.clear()
    design = load_design(db)
    wanted = f"table parts, row id {part}: cooling_loop_id points to no row"
    assert any(wanted in w for w in design.warnings)
    records = [r for r in log.records() if wanted in r.getMessage()]
    assert len(records) == 1 and records[0].levelname == "WARNING" and records[0].name == "twin.store.reader"


def test_view_load_warnings_lists_what_was_logged(qtbot, window, pod_db, tmp_path):  # noqa: F811
    db, part = _dangling(pod_db, tmp_path)
    warning_log().clear()
    open_and_wait(qtbot, window, db)
    assert window.warnings_action.isEnabled()
    window.warnings_action.trigger()
    dialog = window.warnings_box
    assert dialog.isVisible()
    lines = dialog.text.toPlainText().splitlines()
    assert any(f"WARNING  twin.store.reader: {db}: table parts, row id {part}: cooling_loop_id" in line
               for line in lines), lines
    dialog.close()


@pytest.fixture
def fragile_plugin():
    """A plug-in analysis whose Properties rows fail on a file it does not understand."""
    from twin.analysis import registry
    from twin.analysis.registry import Analysis, AnalysisResult

    def rows(design, result, part):
        raise KeyError(f"no serial for part row {part}")
    registry.register_analysis(Analysis("fragile", "Fragile", lambda d: None, lambda d, s, o: AnalysisResult("fragile"),
                                        part_rows=rows, description="fails on every part"))
    yield
    registry.unregister("fragile")


def test_properties_survive_a_failing_analysis_and_say_so(qtbot, window, pod_db, fragile_plugin):  # noqa: F811
    """An analysis failing on a part is caught (Properties still shows the file's fields) and
    logged with its exception; it used to vanish without a trace."""
    open_and_wait(qtbot, window, pod_db)
    warning_log().clear()
    window.select_parts([5])
    qtbot.waitUntil(lambda: any("could not describe part row 5" in line for line in warning_log().lines()),
                    timeout=5000)
    assert any("KeyError" in line and "no serial for part row 5" in line for line in warning_log().lines())
