"""Screenshots of the viewer at hall, row and rack scale for the README (docs/images/viewer-*.png),
with the findings dock and a CFD field (its legend under the overlay's), and of the legend strip
with a categorical overlay and in a smaller window (viewer-supply.png, viewer-legend-small.png).

Run under a virtual X display and grab the whole screen the way a reviewer sees it:
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/viewer_screenshots.py build/ai-hall.twin.db
Needs ImageMagick's `import`.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from twin.app.window import MainWindow

OUT = Path(__file__).resolve().parent / "images"


def settle(app: QApplication, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


def grab(app: QApplication, win: MainWindow, name: str, window_only: bool = False) -> None:
    win.viewport.refresh()
    settle(app, 1.5)
    crop = []
    if window_only:                   # just the window, not the rest of the screen
        g = win.frameGeometry()
        crop = ["-crop", f"{g.width()}x{g.height()}+{g.x()}+{g.y()}", "+repage"]
    subprocess.run(["import", "-window", "root", *crop, str(OUT / f"{name}.png")], check=True)
    print("wrote", OUT / f"{name}.png")


def scene_frame(win: MainWindow, rack: str) -> int:
    return int(win.scene.geometry.frame_of_rack[win.design.rack_index(rack)])


def open_window(path: str) -> tuple[QApplication, MainWindow, QSettings]:
    """The viewer at 1600x1000 on the screen's corner with `path` open (settings of its own)."""
    app = QApplication.instance() or QApplication(sys.argv)
    settings = QSettings(str(OUT / ".screenshots.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, report_error=lambda title, msg: print(title, msg))
    win.setGeometry(0, 0, 1600, 1000)
    win.show()
    win.open_file(path)
    while win.loading:
        settle(app, 0.1)
    return app, win, settings


def main(path: str) -> None:
    app, win, settings = open_window(path)
    win.overlays.choose("thermal")
    settle(app, 0.5)
    win.viewport.home()
    grab(app, win, "viewer-hall-scale")
    win.select_parts([int(scene_frame(win, "A04"))])
    grab(app, win, "viewer")
    win.select_parts([])
    d, scene = win.design, win.scene
    row = str(d.racks.row[d.rack_index("A06")])
    racks = np.flatnonzero(d.racks.row == row)
    frames = scene.geometry.frame_of_rack[racks]
    lo, hi = scene.geometry.box_lo[frames].min(axis=0), scene.geometry.box_hi[frames].max(axis=0)
    from twin.scene.camera import look_from
    from twin.scene.views import tight
    pose = look_from(np.array([-0.45, -1.0, 0.6]), lo, hi, scene.camera.aspect())
    scene.camera.set_camera_pose(tight(scene, pose, lo, hi, margin=0.8))
    scene.lod.update()
    grab(app, win, "viewer-row-scale")
    frame = int(scene.geometry.frame_of_rack[d.rack_index("A06")])
    win.select_parts([frame])
    win.selecting.fly_to_selection()
    while win.viewport.flying:
        settle(app, 0.05)
    grab(app, win, "viewer-rack-scale")
    # a CFD field's legend under the thermal one; double-clicking A06's finding flies there
    win.fields.load_field(OUT.parent.parent / "scenes" / "ai-hall-air.vti")
    item = win.findings.item_for("A06", "critical")
    win.findings.list.setCurrentItem(item)
    win.findings.findingActivated.emit(win.findings.finding(item))
    while win.viewport.flying:
        settle(app, 0.05)
    grab(app, win, "viewer-findings")
    win.fields.clear_field()
    # the country-of-origin legend (every name in full) beside the hall seen from above
    win.select_parts([int(np.flatnonzero(d.parts.name == "E02-U31")[0])])
    win.overlays.choose("supply-country")
    win.viewport.set_view("top")
    tree = win.properties.tree
    for i in range(tree.topLevelItemCount()):        # Properties opened on the rack's supply figures
        item = tree.topLevelItem(i)
        item.setExpanded(item.text(0).startswith("Supply"))
    grab(app, win, "viewer-supply")
    # a smaller window: the strip is laid out again and the Home view framed beside it
    win.overlays.choose("power")
    win.setGeometry(0, 0, 1280, 760)
    settle(app, 1.0)
    win.viewport.home()
    grab(app, win, "viewer-legend-small", window_only=True)
    settings.clear()
    (OUT / ".screenshots.ini").unlink(missing_ok=True)


if __name__ == "__main__":
    main(sys.argv[1])
