"""The README's screenshot of the History dock (docs/images/viewer-history.png): rack A06
selected with the thermal overlay, its inlet, outlet and power over the day, the time slider
moved to mid-afternoon.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/history_screenshot.py build/ai-hall.twin.db
Needs ImageMagick's `import`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from viewer_screenshots import OUT, grab, settle  # noqa: E402

from twin.app.window import MainWindow  # noqa: E402


def main(path: str) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    settings = QSettings(str(OUT / ".screenshots.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, report_error=lambda title, msg: print(title, msg))
    win.setGeometry(0, 0, 1600, 1000)
    win.show()
    win.open_file(path)
    while win.loading:
        settle(app, 0.1)
    win.overlays.choose("thermal")
    settle(app, 0.3)
    win.history_dock.raise_()                         # the History tab beside Findings
    frame = int(win.scene.frame_of_rack[win.design.rack_index("A06")])
    win.select_parts([frame])
    win.fly_to_selection()
    while win.viewport.flying:
        settle(app, 0.05)
    times = win.overlays.times
    win.overlays.slider.setValue(times.index("2026-11-24T15:00:00Z") if "2026-11-24T15:00:00Z" in times
                                 else len(times) // 2)
    settle(app, 0.5)
    grab(app, win, "viewer-history")
    settings.clear()
    (OUT / ".screenshots.ini").unlink(missing_ok=True)


if __name__ == "__main__":
    main(sys.argv[1])
