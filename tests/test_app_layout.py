"""The main window's layout with the real widgets under Xvfb: docks open at readable sizes, the
Compare table fits its dock, the 3D view keeps its room after a resize, and the layout comes
back after a restart (a temporary settings file, never the user's)."""

from __future__ import annotations

import os

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` or under xvfb-run")

from PySide6.QtCore import QSettings, Qt  # noqa: E402

from tests.support import shown_window  # noqa: E402

LOAD_TIMEOUT_MS = 30_000
READABLE_HEIGHT_PX = 220       # ten table rows, or a plot with its axis labels


def opened(qtbot, tmp_path, db):
    win = shown_window(qtbot, tmp_path)
    win.open_file(db)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    assert win.scene is not None, win.errors
    return win


@pytest.fixture
def window(qtbot, tmp_path, hall_db):
    win = opened(qtbot, tmp_path, hall_db)
    yield win
    win.loader.cancel()
    win.loader.wait()


def bottom_docks(win):
    return [d for d in (win.findings_dock, win.cables_dock, win.history_dock, *win.review.docks())]


def test_docks_open_readable_and_compare_fits_without_sideways_scrolling(qtbot, window):
    for dock in bottom_docks(window):
        dock.raise_()
        qtbot.wait(30)
        assert dock.widget().height() >= READABLE_HEIGHT_PX, (dock.windowTitle(), dock.widget().height())
    window.history_dock.raise_()
    qtbot.wait(30)
    assert window.history.canvas.height() >= 150
    window.review.compare_dock.raise_()
    qtbot.wait(50)
    table = window.review.compare.table
    assert table.rowCount() > 0
    assert table.horizontalScrollBar().maximum() == 0          # every column in view
    # a selection never changes the side docks' widths or the 3D view's size
    before = (window.properties_dock.width(), window.viewport.size())
    d = window.design
    for part in (int(np.argmax([len(str(v)) for v in d.parts.name])), int(d.parts.index_of(d.parts.id[-1])), 0):
        window.select_parts([part])
        qtbot.wait(30)
        assert (window.properties_dock.width(), window.viewport.size()) == before


def test_a_resize_keeps_room_for_the_3d_view(qtbot, window):
    window.resize(1000, 640)
    qtbot.wait(150)
    vp = window.viewport
    assert vp.width() >= 0.44 * window.width() and vp.height() >= 0.44 * window.height(), (vp.size(), window.size())
    window.resize(1400, 900)
    qtbot.wait(150)
    assert vp.width() >= 0.44 * window.width()
    for dock in (window.findings_dock, window.hierarchy_dock, window.properties_dock):
        assert dock.widget().width() >= 200 and dock.widget().height() >= 120


def test_the_layout_is_saved_between_runs(qtbot, tmp_path, hall_db):
    first = opened(qtbot, tmp_path, hall_db)
    defaults = (first.hierarchy_dock.width(), first.findings_dock.height())
    first.resizeDocks([first.hierarchy_dock], [defaults[0] + 90], Qt.Orientation.Horizontal)
    first.resizeDocks([first.findings_dock], [defaults[1] + 60], Qt.Orientation.Vertical)
    qtbot.wait(50)
    sizes = (first.hierarchy_dock.width(), first.findings_dock.height())
    assert sizes[0] > defaults[0] + 40 and sizes[1] > defaults[1] + 25, (defaults, sizes)   # the reviewer's own
    first.close()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("layout/state") is not None             # written to the test's own file
    second = shown_window(qtbot, tmp_path)                        # the same settings file: a restart
    qtbot.wait(50)
    assert abs(second.hierarchy_dock.width() - sizes[0]) <= 4
    assert abs(second.findings_dock.height() - sizes[1]) <= 4
    second.close()
