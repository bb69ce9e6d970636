"""Helpers shared by the benchmark scripts: building the sample scenes once, timing, tables."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build" / "bench"
SCENES = ("nvl72-pod", "ai-hall", "hall-2000")


def scene_db(name: str) -> Path:
    """The design file of a sample scene, built if missing or older than its spec."""
    from twin.specs import build_design

    spec = REPO / "scenes" / f"{name}.toml"
    out = BUILD / f"{name}.twin.db"
    if not out.exists() or out.stat().st_mtime < spec.stat().st_mtime:
        build_design(spec, out)
    return out


def median_time(func: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of `func` over `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_cpu_time(func: Callable[[], object], repeats: int = 5) -> float:
    """Median CPU time of this process over `repeats` calls, in seconds: on a shared machine
    it stays near the wall time an idle machine would show (single-threaded numpy work)."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return statistics.median(times)


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
