"""The History plot reads out the values under the cursor (real widgets under Xvfb, a real mouse
move over matplotlib's Qt canvas); the values expected are the sensors' readings by SQL."""

from __future__ import annotations

import sqlite3

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtTest import QTest

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)


def test_the_history_plot_reads_out_the_values_under_the_cursor(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel, d = window.history, window.design
    window.history_dock.raise_()
    tree = window.hierarchy
    tree.tree.setCurrentIndex(tree._rack_items[d.rack_index("A06")].index())
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.plot_page, timeout=5000)
    times = window.overlays.times
    ts = times[len(times) // 3]
    with sqlite3.connect(hall_db) as conn:
        (inlet,) = conn.execute("SELECT r.value FROM readings r JOIN sensors s ON s.id = r.sensor_id "
                                "WHERE s.name = 'A06-inlet' AND r.ts = ?", (ts,)).fetchone()
    assert panel.readout.text() == ""
    x, y = panel.point_of(np.datetime64(ts.rstrip("Z"), "s"))
    QTest.mouseMove(panel.canvas, QPoint(x, y))
    qtbot.waitUntil(lambda: bool(panel.readout.text()), timeout=3000)
    text = panel.readout.text()
    assert ts[:16].replace("T", " ") in text and "UTC" in text
    assert f"inlet {inlet:.4g} °C" in text, text
