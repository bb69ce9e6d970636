"""Opening a design at scale, and a time-slider step, each beside today's path in the same run.

Rows (each measurement in a fresh process, so peak RSS is its own; 1280x720, software GL):

- `open SCENE`: design file → first frame, split into load and scene (wall and CPU), with
  the peak RSS at the first frame and after the whole open (cables read, every analysis run).
  `deferred` is the viewer's path (`load_design(defer_cables=True)`: cables read after the
  first frame, timed as "cables after"); the baseline `eager` is the path before it (every
  cable read before the scene is built). Targets (idle 2 cores): hall-2000 first frame
  ≤ 1.2 s, campus ≤ 2.5 s, campus peak RSS ≤ 1.2 GB.
- `slider SCENE`: one step of the time slider with the thermal overlay: the snapshot at the
  new moment, the overlay, the recolour and one frame (median of several steps), against the
  snapshot read the way it was before (`latest_readings`: a seek per sensor, row objects).
  Target: ≤ 100 ms + one frame on hall-2000 with its day of readings.

Usage: `python benchmarks/opening.py [open|slider] [SCENE ...] [--designs DIR]` (default:
both rows on hall-2000 and campus; `--designs` takes `DIR/SCENE.twin.db` where it exists
instead of building into build/bench). Prints the 1-minute load average beside each table:
figures from a loaded machine are not an idle machine's.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table, scene_db  # noqa: E402

SIZE = (1280, 720)
STEPS = 7


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_open(db: str, deferred: bool) -> dict:
    from twin.scene import Scene
    from twin.session import ReviewSession
    from twin.store import load_design

    wall, cpu = time.perf_counter(), time.process_time()
    design = load_design(db, defer_cables=deferred)
    load_w, load_c = time.perf_counter(), time.process_time()
    scene = Scene(design, size=SIZE)
    scene.lod.update(force=True)
    scene.render()
    first_w, first_c = time.perf_counter(), time.process_time()
    first_rss = peak_mb()
    if deferred:
        design.cables.load()
    cables_w = time.perf_counter()
    ReviewSession(design).findings()
    return {"load_s": load_w - wall, "load_cpu_s": load_c - cpu, "scene_s": first_w - load_w,
            "scene_cpu_s": first_c - load_c, "first_s": first_w - wall, "first_cpu_s": first_c - cpu,
            "first_rss_mb": first_rss, "cables_after_s": cables_w - first_w if deferred else 0.0,
            "whole_s": time.perf_counter() - wall, "whole_cpu_s": time.process_time() - cpu, "peak_rss_mb": peak_mb()}


def measure_slider(db: str, baseline: bool) -> dict:
    import numpy as np

    from twin.scene import Scene
    from twin.session import ReviewSession
    from twin.store import load_design, telemetry

    if baseline:                    # the snapshot as it was read before: a seek per sensor, row objects
        def old(conn, at):
            rows = telemetry.latest_readings(conn, at)
            return (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                    np.array([r[1] or "" for r in rows], dtype=object),
                    np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=len(rows)))
        telemetry.snapshot_arrays = old
    design = load_design(db, defer_cables=True)
    session = ReviewSession(design)
    times = session.times()
    if len(times) < STEPS + 2:
        return {"error": f"{len(times)} reading times: too few for a slider row"}
    scene = Scene(design, size=SIZE, state=session.view)
    scene.lod.update(force=True)
    session.view.set_overlay(session.overlay("thermal"))
    scene.render()
    steps, cpus, frames = [], [], []
    for ts in times[1:STEPS + 1]:
        wall, cpu = time.perf_counter(), time.process_time()
        session.set_time(ts)
        session.view.set_overlay(session.overlay("thermal"), keep_range=True)
        scene.render()
        steps.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        start = time.perf_counter()
        scene.render()
        frames.append(time.perf_counter() - start)
    return {"step_s": statistics.median(steps), "step_cpu_s": statistics.median(cpus),
            "frame_s": statistics.median(frames), "times": len(times)}


def run_one(kind: str, db: Path, variant: str) -> dict:
    """One measurement in a fresh process (so its RSS is its own)."""
    out = subprocess.run([sys.executable, __file__, "--one", kind, str(db), variant], capture_output=True, text=True,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_average() -> str:
    return f"load average {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs"


def design_of(name: str, designs: Path | None) -> Path:
    if designs is not None and (designs / f"{name}.twin.db").exists():
        return designs / f"{name}.twin.db"
    return scene_db(name)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        kind, db, variant = argv[1:4]
        result = measure_open(db, variant == "deferred") if kind == "open" else measure_slider(db, variant == "baseline")
        print(json.dumps(result))
        return
    designs = None
    if "--designs" in argv:
        i = argv.index("--designs")
        designs, argv = Path(argv[i + 1]), argv[:i] + argv[i + 2:]
    rows_asked = [a for a in argv if a in ("open", "slider")] or ["open", "slider"]
    scenes = [a for a in argv if a not in ("open", "slider")] or ["hall-2000", "campus"]
    if "open" in rows_asked:
        rows = []
        for name in scenes:
            db = design_of(name, designs)
            for variant in ("eager", "deferred"):
                r = run_one("open", db, variant)
                if "error" in r:
                    rows.append([name, variant, r["error"]] + [""] * 6)
                    continue
                rows.append([name, variant + (" (baseline)" if variant == "eager" else ""),
                             f"{r['load_s']:.2f} / {r['load_cpu_s']:.2f}", f"{r['scene_s']:.2f} / {r['scene_cpu_s']:.2f}",
                             f"{r['first_s']:.2f} / {r['first_cpu_s']:.2f}", f"{r['first_rss_mb']:,.0f}",
                             f"{r['cables_after_s']:.2f}" if variant == "deferred" else "-",
                             f"{r['whole_s']:.2f} / {r['whole_cpu_s']:.2f}", f"{r['peak_rss_mb']:,.0f}"])
        print_table(f"Open, file → first frame (s wall / s CPU), {SIZE[0]}x{SIZE[1]}; {load_average()}",
                    ["scene", "path", "load", "scene", "first frame", "RSS at frame MB", "cables after",
                     "whole open + checks", "peak RSS MB"], rows)
    if "slider" in rows_asked:
        rows = []
        for name in scenes:
            db = design_of(name, designs)
            for variant in ("baseline", "new"):
                r = run_one("slider", db, variant)
                if "error" in r:
                    rows.append([name, variant, r["error"], "", "", ""])
                    continue
                rows.append([name, "per-sensor seeks (baseline)" if variant == "baseline" else "moment's rows as columns",
                             f"{r['step_s'] * 1000:.0f}", f"{r['step_cpu_s'] * 1000:.0f}",
                             f"{(r['step_s'] - r['frame_s']) * 1000:.0f}", f"{r['frame_s'] * 1000:.0f}"])
        print_table(f"Time-slider step, thermal overlay: snapshot + overlay + recolour + frame (ms, median of {STEPS}); "
                    f"{load_average()}", ["scene", "snapshot read", "step", "step CPU", "step less a frame", "one frame"],
                    rows)


if __name__ == "__main__":
    main(sys.argv[1:])
