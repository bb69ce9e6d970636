"""Scene speed on software GL: batched twin scene against a naive one-actor-per-part scene.

For each sample scene, in a fresh process (so peak RSS is per scene): design file → first
frame, overview frame, close-up rack frame, recolour (overlay gather + one frame), pick,
and peak RSS. In the same run, the naive baseline builds one vtkCubeSource/vtkActor per
part, the way typical VTK scripts do, and renders the same overview: the ratio is
naive / twin. Medians of several frames; the camera moves a little between frames so no
frame is a cached redraw.
Targets (hall-2000, 1280x720): first frame ≤ 3 s, overview ≤ 0.2 s and ≥ 10x faster than
naive, close-up ≤ 0.05 s, recolour ≤ 10 ms + one frame, pick ≤ 10 ms, peak RSS ≤ 1.5 GB.
Campus (four halls, ~6,000 racks): first frame ≤ 4 s, site overview ≤ 100 ms, pick ≤ 5 ms,
recolour ≤ 30 ms, peak RSS ≤ 1.5 GB. The naive scene does not fit in memory on the campus
(it passed 10 GB), so for designs above `NAIVE_MAX_PARTS` the baselines of the same run are
the twin scene without the site level of detail (every hall's rack boxes, as before far halls
became row blocks) and the naive scene of the first hall alone; a second table gives the
campus at three distances (site, one hall, one rack), where the halls drawn differ.

Usage: `python benchmarks/scene.py [SCENE ...]` (default: the sample scenes and the campus).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SCENES, median_time, print_table, scene_db  # noqa: E402

SIZE = (1280, 720)
# The naive scene keeps a mapper and actor per part: on the campus (218,444 parts) it passed
# 10 GB of RSS without reaching a first frame, so above this it is not run.
NAIVE_MAX_PARTS = 100_000


def frame_time(scene, frames: int = 5) -> float:
    cam = scene.renderer.GetActiveCamera()

    def one() -> None:
        cam.Azimuth(0.2)
        scene.render()
    scene.render()
    return median_time(one, frames)


def measure_twin(db: str, site_lod: bool = True) -> dict:
    import numpy as np

    from twin.scene import Scene
    from twin.session import ReviewSession
    from twin.store import load_design

    start, cpu = time.perf_counter(), time.process_time()
    design = load_design(db)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    # without the site level of detail every hall is near: all rack boxes, trays and gear
    scene = Scene(design, size=SIZE) if site_lod else Scene(design, size=SIZE, hall_min_pixels=0)
    scene.lod.update(force=True)
    scene.render()
    first = time.perf_counter() - start
    stages = {"load_s": loaded - start, "load_cpu_s": loaded_cpu - cpu, "scene_s": time.perf_counter() - loaded,
              "scene_cpu_s": time.process_time() - loaded_cpu}
    overview = frame_time(scene)
    overview_tris = scene.triangle_count()
    rack = str(design.racks.name[len(design.racks) // 2])
    scene.camera.set_view(f"rack:{rack}")
    scene.lod.update(force=True)
    close = frame_time(scene)
    scene.camera.set_view("iso")
    scene.lod.update(force=True)
    overlay = ReviewSession(design).overlay("power")
    recolour = median_time(lambda: scene.set_overlay(overlay), 5)
    frame = frame_time(scene, 3)
    rng = np.random.default_rng(0)
    pts = rng.uniform([0, 0], SIZE, size=(50, 2))
    it = iter(pts.tolist() * 2)
    pick = median_time(lambda: scene.picking.pick(*next(it)), 50)
    levels = site_levels(scene, design, overlay, pts) if len(design.halls) > 1 else []
    return {"first_s": first, "overview_s": overview, "overview_tris": overview_tris, "close_s": close,
            "recolour_s": recolour, "recolour_frame_s": recolour + frame, "pick_s": pick,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "levels": levels, **stages}


def site_levels(scene, design, overlay, pts) -> list[dict]:
    """A site at three distances: every hall, the first hall, a rack of it; what each draws
    (halls near, triangles) and costs (frame, recolour, pick)."""
    hall = str(design.halls.name[0])
    racks = design.racks.name[design.racks.hall == 0]
    out = []
    for view in ("site", f"hall:{hall}", f"rack:{racks[len(racks) // 2]}"):
        scene.set_overlay(None)
        scene.camera.set_view(view)
        scene.lod.update()
        frame = frame_time(scene)
        recolour = median_time(lambda: scene.set_overlay(overlay), 5)
        at = iter(pts.tolist() * 2)
        pick = median_time(lambda at=at: scene.picking.pick(*next(at)), 50)
        out.append({"view": view, "near": int(scene.site.near.sum()), "tris": scene.triangle_count(),
                    "frame_s": frame, "recolour_s": recolour, "pick_s": pick,
                    "actors": len(scene.actors())})
    return out


def measure_naive(db: str, first_hall_only: bool = False) -> dict:
    """One vtkActor per part (a shared unit cube scaled per actor): the common way, and what
the batching replaces. It draws boxes only, so it does less work per part than twin. With
`first_hall_only`, the parts of the first hall alone (a campus does not fit in memory)."""
    import numpy as np
    from vtkmodules.vtkFiltersSources import vtkCubeSource
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    from twin.scene.options import offscreen_window
    from twin.scene.camera import look_from
    from twin.store import load_design
    from vtkmodules.vtkRenderingCore import vtkRenderer

    start = time.perf_counter()
    design = load_design(db)
    window = offscreen_window(SIZE)
    ren = vtkRenderer()
    window.AddRenderer(ren)
    keep = design.part_hall() == 0 if first_hall_only else slice(None)
    size = design.part_size()[keep].tolist()
    pos = design.parts.position[keep].tolist()
    yaw = design.parts.yaw_deg[keep].tolist()
    cube = vtkCubeSource()          # one shared unit cube, scaled per actor
    cube.Update()
    unit = cube.GetOutput()
    for i in range(len(pos)):
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(unit)
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.SetScale(*size[i])
        actor.SetPosition(pos[i][0], pos[i][1], pos[i][2] + size[i][2] / 2)
        actor.SetOrientation(0, 0, yaw[i])
        ren.AddActor(actor)
    pos = design.parts.position[keep]
    lo, hi = pos.min(axis=0), pos.max(axis=0) + np.array([0, 0, 2.3])
    pose = look_from(np.array([-0.75, -1.0, 0.85]), lo, hi, SIZE[0] / SIZE[1])
    cam = ren.GetActiveCamera()
    cam.SetPosition(*pose.position)
    cam.SetFocalPoint(*pose.focal_point)
    cam.SetViewUp(0, 0, 1)
    ren.ResetCameraClippingRange()
    window.Render()
    first = time.perf_counter() - start

    def one() -> None:
        cam.Azimuth(0.2)
        window.Render()
    return {"first_s": first, "overview_s": median_time(one, 3), "parts": len(pos),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


#: How each child process measures: name → (function, keyword arguments).
WAYS = {"twin": (measure_twin, {}), "twin-all-halls": (measure_twin, {"site_lod": False}),
        "naive": (measure_naive, {}), "naive-first-hall": (measure_naive, {"first_hall_only": True})}


def run_child(how: str, db: str, name: str) -> dict:
    out = subprocess.run([sys.executable, __file__, how, db], capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"{how} {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def twin_row(label: str, t: dict, baseline: list[str]) -> list[str]:
    return [label, f"{t['first_s']:.2f} ({t['load_s']:.2f} + {t['scene_s']:.2f})", f"{t['overview_s'] * 1e3:.0f}",
            f"{t['overview_tris'] / 1e6:.3f}", f"{t['close_s'] * 1e3:.0f}", f"{t['recolour_s'] * 1e3:.1f}",
            f"{t['recolour_frame_s'] * 1e3:.0f}", f"{t['pick_s'] * 1e3:.2f}", f"{t['rss_mb']:.0f}", *baseline]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] in WAYS:     # child process: one scene one way
        how, db = sys.argv[1], sys.argv[2]
        func, kwargs = WAYS[how]
        print(json.dumps(func(db, **kwargs)))
        return
    rows, level_rows = [], []
    for name in sys.argv[1:] or (*SCENES, "campus"):
        db = str(scene_db(name))
        with sqlite3.connect(db) as conn:
            n_parts = conn.execute("select count(*) from parts").fetchone()[0]
        t = run_child("twin", db, name)
        if n_parts <= NAIVE_MAX_PARTS:
            n = run_child("naive", db, name)
            rows.append(twin_row(name, t, [f"naive: {n['first_s']:.2f}", f"{n['overview_s'] * 1e3:.0f}",
                                           f"{n['overview_s'] / t['overview_s']:.1f}x"]))
        else:
            # the naive scene does not fit: twin without the site LOD, and naive on one hall
            b = run_child("twin-all-halls", db, name)
            n = run_child("naive-first-hall", db, name)
            rows.append(twin_row(name, t, [f"all halls' racks: {b['first_s']:.2f}", f"{b['overview_s'] * 1e3:.0f}",
                                           f"{b['overview_s'] / t['overview_s']:.1f}x"]))
            rows.append(twin_row(f"{name}, no site LOD", b, ["-", "-", "-"]))
            rows.append([f"{name}, naive first hall ({n['parts']:,} parts)", f"{n['first_s']:.2f}",
                         f"{n['overview_s'] * 1e3:.0f}", "-", "-", "-", "-", "-", f"{n['rss_mb']:.0f}", "-", "-",
                         f"{n['overview_s'] / t['overview_s']:.1f}x"])
        for lv in t["levels"]:
            level_rows.append([name, lv["view"], str(lv["near"]), f"{lv['tris'] / 1e6:.3f}", str(lv["actors"]),
                               f"{lv['frame_s'] * 1e3:.0f}", f"{lv['recolour_s'] * 1e3:.1f}",
                               f"{lv['pick_s'] * 1e3:.2f}"])
    print_table(f"scene at {SIZE[0]}x{SIZE[1]} (median; ms unless noted; first s = load + scene)",
                ["scene", "first s", "overview", "Mtris", "close-up", "recolour", "+frame", "pick", "RSS MB",
                 "baseline first s", "baseline overview", "speed-up"], rows)
    if level_rows:
        print_table("site level of detail: the same scene at three distances (median ms)",
                    ["scene", "view", "halls near", "Mtris", "actors", "frame", "recolour", "pick"], level_rows)


if __name__ == "__main__":
    main()
