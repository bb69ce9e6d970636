"""docs/images/viewer-live.png: the viewer in live mode against two real Redfish services.

sushy-tools' `sushy-static` serves copies of DMTF's liquid-cooled server mockup (its chassis
serial set to ai-hall's A01-U05) and CDU mockup (serial of A-CDU1, its overflow switch set
to Critical) on 127.0.0.1; the viewer connects to both (as File → Connect telemetry… does),
the first poll binds their sensors, and the screenshot shows the thermal overlay, the
design-against-live findings naming source URIs and the live status bar.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/live_screenshot.py build/ai-hall.twin.db
Needs ImageMagick's `import`.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))
from viewer_screenshots import OUT, grab, open_window, settle  # noqa: E402
from tests.live_support import redfish_service  # noqa: E402

from PySide6.QtCore import Qt  # noqa: E402

from twin.app.live_mode import Connection  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "redfish"


def main(source: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="twin-live-"))
    db = work / "ai-hall-live.twin.db"
    shutil.copy(source, db)
    with sqlite3.connect(db) as conn:
        serial = dict(conn.execute("select name, serial from parts where name in ('A01-U05', 'A-CDU1')").fetchall())
    with ExitStack() as stack:
        server = stack.enter_context(redfish_service(SHARED / "public-liquid-cooled-server", work / "server",
                                                     {"Chassis/1U": serial["A01-U05"]}))
        cdu_copy = work / "cdu"
        cdu = stack.enter_context(redfish_service(SHARED / "public-cooling-unit", cdu_copy,
                                                  {"Chassis/CDU": serial["A-CDU1"]}))
        leak = cdu_copy / "Chassis/CDU/LeakDetectors/Overflow/index.json"
        doc = json.loads(leak.read_text())
        doc["DetectorState"] = "Critical"
        leak.write_text(json.dumps(doc, indent=4))
        app, win, settings = open_window(str(db))
        before = len(win.design.sensors)
        win.overlays.choose("thermal")
        win.live.connect(Connection([server, cdu], every_s=2.0))
        while win.live.reports < 1 or win.loading or len(win.design.sensors) <= before:
            settle(app, 0.2)
        while win.live.reports < 3:
            settle(app, 0.2)
        tray = int((win.design.parts.name == "A01-U05").nonzero()[0][0])
        win.select_parts([tray])
        win.selecting.fly_to_selection()
        while win.viewport.flying:
            settle(app, 0.05)
        win.findings_dock.raise_()
        settle(app, 1.0)
        win.findings.set_filters(analysis="live")        # the design-against-live findings
        win.resizeDocks([win.findings_dock], [300], Qt.Orientation.Vertical)
        settle(app, 0.5)
        grab(app, win, "viewer-live")
        win.live.shutdown()
        settings.clear()
        (OUT / ".screenshots.ini").unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1])
