"""A long review session in the real viewer: search and clear, select, every overlay, time slider.

The viewer once aborted the interpreter after a few search-and-clear cycles (PySide6 6.12.0
on Python 3.11 dropped a reference to None on every void Qt call). This script drives the
real window the way a reviewer does for about half an hour, and prints the resident memory
at the start, after a warm-up round and at the end.

Run it by hand (it is not part of the suite; `tests/test_long_session.py` runs a shorter
session on ai-hall with the same driver):

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/long_session.py
    xvfb-run -a .venv/bin/python benchmarks/long_session.py --scene ai-hall --cycles 50

hall-2000 ships without telemetry, so the script builds a copy of its spec with 24 h of
15-minute readings (build/bench/hall-2000-telemetry.twin.db) to give the slider a range.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEARCHES = ("compute", "nVent", "switch", "power", "manifold")
TELEMETRY = '\n[telemetry]\nstart = "2026-11-24T00:00:00Z"\nhours = 24\ninterval_min = 15\n'


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@dataclass
class SessionReport:
    rss_start_mb: float = 0.0
    rss_warm_mb: float = 0.0
    rss_end_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def growth(self) -> float:
        """End memory over memory after the warm-up round (1.0 = flat)."""
        return self.rss_end_mb / self.rss_warm_mb


def run_session(window, pump: Callable[[int], None], cycles: int = 200, selections: int = 200,
                overlay_rounds: int = 3, slider_stride: int = 1, warmup: int = 10, seed: int = 0,
                say: Callable[[str], None] = lambda _msg: None) -> SessionReport:
    """Drive an open MainWindow like a reviewer; returns memory figures and what was done.

    `pump(ms)` lets Qt run its event loop (timers, deferred renders) for about `ms` ms.
    Every step goes through the widgets and the window's own slots, as clicks and typing do.
    """
    from twin.analysis.registry import overlay_names
    from twin.app.overlay_panel import TIME_DEBOUNCE_MS

    report = SessionReport(rss_start_mb=_settled_rss())
    hierarchy, overlays, design = window.hierarchy, window.overlays, window.design
    rng = np.random.default_rng(seed)

    def search_and_clear(n: int) -> None:
        for i in range(n):
            if i and i % 50 == 0:
                say(f"  {i} search-and-clear cycles, RSS {rss_mb():.0f} MB")
            text = SEARCHES[i % len(SEARCHES)]
            hierarchy.search.setText(text)
            hierarchy.run_search()                         # Enter in the search box
            if hierarchy.filter_count == 0 and text == "compute":
                raise AssertionError("the search for 'compute' found nothing")
            hierarchy.search.clear()                       # the clear button, then Enter
            hierarchy.run_search()
            if i % 10 == 9:
                pump(1)
        report.counts["search+clear"] = report.counts.get("search+clear", 0) + n

    def select(n: int) -> None:
        parts = rng.integers(0, len(design.parts), n)
        racks = _tree_items(hierarchy.model, depth=3)       # hall → row → rack
        for i, part in enumerate(parts.tolist()):
            if i % 2 == 0 or not racks:
                window.select_parts([part])               # a pick in the 3D view
            else:                                          # a click on a rack in the tree
                hierarchy.tree.setCurrentIndex(racks[int(rng.integers(len(racks)))].index())
            if i % 10 == 9:
                pump(1)
        window.select_parts([])
        report.counts["selections"] = report.counts.get("selections", 0) + n

    def every_overlay(rounds: int) -> None:
        names = [n for n in overlay_names() if overlays.is_enabled(n)]
        for _ in range(rounds):
            for name in names + ["none"]:
                overlays.choose(name)
                pump(1)
        report.counts["overlay changes"] = report.counts.get("overlay changes", 0) + rounds * (len(names) + 1)

    def slide(stride: int) -> None:
        overlays.choose("thermal" if overlays.is_enabled("thermal") else "none")
        steps = list(range(0, overlays.slider.maximum() + 1, stride))
        if steps and steps[-1] != overlays.slider.maximum():
            steps.append(overlays.slider.maximum())
        for value in steps if overlays.times else []:
            overlays.slider.setValue(value)
            pump(TIME_DEBOUNCE_MS + 20)                    # the slider applies a moment once it rests
        overlays.choose("none")
        report.counts["time steps"] = report.counts.get("time steps", 0) + (len(steps) if overlays.times else 0)

    start = time.perf_counter()
    search_and_clear(warmup)                               # warm-up: caches, first overlays, fonts
    select(warmup)
    every_overlay(1)
    slide(max(1, overlays.slider.maximum() // 4 or 1))
    report.rss_warm_mb = _settled_rss()
    report.seconds["warm-up"] = time.perf_counter() - start
    say(f"warm-up done in {report.seconds['warm-up']:.0f} s, RSS {report.rss_warm_mb:.0f} MB")
    for name, step in (("search+clear", lambda: search_and_clear(cycles)), ("selections", lambda: select(selections)),
                       ("overlays", lambda: every_overlay(overlay_rounds)), ("time slider", lambda: slide(slider_stride))):
        t0 = time.perf_counter()
        step()
        report.seconds[name] = time.perf_counter() - t0
        say(f"{name} done in {report.seconds[name]:.0f} s, RSS {rss_mb():.0f} MB")
    report.rss_end_mb = _settled_rss()
    return report


def _tree_items(model, depth: int) -> list:
    """Items `depth` levels down a QStandardItemModel (1 = top level)."""
    items = [model.item(i) for i in range(model.rowCount())]
    for _ in range(depth - 1):
        items = [item.child(i) for item in items for i in range(item.rowCount())]
    return items


def _settled_rss() -> float:
    gc.collect()
    return rss_mb()


def _design(scene: str) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from common import BUILD, scene_db

    if scene != "hall-2000":
        return scene_db(scene)
    from twin.specs import build_design

    spec_src = REPO / "scenes" / "hall-2000.toml"
    spec = BUILD / "hall-2000-telemetry.toml"
    out = BUILD / "hall-2000-telemetry.twin.db"
    if not out.exists() or out.stat().st_mtime < spec_src.stat().st_mtime:
        BUILD.mkdir(parents=True, exist_ok=True)
        spec.write_text(spec_src.read_text() + TELEMETRY)
        build_design(spec, out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scene", default="hall-2000", help="nvl72-pod, ai-hall or hall-2000 (default)")
    parser.add_argument("--cycles", type=int, default=200, help="search-and-clear cycles (default 200)")
    parser.add_argument("--selections", type=int, default=200, help="selections (default 200)")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        print("needs an X display: run under xvfb-run", file=sys.stderr)
        return 2
    db = _design(args.scene)

    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from twin.app.window import MainWindow

    _app = QApplication.instance() or QApplication([])   # kept alive for the whole session
    settings = QSettings(str(REPO / "build" / "bench" / "long-session.ini"), QSettings.Format.IniFormat)
    errors: list[tuple[str, str]] = []
    window = MainWindow(settings=settings, report_error=lambda title, msg: errors.append((title, msg)))
    window.resize(1400, 900)
    window.show()
    rss_before_open = rss_mb()
    t0 = time.perf_counter()
    window.open_file(db)
    while window.loading or window.scene is None:
        QTest.qWait(20)
        if errors:
            print(errors, file=sys.stderr)
            return 1
    opened = time.perf_counter() - t0
    QTest.qWait(200)
    print(f"opened {db.name} in {opened:.1f} s, RSS {rss_mb():.0f} MB", flush=True)
    report = run_session(window, lambda ms: QTest.qWait(ms), cycles=args.cycles, selections=args.selections,
                         say=lambda msg: print(msg, flush=True))
    rows = [("design", db.name), ("parts", f"{len(window.design.parts):,}"), ("open (s)", f"{opened:.1f}"),
            ("RSS before open (MB)", f"{rss_before_open:.0f}"), ("RSS at start, design open (MB)", f"{report.rss_start_mb:.0f}"),
            ("RSS after warm-up (MB)", f"{report.rss_warm_mb:.0f}"), ("RSS at end (MB)", f"{report.rss_end_mb:.0f}"),
            ("end / warm-up", f"{report.growth:.3f}"), ("end / start", f"{report.rss_end_mb / report.rss_start_mb:.3f}")]
    rows += [(f"{k}", f"{v:,}") for k, v in report.counts.items()]
    rows += [(f"{k} (s)", f"{v:.1f}") for k, v in report.seconds.items()]
    width = max(len(k) for k, _ in rows)
    print(f"long session on {args.scene} (Python {sys.version.split()[0]})")
    for key, value in rows:
        print(f"  {key.ljust(width)}  {value}")
    window.close()
    return 0 if report.growth <= 1.10 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
