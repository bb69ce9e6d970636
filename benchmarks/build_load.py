"""How long the sample scenes take to build (spec → .twin.db), stage by stage, and to load.

Each figure is the median of several runs in this process (one run for the campus). Targets
(2 cores): hall-2000 builds under 60 s and loads under 3 s; the campus builds in ≤ 30 s into a
file of ≤ 350 MB. Beside the build CPU time (steadier than wall time on a shared machine),
the second table writes the same generated tables with the row-at-a-time writer twin used
before (`executemany` of one row per statement, indexes kept up to date while inserting) as
the baseline measured in the same run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SCENES, median_time, print_table  # noqa: E402

import sqlite_utils  # noqa: E402

from twin.specs import build_design, generate, load_spec  # noqa: E402
from twin.specs.cable_routes import route_generated_cables  # noqa: E402
from twin.specs.campus import size_campus_fibre  # noqa: E402
from twin.store import load_design  # noqa: E402
from twin.store.schema import create_schema  # noqa: E402
from twin.store.writer import ORDER, _column_values, write_tables  # noqa: E402

STAGES = ("generation", "routing", "writing", "indexing")
WRITER_SCENES = ("hall-2000", "campus")


def timed_build(spec: Path, out: Path) -> tuple[dict[str, float], float, float]:
    """One build: seconds per stage, total wall seconds, total CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    summary = build_design(spec, out)
    return summary.timings, time.perf_counter() - wall, time.process_time() - cpu


def naive_write(path: Path, tables: dict) -> None:
    """The baseline writer: indexes first, then one row per statement (twin's writer before the campus)."""
    db = sqlite_utils.Database(path, recreate=True)
    create_schema(db)
    conn = db.conn
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = OFF")
    with conn:
        for name in ORDER:
            cols = tables.get(name)
            if not cols or name == "meta":
                continue
            names = list(cols)
            values = [_column_values(key, cols[key]) for key in names]
            conn.executemany(f"insert into {name} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                             zip(*values))
    conn.execute("PRAGMA foreign_key_check").fetchone()
    conn.execute("ANALYZE")
    conn.close()


def write_seconds(write, tables: dict, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of writing `tables` to a new file with `write`."""
    out.unlink(missing_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    write(out, tables)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    rows, writer_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENES + ("campus",):
            out = Path(tmp) / f"{name}.twin.db"
            spec = REPO / "scenes" / f"{name}.toml"
            repeats = {"campus": 1, "hall-2000": 3}.get(name, 5)
            runs = [timed_build(spec, out) for _ in range(repeats)]
            stage = {s: statistics.median(r[0][s] for r in runs) for s in STAGES}
            load_s = median_time(lambda out=out: load_design(out), repeats)
            design = load_design(out)
            rows.append([name, f"{len(design.racks):,}", f"{len(design.parts):,}", f"{len(design.cables):,}",
                         f"{out.stat().st_size / 1e6:.1f}", *(f"{stage[s]:.2f}" for s in STAGES),
                         f"{statistics.median(r[1] for r in runs):.2f}", f"{statistics.median(r[2] for r in runs):.2f}",
                         f"{load_s:.3f}"])
            del design
            if name in WRITER_SCENES:
                tables = generate(load_spec(spec))
                route_generated_cables(tables)
                size_campus_fibre(tables)
                bulk = write_seconds(lambda p, t: write_tables(p, t), tables, Path(tmp) / "bulk.twin.db")
                naive = write_seconds(naive_write, tables, Path(tmp) / "naive.twin.db")
                writer_rows.append([name, f"{len(tables['ports']['id']):,}", f"{naive[0]:.2f} / {naive[1]:.2f}",
                                    f"{bulk[0]:.2f} / {bulk[1]:.2f}", f"{naive[1] / bulk[1]:.1f}×"])
                del tables
    print_table("build (stages: median wall s) and load", ["scene", "racks", "parts", "cables", "MB", *STAGES,
                                                         "build s", "build CPU s", "load s"], rows)
    print_table("writing the tables: row-at-a-time baseline vs bulk writer (wall / CPU s, same run)",
                ["scene", "ports", "baseline", "bulk", "CPU ratio"], writer_rows)


if __name__ == "__main__":
    main()
