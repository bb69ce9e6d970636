"""Frames while the camera moves: a scripted turntable orbit on hall-2000 at 1280x720.

Three views: the hall overview (iso), a row (one row of racks filling the view) and a close-up
(the fly-to pose of a compute tray in the middle of the hall, racks around it in full detail).
Each orbits 60 frames, 3 degrees a frame, drawn three ways in the same process and run:
- still:    no interactive level of detail, full detail every frame (the viewer before it);
- before:   the moving level as it was (boxes stand in for detailed racks and facility gear,
            the still frame's per-floor-cell box actors stay, labels stay, full resolution);
- now:      the moving level of `RenderOptions` (one merged box actor, no labels, half resolution,
            the full meshes of the rack nearest the focal point kept).
Each way orbits twice, interleaved with the others (still, before, now, now, before, still), so
a load change on a shared machine touches all three alike; the 120 frames of each give the median
and 95th percentile wall time, and the median process CPU time (llvmpipe's threads included).
Target: >= 20 frames/s (<= 50 ms median) while moving at every view, close-ups included.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table, scene_db  # noqa: E402

SIZE = (1280, 720)
FRAMES = 60
STEP_DEG = 3.0
#: The moving level before reduced resolution, merged boxes and hidden labels.
BEFORE = dict(moving_reduction=1, moving_merged=False, moving_labels=True, moving_detail_budget=0)


def orbit(scene, moving: bool) -> tuple[list[float], list[float]]:
    """Wall and CPU frame times (s) of a 60-frame turntable orbit from the scene's current pose."""
    from twin.scene.camera import turntable

    start = scene.camera.camera_pose()
    scene.lod.update(force=True)
    scene.lod.set_moving(moving)
    scene.render()
    wall, cpu = [], []
    for i in range(FRAMES):
        scene.camera.set_camera_pose(turntable(start, STEP_DEG * (i + 1), 0.0))
        t, c = time.perf_counter(), time.process_time()
        scene.render()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    scene.lod.set_moving(False)
    scene.camera.set_camera_pose(start)
    return wall, cpu


def row_pose(scene):
    """One row of racks (the middle rack's) seen from the iso direction, filling the view."""
    from twin.scene.camera import look_from
    from twin.scene.views import tight

    design = scene.design
    rows = design.racks.row
    racks = np.flatnonzero(rows == rows[len(rows) // 2])
    frames = scene.geometry.frame_of_rack[racks]
    frames = frames[frames >= 0]
    lo, hi = scene.geometry.box_lo[frames].min(axis=0), scene.geometry.box_hi[frames].max(axis=0)
    return tight(scene, look_from(np.array((-0.75, -1.0, 0.85)), lo, hi, scene.camera.aspect()), lo, hi)


def main() -> None:
    from twin.scene import Scene
    from twin.store import load_design

    design = load_design(scene_db("hall-2000"))
    scene = Scene(design, size=SIZE)
    now = {k: getattr(scene.options, k) for k in BEFORE}
    trays = np.flatnonzero(scene.geometry.kind == "compute_tray")
    tray = int(trays[len(trays) // 2]) if len(trays) else int(scene.geometry.frame_of_rack[len(design.racks) // 2])
    views = {"overview (iso)": scene.camera.view_pose("iso"), "row": row_pose(scene),
             "close-up (fly-to)": scene.camera.fly_to_pose(tray)}
    ways = {"still": (False, BEFORE), "before": (True, BEFORE), "now": (True, now)}
    rows = []
    for label, pose in views.items():
        wall = {w: [] for w in ways}
        cpu = {w: [] for w in ways}
        for way in list(ways) + list(reversed(ways)):
            moving, options = ways[way]
            scene.lod.set_moving_options(**options)
            scene.camera.set_camera_pose(pose)
            w, c = orbit(scene, moving)
            wall[way] += w
            cpu[way] += c
        med = {w: statistics.median(wall[w]) for w in ways}
        p95 = {w: sorted(wall[w])[int(0.95 * (len(wall[w]) - 1))] for w in ways}
        cpu_med = {w: statistics.median(cpu[w]) for w in ways}
        rows.append([label] + [f"{med[w] * 1e3:.1f} / {p95[w] * 1e3:.1f}" for w in ways]
                    + [f"{cpu_med[w] * 1e3:.1f}" for w in ways]
                    + [f"{1 / med['now']:.1f}", f"{med['still'] / med['now']:.2f}x", f"{med['before'] / med['now']:.2f}x",
                       f"{cpu_med['before'] / cpu_med['now']:.2f}x"])
    print_table(f"Orbit of {FRAMES} frames (x2, interleaved) on hall-2000 at {SIZE[0]}x{SIZE[1]}, ms a frame. "
                "still: full detail; before: the moving level as it was; now: merged boxes, no labels, "
                f"1/{now['moving_reduction']} resolution",
                ["view", "still med/p95", "before med/p95", "now med/p95", "still cpu", "before cpu", "now cpu",
                 "fps now", "still/now", "before/now", "before/now cpu"], rows)


if __name__ == "__main__":
    main()
