"""Export speed on hall-2000 (and ai-hall): GLB, USD, one row of per-rack images, the report.

GLB and USD run as the `twin export` command does (a fresh process each, wall time including
start-up and loading the design), with the file size. The image batch renders one row of
racks from one scene; its baseline, measured in the same run, builds the scene again for
every image (what a loop over `twin export image` does), on the first few racks.
CPU time is printed beside wall time: on a shared machine it is the steadier figure (with llvmpipe
rendering on several threads, CPU time can exceed wall time on an idle machine).
Targets (hall-2000): GLB ≤ 60 s and ≤ 300 MB, USD ≤ 60 s, one row at ≥ 2 images per second.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table, scene_db  # noqa: E402

SIZE = (1280, 720)
BASELINE_IMAGES = 3


def run_cli(*args: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one `twin` process. On a shared machine the CPU
    time is the steadier figure: it is what the run costs with the cores to itself."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "twin", *args, "-q"], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def file_rows(name: str, out: Path) -> list[list[str]]:
    db = str(scene_db(name))
    rows = []
    for what, suffix in (("glb", ".glb"), ("usd", ".usd")):
        path = out / f"{name}{suffix}"
        wall, cpu = run_cli("export", what, db, "-o", str(path))
        rows.append([name, what, f"{wall:.1f} s", f"{cpu:.1f} s", f"{path.stat().st_size / 1e6:.1f} MB"])
    return rows


def batch_row(name: str, out: Path) -> list[str]:
    from twin.export.batch import ImageRenderer, plan_images
    from twin.export.image import write_png
    from twin.session import ReviewSession
    from twin.store import load_design

    session = ReviewSession(load_design(scene_db(name)))
    row = sorted(set(session.design.racks.row.tolist()))[len(set(session.design.racks.row.tolist())) // 2]
    jobs = plan_images(session, str(out / "{rack}.png"), ["front"], ["thermal"], row=row)
    start = time.perf_counter()
    cpu0 = time.process_time()
    renderer = ImageRenderer(session, size=SIZE, quality="fast")
    per_image = []
    for job in jobs:
        t = time.perf_counter()
        write_png(renderer.render(job.camera, job.overlay, SIZE), job.path)
        per_image.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    rate = len(jobs) / total
    naive = []
    for job in jobs[:BASELINE_IMAGES]:
        t = time.perf_counter()
        fresh = ImageRenderer(session, size=SIZE, quality="fast")
        write_png(fresh.render(job.camera, job.overlay, SIZE), job.path)
        naive.append(time.perf_counter() - t)
        fresh.scene.detach()
    naive_rate = 1 / statistics.median(naive)
    return [name, f"row {row}", str(len(jobs)), f"{total:.1f} s", f"{cpu:.1f} s", f"{rate:.2f}/s",
            f"{len(jobs) / cpu:.2f}/s",
            f"{statistics.median(per_image) * 1000:.0f} ms", f"{naive_rate:.2f}/s", f"{rate / naive_rate:.1f}×"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = file_rows("ai-hall", out) + file_rows("hall-2000", out)
        print_table("File exports (fresh process each, incl. start-up and loading)",
                    ["scene", "format", "wall", "CPU", "size"], rows)
        wall, cpu = run_cli("export", "report", str(scene_db("ai-hall")), "-o", str(out / "review.html"))
        print(f"\nreport of ai-hall (6 overlay images at 960x540): {wall:.1f} s wall, {cpu:.1f} s CPU")
        batch = [batch_row("ai-hall", out), batch_row("hall-2000", out)]
        print_table(f"Per-rack images of one row, thermal, {SIZE[0]}x{SIZE[1]}, quality fast",
                    ["scene", "row", "images", "wall", "CPU", "rate (wall)", "rate (CPU)", "median image", f"scene per image (first {BASELINE_IMAGES})",
                     "speed-up"], batch)


if __name__ == "__main__":
    main()
