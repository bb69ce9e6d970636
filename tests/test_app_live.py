"""The viewer's live mode against a real Redfish service: sushy-tools' `sushy-static` serving a
copy of DMTF's liquid-cooled server mockup on 127.0.0.1, its chassis serial set to a compute
tray of ai-hall, and the real window under Xvfb (pytest-qt).

File → Connect telemetry… is filled in as a user would; the first poll binds the server's
sensors to the tray (the design reopens with them); a reading then changed in the served
file shows in the thermal overlay, the History plot and the status bar at the next poll.
Expectations come from the mockup's JSON and SQL on the design file, never from twin's code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from tests.live_support import redfish_service

MOCKUP = "public-liquid-cooled-server"
INTAKE = "Chassis/1U/Sensors/IntakeTemp/index.json"


def sql(path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


@pytest.fixture
def served(tmp_path: Path, shared_data: Path, hall_db: Path):
    """(service root URL, mockup copy, the tray's part name): the mockup's 1U chassis carries
    the serial of ai-hall's A01-U05, served by a real sushy-static process."""
    (tray, serial), = sql(hall_db, "select name, serial from parts where name = 'A01-U05'")
    with redfish_service(shared_data / "redfish" / MOCKUP, tmp_path / "mockup", {"Chassis/1U": serial}) as url:
        yield url, tmp_path / "mockup", tray


def set_reading(mockup: Path, value: float) -> None:
    path = mockup / INTAKE
    doc = json.loads(path.read_text())
    doc["Reading"] = value
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=4))
    tmp.replace(path)                  # sushy-static reads the file again on every request


def rack_inlet(db: Path, rack: str, stale_after_s: float = 3600.0) -> float:
    """The rack's measured inlet at the file's newest moment: the hottest inlet_temp sensor of
    the rack whose latest reading is at most an hour older than that moment (SQL + numpy)."""
    (newest,), = sql(db, "select max(ts) from readings")
    rows = sql(db, """select r.ts, r.value from sensors s join racks k on k.id = s.rack_id
                      join readings r on r.sensor_id = s.id and r.ts = (select max(ts) from readings
                                                                        where sensor_id = s.id)
                      where k.name = ? and s.kind = 'inlet_temp'""", [rack])

    def seconds(ts: str) -> float:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()

    fresh = [v for ts, v in rows if seconds(newest) - seconds(ts) <= stale_after_s]
    return float(np.max(fresh))


def test_a_reading_changed_on_the_server_shows_within_one_poll(qtbot, window, hall_db, tmp_path,  # noqa: F811
                                                               served):
    url, mockup, tray_name = served
    db = tmp_path / "live.twin.db"
    shutil.copy(hall_db, db)
    open_and_wait(qtbot, window, db)
    window.overlays.choose("thermal")
    window.viewport.set_view("front")
    pose_before = window.scene.camera.camera_pose()
    sensors_before = len(window.design.sensors)

    # File → Connect telemetry…, filled in and accepted as a user would
    window.live.connect_action.trigger()
    dialog = window.live.dialog
    qtbot.waitExposed(dialog)
    dialog.sources.setPlainText(url)
    dialog.every.setText("1s")
    dialog.user.setText("operator")
    dialog.password.setText("never-stored-pw")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)

    # the first poll binds the server's sensors to the tray: the design reopens with them
    def in_file() -> int:
        return sql(db, "select count(*) from sensors")[0][0]

    qtbot.waitUntil(lambda: window.live.reports >= 1 and not window.loading and window.design is not None
                    and len(window.design.sensors) == in_file() > sensors_before, timeout=60000)
    assert window.view.overlay_name == "thermal"            # the overlay and camera before the reopen are back
    assert np.allclose(window.scene.camera.camera_pose().position, pose_before.position)
    bound = sql(db, "select count(*) from sensors s join parts p on p.id = s.part_id where p.name = ? and "
                    "s.source = ?", [tray_name, url])[0][0]
    assert bound > 0
    tray = int(np.flatnonzero(window.design.parts.name == tray_name)[0])
    intake = json.loads((mockup / INTAKE).read_text())["Reading"]
    qtbot.waitUntil(lambda: window.view.overlay is not None
                    and window.view.overlay.values[tray] == pytest.approx(rack_inlet(db, "A01")), timeout=20000)
    assert rack_inlet(db, "A01") == pytest.approx(intake)   # the served intake is A01's only fresh inlet

    # the status bar: the source, the last poll, bound and unbound counts, stale sensors
    status = window.live.label.text()
    assert url in status and "last poll" in status and " bound" in status and "unbound" in status \
        and "stale" in status

    # select the tray: History plots its sensors, the intake among them
    window.select_parts([tray])
    window.history_dock.raise_()
    name = f"{tray_name}/IntakeTemp"
    qtbot.waitUntil(lambda: name in window.history.lines, timeout=10000)
    colour_before = window.scene.colour_of(part=tray).copy()

    # change the reading on the server: the first poll that starts after the edit shows it
    set_reading(mockup, 31.5)
    edited_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    qtbot.waitUntil(lambda: window.live.last is not None and window.live.last.at > edited_at, timeout=20000)
    assert window.view.overlay.values[tray] == pytest.approx(31.5)
    assert rack_inlet(db, "A01") == pytest.approx(31.5)
    assert window.view.moment == sql(db, "select max(ts) from readings")[0][0]
    assert not np.allclose(window.scene.colour_of(part=tray), colour_before)
    points = sql(db, "select count(*) from readings r join sensors s on s.id = r.sensor_id where s.name = ?",
                 [name])[0][0]
    assert len(window.history.lines[name].get_xdata()) == points

    # disconnect: no more polls; the password was never written to the settings
    window.live.disconnect_action.trigger()
    polls = window.live.reports
    qtbot.wait(2500)
    assert window.live.reports == polls and not window.live.connected
    window.settings.sync()
    settings_text = (tmp_path / "settings.ini").read_text()
    assert url in settings_text and "never-stored-pw" not in settings_text and "operator" not in settings_text
    window.live.shutdown()
    assert window.errors == []


@pytest.mark.parametrize("source,every,named", [
    ("http://operator:secret@127.0.0.1:9/redfish/v1", "30s", "User and Password"),
    ("http://127.0.0.1:9/redfish/v1", "often", "Poll every"),
    ("", "30s", "Sources")])
def test_the_dialog_refuses_bad_input_in_one_message(qtbot, window, pod_db, tmp_path, source, every,  # noqa: F811
                                                     named):
    open_and_wait(qtbot, window, pod_db)
    window.live.connect_action.trigger()
    dialog = window.live.dialog
    qtbot.waitExposed(dialog)
    dialog.sources.setPlainText(source)
    dialog.every.setText(every)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert not window.live.connected
    assert len(window.errors) == 1 and named in window.errors[0][1], window.errors
    window.settings.sync()
    assert "secret" not in (tmp_path / "settings.ini").read_text()
