"""Sensor-history speed: what selecting a rack costs the History dock, on the sample scenes.

hall-2000 has no readings of its own, so it is measured as `hall-2000+telemetry`: its spec
with 24 h of readings every 15 min (6,000+ sensors, 580,000+ readings) built beside the bench
files. Per scene, over 15 racks spread through the hall (a fresh session each, so nothing is cached):
- `ReviewSession.history` of a rack: its sensors picked by numpy, their readings read by sensor
  id through the readings' (sensor_id, ts) key (`twin.store.telemetry.sensor_histories`);
- baseline in the same run: the same readings found by reading the whole readings table and
  keeping the rack's rows in Python (what a script over an export does; ratio = baseline / twin);
- the dock itself (Qt offscreen): plotting a rack's history from scratch and drawing it,
  against moving only the time marker (blitted over the saved picture: a time-slider step).
Wall and process CPU time are given: on a busy shared machine the wall time measures the
neighbours. Target: selecting a rack stays "instant" (well under 100 ms with its drawing).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import median_cpu_time, median_time, print_table, scene_db  # noqa: E402

RACKS = 15


def scan_baseline(path: Path, sensor_ids: list[int]) -> dict[int, list[tuple[str, float]]]:
    """Every reading of the file into Python, the rack's kept: the cost grows with the hall."""
    wanted = set(sensor_ids)
    out: dict[int, list[tuple[str, float]]] = {i: [] for i in sensor_ids}
    with sqlite3.connect(path) as conn:
        for sensor, ts, value in conn.execute("select sensor_id, ts, value from readings"):
            if sensor in wanted:
                out[sensor].append((ts, value))
    return out


def telemetry_db(name: str) -> Path:
    """`name`'s design file; for a scene without readings (hall-2000 has none) a copy of its spec
    with 24 h of readings at 15 min is built beside the bench files (`NAME+telemetry`)."""
    if not name.endswith("+telemetry"):
        return scene_db(name)
    from common import BUILD, REPO

    from twin.specs import build_design
    base = name.removesuffix("+telemetry")
    spec = REPO / "scenes" / f"{base}.toml"
    copy = BUILD / f"{base}-telemetry.toml"
    out = BUILD / f"{base}-telemetry.twin.db"
    if not out.exists() or out.stat().st_mtime < spec.stat().st_mtime:
        BUILD.mkdir(parents=True, exist_ok=True)
        copy.write_text(spec.read_text() + '\n[telemetry]\nstart = "2026-11-24T00:00:00Z"\nhours = 24\n'
                        'interval_min = 15\n')
        build_design(copy, out)
    return out


def measure(name: str, app) -> list[str]:
    import numpy as np

    from twin.app.history_panel import HistoryPanel
    from twin.model.history import Subject
    from twin.session import ReviewSession
    from twin.store import load_design

    path = telemetry_db(name)
    design = load_design(path)
    with sqlite3.connect(path) as conn:
        n_readings = conn.execute("select count(*) from readings").fetchone()[0]
    racks = np.linspace(0, len(design.racks) - 1, RACKS).astype(int).tolist()
    cycle = iter(racks * 20)

    def twin_history():
        ReviewSession(design).history(Subject("rack", next(cycle)))

    def baseline():
        rack = next(cycle)
        scan_baseline(path, design.sensors.id[design.sensors.rack == rack].tolist())

    points = sum(len(s.times) for s in ReviewSession(design).history(Subject("rack", racks[0])).series)
    wall, cpu = median_time(twin_history, RACKS), median_cpu_time(twin_history, RACKS)
    base_wall, base_cpu = median_time(baseline, 5), median_cpu_time(baseline, 5)

    panel = HistoryPanel()
    panel.resize(700, 260)
    panel.show()
    session = ReviewSession(design)
    panel.set_session(session)
    histories = [session.history(Subject("rack", r)) for r in racks]
    times = session.times()
    plots = iter(histories * 20)
    moments = iter(times * 20)

    def plot():              # what selecting a rack costs the dock: build the plot, draw and paint it
        panel.plot(next(plots))
        app.processEvents()  # runs the canvas's pending draw and paints

    def marker():            # the slider's step: the marker blitted over the saved plot, then painted
        panel.set_moment(next(moments))
        app.processEvents()

    plot_wall, plot_cpu = median_time(plot, RACKS), median_cpu_time(plot, RACKS)
    panel.plot(histories[0])
    app.processEvents()
    mark_wall, mark_cpu = median_time(marker, RACKS), median_cpu_time(marker, RACKS)
    panel.close()
    ms = 1e3
    return [name, f"{len(design.sensors):,} / {n_readings:,}", f"{points}",
            f"{wall * ms:.1f} / {cpu * ms:.1f} ms", f"{base_wall * ms:,.0f} / {base_cpu * ms:,.0f} ms",
            f"{base_cpu / cpu:,.0f}×", f"{plot_wall * ms:.0f} / {plot_cpu * ms:.0f} ms",
            f"{mark_wall * ms:.0f} / {mark_cpu * ms:.0f} ms"]


def main() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    scenes = sys.argv[1:] or ["ai-hall", "hall-2000+telemetry"]
    rows = [measure(name, app) for name in scenes]
    print_table("Sensor history of one rack (medians over 15 racks; wall / CPU)",
                ["scene", "sensors / readings", "points", "history (twin)", "scan baseline", "CPU ratio",
                 "plot + draw", "marker move + draw"], rows)


if __name__ == "__main__":
    main()
