"""Frames while the camera moves: a scripted turntable orbit on hall-2000 at 1280x720.

Two views: the hall overview (iso) and a close-up (the fly-to pose of a compute tray in the
middle of the hall, racks around it in full detail). Each orbits 60 frames, 3 degrees a
frame, with interactive level of detail on (boxes stand in for full rack and facility
meshes while moving, as ParaView does) and off (full detail every frame: the viewer before
this option), in the same process and run. Prints the median and 95th percentile frame
times, the frames per second they give, and the ratio off / on.
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


def orbit(scene, moving: bool) -> list[float]:
    """Frame times (s) of a 60-frame turntable orbit from the scene's current pose."""
    from twin.scene.camera import turntable

    start = scene.camera_pose()
    scene.update_lod(force=True)
    scene.set_moving(moving)
    scene.render()
    times = []
    for i in range(FRAMES):
        scene.set_camera_pose(turntable(start, STEP_DEG * (i + 1), 0.0))
        t = time.perf_counter()
        scene.render()
        times.append(time.perf_counter() - t)
    scene.set_moving(False)
    scene.set_camera_pose(start)
    return times


def main() -> None:
    from twin.scene import Scene
    from twin.store import load_design

    design = load_design(scene_db("hall-2000"))
    scene = Scene(design, size=SIZE)
    trays = np.flatnonzero(scene.kind == "compute_tray")
    tray = int(trays[len(trays) // 2]) if len(trays) else int(scene.frame_of_rack[len(design.racks) // 2])
    views = {"overview (iso)": scene.view_pose("iso"), "close-up (fly-to)": scene.fly_to_pose(tray)}
    rows = []
    for label, pose in views.items():
        result = {}
        for moving in (False, True):
            scene.set_camera_pose(pose)
            times = sorted(orbit(scene, moving))
            result[moving] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
        (off_med, off_p95), (on_med, on_p95) = result[False], result[True]
        rows.append([label, f"{off_med * 1e3:.1f}", f"{off_p95 * 1e3:.1f}", f"{on_med * 1e3:.1f}",
                     f"{on_p95 * 1e3:.1f}", f"{1 / on_med:.1f}", f"{off_med / on_med:.2f}x"])
    print_table(f"Orbit of {FRAMES} frames on hall-2000 at {SIZE[0]}x{SIZE[1]} (ms a frame; LOD = interactive "
                "level of detail)",
                ["view", "LOD off median", "LOD off p95", "LOD on median", "LOD on p95", "fps (on)", "off/on"],
                rows)


if __name__ == "__main__":
    main()
