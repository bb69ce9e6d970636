"""The README's screenshot of the History dock (docs/images/viewer-history.png): rack A06
selected with the thermal overlay, its inlet, outlet and power over the day, the time slider
moved to mid-afternoon.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/history_screenshot.py build/ai-hall.twin.db
Needs ImageMagick's `import`.
"""

from __future__ import annotations

import sys
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from viewer_screenshots import OUT, grab, open_window, settle  # noqa: E402



def main(path: str) -> None:
    app, win, settings = open_window(path)
    win.overlays.choose("thermal")
    settle(app, 0.3)
    win.history_dock.raise_()                         # the History tab beside Findings
    frame = int(win.scene.geometry.frame_of_rack[win.design.rack_index("A06")])
    win.select_parts([frame])
    win.selecting.fly_to_selection()
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
