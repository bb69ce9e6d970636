"""Cabling speed on hall-2000 (297,440 cables): routing at build, the check, the cabling frame.

- route: every cable of the generated design through the tray network, as `twin build`
  does it (the post-generation step alone, medians of 3); target ≤ 10 s.
- check: the cabling analysis on a loaded design, first run (including the lazy port and
  cable-name queries it makes) and a repeat; target ≤ 1 s.
- frame: the hall overview with the cabling overlay (all cables drawn as lines) against the
  same overview without cables, in the same process; target ≤ 0.3 s, ratio reported. The
  first cabling frame also pays for the route polylines (computed once per design): shown
  apart as "cable set-up".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_time, print_table, scene_db  # noqa: E402

SIZE = (1280, 720)


def main() -> None:
    import numpy as np

    from twin.analysis.cabling import run_cabling
    from twin.scene import Scene
    from twin.session import ReviewSession
    from twin.specs.cable_routes import route_generated_cables
    from twin.specs.generator import generate
    from twin.specs.spec import load_spec
    from twin.store import load_design

    name = "hall-2000"
    db = scene_db(name)
    spec = load_spec(Path(__file__).resolve().parents[1] / "scenes" / f"{name}.toml")
    tables = generate(spec)
    route = median_time(lambda: route_generated_cables(tables), 3)
    n_cables = len(tables["cables"]["id"])

    design = load_design(db)
    start = time.perf_counter()
    result = run_cabling(design)
    check_first = time.perf_counter() - start
    check_again = median_time(lambda: run_cabling(design), 3)

    scene = Scene(design, size=SIZE)
    scene.lod.update(force=True)
    cam = scene.renderer.GetActiveCamera()

    def frame() -> None:
        cam.Azimuth(0.2)
        scene.render()

    scene.render()
    plain = median_time(frame, 5)
    overlay = ReviewSession(design).overlay("cabling")
    start = time.perf_counter()
    scene.set_overlay(overlay)
    scene.render()
    setup = time.perf_counter() - start
    cabling = median_time(frame, 5)
    start = time.perf_counter()
    scene.set_overlay(ReviewSession(design).overlay("cabling-reach"))
    recolour = time.perf_counter() - start
    drawn = int(len(scene.decorations.cable_rows))
    print_table(f"cabling, {name}: {n_cables:,} cables, {len(design.cable_trays)} trays, "
                f"{len(result.findings)} findings ({SIZE[0]}x{SIZE[1]}, medians)",
                ["step", "time", "target", "note"],
                [["route all cables (build step)", f"{route:.2f} s", "≤ 10 s", f"{n_cables / route:,.0f} cables/s"],
                 ["cabling check, first run", f"{check_first * 1000:.0f} ms", "≤ 1 s", "incl. lazy port queries"],
                 ["cabling check, again", f"{check_again * 1000:.0f} ms", "≤ 1 s", ""],
                 ["overview frame, no cables", f"{plain * 1000:.0f} ms", "", "baseline, same run"],
                 ["overview frame, cabling overlay", f"{cabling * 1000:.0f} ms", "≤ 0.3 s",
                  f"{cabling / plain:.1f}x the frame without cables; {drawn:,} cables drawn"],
                 ["cable set-up (first overlay + frame)", f"{setup:.2f} s", "", "route polylines, once per design"],
                 ["switch to the reach overlay", f"{recolour * 1000:.0f} ms", "", "runs the check once, rebuilds lines"]])
    assert np.isfinite(cabling)


if __name__ == "__main__":
    main()
