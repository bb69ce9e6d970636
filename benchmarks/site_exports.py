"""Exports at site scale, each beside a baseline measured in the same run (issue 27):

- image: a headless `twin export image` of hall-2000 (iso, 1920x1080: what CI runs), a fresh
  process each; baseline: the same export with every rack in view given full meshes, as
  before exports drew only what their image can show (`detail_min_pixels=0`).
- usd:   `twin export usd` of the campus, a fresh process each; baseline: the USDA text writer
  (benchmarks/usd_text_baseline.py). The baseline takes about ten minutes.
- batch: per-rack close-ups of one hall-2000 row from one scene (front, thermal, 1280x720,
  fast); baseline: the same batch with the kept pieces forgotten before every image, so each
  close-up builds its neighbours' meshes again (`Layers.forget_pieces`).

Wall time, CPU time (the steadier figure on a shared machine) and peak RSS of each, and the
load average before and after. Run one row with `python benchmarks/site_exports.py image`
(or usd, batch); no argument runs all three. Targets (2 cores, software GL, idle machine):
image ≤ 3 s wall and ≤ 1 GB; usd ≤ 90 s wall and ≤ 3 GB; batch ≥ 3 images/s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, print_table, scene_db  # noqa: E402

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {bench!r})
start, cpu = time.perf_counter(), time.process_time()
{body}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss_mb": usage.ru_maxrss / 1024, **extra}}))
"""

IMAGE_NEW = """
from twin.export.image import export_image
export_image({db!r}, {out!r})
extra = {{}}
"""
IMAGE_BASELINE = """
from twin.export.image import ImageRenderer, write_png
from twin.scene.options import EXPORT
from twin.session import ReviewSession
from twin.store import load_design
session = ReviewSession(load_design({db!r}))
renderer = ImageRenderer(session, options=EXPORT.but(detail_min_pixels=0))
write_png(renderer.render("iso", "none"), {out!r})
extra = {{}}
"""
USD_NEW = """
from twin.export.usd import export_usd
from twin.store import load_design
export_usd(load_design({db!r}), {out!r})
extra = {{}}
"""
USD_BASELINE = """
from usd_text_baseline import export_usd_text
from twin.store import load_design
export_usd_text(load_design({db!r}), {out!r})
extra = {{}}
"""
BATCH = """
from twin.export.batch import ImageRenderer, plan_images
from twin.export.image import write_png
from twin.session import ReviewSession
from twin.store import load_design
session = ReviewSession(load_design({db!r}))
rows = sorted(set(session.design.racks.row.tolist()))
row = rows[len(rows) // 2]
jobs = plan_images(session, {out!r} + "/{{rack}}.png", ["front"], ["thermal"], row=row)
renderer = ImageRenderer(session, size=(1280, 720), quality="fast")
renderer.render("iso", "thermal")
t, c = time.perf_counter(), time.process_time()
for job in jobs:
    if {forget}:
        renderer.scene.layers.forget_pieces()
    write_png(renderer.render(job.camera, job.overlay, (1280, 720)), job.path)
wall, cpu_images = time.perf_counter() - t, time.process_time() - c
extra = {{"images": len(jobs), "row": row, "rate": len(jobs) / wall, "rate_cpu": len(jobs) / cpu_images}}
"""


def child(body: str) -> dict:
    """Run `body` in a fresh Python process; its wall, CPU, peak RSS and extras."""
    code = CHILD.format(bench=str(Path(__file__).resolve().parent), body=body)
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def fmt(r: dict) -> list[str]:
    return [f"{r['wall']:.1f} s", f"{r['cpu']:.1f} s", f"{r['rss_mb']:.0f} MB"]


def image_row(tmp: Path) -> list[list[str]]:
    db = str(scene_db("hall-2000"))
    rows = []
    for what, body in (("export image (builds what it shows)", IMAGE_NEW), ("baseline: every rack in view detailed",
                                                                           IMAGE_BASELINE)):
        before = load()
        r = child(body.format(db=db, out=str(tmp / "hall-2000.png")))
        rows.append(["hall-2000 iso 1920x1080", what] + fmt(r) + [before, load()])
    return rows


def usd_row(tmp: Path) -> list[list[str]]:
    db = str(scene_db("campus"))
    rows = []
    for what, body in (("Sdf writer", USD_NEW), ("baseline: USDA text writer", USD_BASELINE)):
        before = load()
        out = tmp / f"campus-{len(rows)}.usd"
        r = child(body.format(db=db, out=str(out)))
        rows.append(["campus", what] + fmt(r) + [f"{out.stat().st_size / 1e6:.0f} MB", before, load()])
    return rows


def batch_row(tmp: Path) -> list[list[str]]:
    db = str(scene_db("hall-2000"))
    rows = []
    for what, forget in (("near racks' detail kept", False), ("baseline: rebuilt per image", True)):
        folder = tmp / f"batch-{int(forget)}"
        folder.mkdir(exist_ok=True)
        before = load()
        r = child(BATCH.format(db=db, out=str(folder), forget=forget))
        rows.append([f"hall-2000 row {r['row']}", what, str(r["images"]), f"{r['rate']:.2f}/s",
                     f"{r['rate_cpu']:.2f}/s"] + fmt(r) + [before, load()])
    return rows


def main(which: list[str]) -> None:
    which = which or ["image", "usd", "batch"]
    unknown = set(which) - {"image", "usd", "batch"}
    if unknown:
        raise SystemExit(f"unknown row {sorted(unknown)[0]!r}: use image, usd or batch")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if "image" in which:
            print_table("Headless image export (fresh process: start-up, load, scene, frame, PNG)",
                        ["scene", "path", "wall", "CPU", "peak RSS", "load before", "load after"], image_row(tmp))
        if "usd" in which:
            print_table("USD export of the campus (fresh process, load included)",
                        ["scene", "writer", "wall", "CPU", "peak RSS", "file", "load before", "load after"],
                        usd_row(tmp))
        if "batch" in which:
            print_table("Per-rack images of one row (front, thermal, 1280x720, fast; rate over the images)",
                        ["row", "path", "images", "rate (wall)", "rate (CPU)", "wall", "CPU", "peak RSS",
                         "load before", "load after"], batch_row(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
