"""Review workflow speed: per-rack compare figures, supply analysis, part diff, note writes.

Baselines measured in the same run: `load_design` (what every command pays first) for the
analyses, and a bare SQLite insert-and-commit in WAL mode for a note write (the floor a
safe write cannot go under).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from common import SCENES, median_time, print_table, scene_db

from twin.analysis.compare import rack_metrics
from twin.analysis.partdiff import diff_parts
from twin.analysis.supply import analyse_supply
from twin.store import load_design
from twin.store.notes import ReviewStore


def ms(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 1e-3 else f"{seconds * 1000:,.1f} ms"


def main() -> None:
    rows = []
    for name in SCENES:
        path = scene_db(name)
        load = median_time(lambda p=path: load_design(p), 3)
        design = load_design(path)
        supply = median_time(lambda d=design: analyse_supply(d))
        metrics = median_time(lambda d=design: rack_metrics(d), 3)
        diff = median_time(lambda d=design: diff_parts(d, d), 3)
        rows.append([name, f"{len(design.parts):,}", ms(load), ms(supply), ms(metrics), ms(diff)])
    print_table("analyses (median; load_design is the baseline)", ["scene", "parts", "load_design", "supply",
                                                                    "rack metrics (compare)", "part diff"], rows)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pod.twin.db"
        shutil.copy(scene_db("nvl72-pod"), path)
        with ReviewStore(path) as store:
            note = median_time(lambda: store.add_note("benchmark note", part="A01"), 50)
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("CREATE TABLE t (x TEXT)")

        def bare() -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO t VALUES ('benchmark note')")
            raw.execute("COMMIT")
        floor = median_time(bare, 50)
        raw.close()
    print_table("note writes (median of 50)", ["what", "time", "ratio"],
                [["ReviewStore.add_note (lookup, insert, commit, read back)", ms(note), f"{note / floor:.1f}x"],
                 ["bare WAL insert + commit (baseline)", ms(floor), "1.0x"]])


if __name__ == "__main__":
    main()
