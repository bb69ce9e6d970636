"""The History dock with real widgets (pytest-qt under Xvfb), a real ai-hall design file and
matplotlib's real Agg rendering: lines and points counted against SQL, the time marker read
back from the line and from the rendered pixels, clicks on the plot moving the time slider."""

from __future__ import annotations

import sqlite3

import numpy as np
from PySide6.QtCore import QPoint, Qt

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from twin.app.history_panel import MARKER_COLOUR, NOTHING_SELECTED


def sql(path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def moment(ts: str) -> np.datetime64:
    return np.datetime64(ts.rstrip("Z"), "s")


def marker_columns(panel) -> np.ndarray:
    """x pixels (Agg buffer) where the marker colour fills most of the first axes' height."""
    panel.canvas.draw()
    rgba = np.asarray(panel.canvas.buffer_rgba())
    want = np.array([int(MARKER_COLOUR[i:i + 2], 16) for i in (1, 3, 5)])
    bbox = panel.axes[0].bbox                           # display pixels, origin at the bottom left
    rows = slice(int(rgba.shape[0] - bbox.y1) + 2, int(rgba.shape[0] - bbox.y0) - 2)
    cols = slice(int(bbox.x0) + 2, int(bbox.x1) - 2)
    rgb = rgba[rows, cols, :3].astype(float)
    cover = (255 - rgb[..., 0]) / (255 - want[0])           # the marker colour blended over white
    expected = 255 - cover[..., None] * (255 - want[1:])     # (antialiased lines cover 2 pixels)
    mine = (cover > 0.4) & (np.abs(rgb[..., 1:] - expected) < 10).all(axis=2)
    hit = mine.mean(axis=0) > 0.5
    return np.flatnonzero(hit) + cols.start


def lines_by_label(panel) -> dict[str, object]:
    return panel.lines


def test_history_follows_the_selection_and_the_time_slider(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel, d = window.history, window.design
    assert panel.visibleRegion().isEmpty()              # a tab behind Findings until brought up
    window.history_dock.raise_()
    qtbot.waitUntil(lambda: not panel.visibleRegion().isEmpty(), timeout=3000)
    # nothing selected: a sentence, not empty axes
    assert panel.stack.currentWidget() is panel.message and panel.message.text() == NOTHING_SELECTED

    # select rack A06 in the hierarchy: one line per A06 sensor, as many points as its readings
    rack = d.rack_index("A06")
    tree = window.hierarchy
    tree.tree.setCurrentIndex(tree._rack_items[rack].index())
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.plot_page, timeout=5000)
    expected = sql(hall_db, "select s.name, count(r.ts), max(r.value) from sensors s join racks k on k.id = s.rack_id "
                            "left join readings r on r.sensor_id = s.id where k.name = 'A06' group by s.id order by s.id")
    assert len(expected) == 3
    assert sorted(panel.lines) == sorted(name for name, _, _ in expected)
    for name, count, _ in expected:
        assert len(panel.lines[name].get_xdata()) == len(panel.lines[name].get_ydata()) == count
    (_, _, inlet_max), = [e for e in expected if e[0] == "A06-inlet"]
    assert np.max(panel.lines["A06-inlet"].get_ydata()) == inlet_max
    assert [ax.get_ylabel() for ax in panel.axes] == ["°C", "kW"]
    dashed = sorted(line.get_ydata()[0] for line in panel.axes[0].get_lines() if line.get_linestyle() == "--")
    assert dashed == [27.0, 32.0]                          # ASHRAE recommended and A1 allowable maxima
    assert "rack A06" in panel.title.text()

    # the marker stands at the slider's moment; moving the slider moves only the marker
    times = window.overlays.times
    assert panel.marker_time() == moment(times[-1])
    draws, before = panel.draws, marker_columns(panel)
    window.overlays.slider.setValue(20)
    assert panel.marker_time() == moment(times[20]) == moment(window.overlays.slider_time())
    assert panel.draws == draws                            # no new plot, just the line moved
    after = marker_columns(panel)
    assert len(before) and len(after) and after.max() < before.min()          # drawn further left
    x20, _ = panel.point_of(moment(times[20]))
    assert abs(np.mean(after) / panel.canvas.device_pixel_ratio - x20) <= 2

    # a click on the plot moves the time slider to the nearest reading
    x, y = panel.point_of(moment(times[60]))
    qtbot.mouseClick(panel.canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.waitUntil(lambda: window.overlays.slider.value() == 60, timeout=3000)
    assert panel.marker_time() == moment(times[60])
    qtbot.waitUntil(lambda: window.session.at == times[60], timeout=3000)      # the whole window follows

    # a compute tray of A06 has no sensors: its rack's, said in the title; its loop is offered
    tray = int(np.flatnonzero((d.parts.rack == rack) & (d.part_kind() == "compute_tray"))[0])
    window.select_parts([tray])
    assert sorted(panel.lines) == sorted(name for name, _, _ in expected)
    assert "no sensors of its own" in panel.title.text() and "A06" in panel.title.text()
    labels = [panel.choice.itemText(i) for i in range(panel.choice.count())]
    loop_name = str(d.cooling_loops.name[d.racks.cooling_loop[rack]])
    assert labels[1:] == ["rack A06", f"loop {loop_name}"]
    panel.choice.setCurrentIndex(2)
    loop_sensors = sql(hall_db, "select s.name, count(r.ts) from sensors s join cooling_loops c on "
                                "c.id = s.cooling_loop_id left join readings r on r.sensor_id = s.id "
                                "where c.name = ? group by s.id order by s.id", [loop_name])
    assert sorted((n, len(line.get_xdata())) for n, line in panel.lines.items()) == sorted(loop_sensors)
    assert [ax.get_ylabel() for ax in panel.axes] == ["°C", "L/min"]
    assert panel.marker_time() == moment(times[60])

    # nothing selected again: the sentence
    window.select_parts([])
    assert panel.stack.currentWidget() is panel.message and panel.message.text() == NOTHING_SELECTED


def test_a_loop_finding_plots_the_loop(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel = window.history
    item = window.findings.item_for("G-loop1", "critical")
    finding = window.findings.finding(item)
    assert finding.loop >= 0
    window.tracing.go_to_finding(finding)
    expected = sql(hall_db, "select s.name from sensors s join cooling_loops c on c.id = s.cooling_loop_id "
                            "where c.name = 'G-loop1' order by s.id")
    assert sorted(panel.lines) == sorted(n for (n,) in expected) and len(expected) == 3
    assert panel.choice.currentText() == "loop G-loop1" and "loop G-loop1" in panel.title.text()
    supply, dt = sql(hall_db, "select supply_c, design_dt_k from cooling_loops where name = 'G-loop1'")[0]
    dashed = [line.get_ydata()[0] for line in panel.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert dashed == [supply + dt]
    # the return runs above its design return at the undersized CDU: the data show the finding
    assert np.max(panel.lines["G-loop1-return"].get_ydata()) > supply + dt


def test_a_damaged_reading_is_named_in_the_dock(qtbot, window, hall_db, tmp_path):  # noqa: F811
    path = tmp_path / "damaged.twin.db"
    path.write_bytes(hall_db.read_bytes())
    with sqlite3.connect(path) as conn:
        (sensor,) = conn.execute("select id from sensors where name = 'A06-outlet'").fetchone()
        # mid-day, so the latest moment (the one the window opens at) still reads
        conn.execute("update readings set ts = '2026-11-24T16:00:00Q' where sensor_id = ? "
                     "and ts = '2026-11-24T16:00:00Z'", [sensor])
    open_and_wait(qtbot, window, path)
    panel, d = window.history, window.design
    window.select_parts([int(window.scene.geometry.frame_of_rack[d.rack_index("A06")])])
    assert panel.stack.currentWidget() is panel.message
    text = panel.message.text()
    assert "rack A06" in text and str(path) in text and f"sensor_id {sensor}" in text and "16:00:00Q" in text
    window.select_parts([int(window.scene.geometry.frame_of_rack[d.rack_index("A05")])])     # the rest still plots
    assert panel.stack.currentWidget() is panel.plot_page and "A05-inlet" in panel.lines
