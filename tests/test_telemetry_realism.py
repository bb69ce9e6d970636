"""The generated readings look like a real floor's (twin/specs/telemetry.py, ai-hall's [telemetry]).

Checked from the readings table with SQL and numpy: readings lost at random, the stuck and
dead sensors and the rack with a fast clock that the spec names, and an energy balance that
holds only to within noise, bias and lag (before, rack ΔT matched the power to 0.01 K).
"""

from __future__ import annotations

import sqlite3
import tomllib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TEL = tomllib.loads((REPO / "scenes" / "ai-hall.toml").read_text())["telemetry"]


def sql(db: Path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, args).fetchall()


def series(db: Path, name: str) -> tuple[list[str], np.ndarray]:
    rows = sql(db, "select r.ts, r.value from readings r join sensors s on s.id = r.sensor_id where s.name = ? "
                   "order by r.ts", [name])
    return [t for t, _ in rows], np.array([v for _, v in rows])


def test_stuck_dead_and_offset_sensors(hall_db):
    ts, stuck = series(hall_db, TEL["stuck_sensor"])
    noon = [i for i, t in enumerate(ts) if t >= "2026-11-24T12:00:00Z"]
    assert len(set(stuck[noon].tolist())) == 1 and len(set(stuck[:noon[0]].tolist())) > 10
    ts, _ = series(hall_db, TEL["dead_sensor"])
    assert ts[-1] <= "2026-11-24T14:15:00Z" and len(ts) <= int(96 * 0.6)
    minutes = {t[14:16] for (t,) in sql(hall_db, """select r.ts from readings r join sensors s on s.id = r.sensor_id
        join racks k on k.id = s.rack_id where k.name = ?""", [TEL["clock_offset_rack"]])}
    step = {f"{(m + int(TEL['clock_offset_min'])) % 60:02d}" for m in (0, 15, 30, 45)}
    assert minutes == step
    others = {t[14:16] for (t,) in sql(hall_db, """select r.ts from readings r join sensors s on s.id = r.sensor_id
        left join racks k on k.id = s.rack_id where coalesce(k.name, '') != ?""", [TEL["clock_offset_rack"]])}
    assert others == {"00", "15", "30", "45"}


def test_rack_energy_balance_holds_only_to_within_sensor_error(hall_db):
    # per rack: outlet − inlet against ΔT = air heat / (ρ cp V̇), air heat = measured power × its air share
    air = dict(sql(hall_db, """select p.rack_id, sum(coalesce(p.power_w, t.power_nominal_w) *
        (1 - case when t.cooling_mode in ('liquid', 'hybrid') then coalesce(t.liquid_fraction, 0) else 0 end))
        / sum(coalesce(p.power_w, t.power_nominal_w)) from parts p join part_types t on t.id = p.part_type_id
        where p.rack_id is not null group by p.rack_id"""))
    cfm = dict(sql(hall_db, """select p.rack_id, sum(t.airflow_cfm) from parts p join part_types t
        on t.id = p.part_type_id where p.rack_id is not null group by p.rack_id"""))
    rows = sql(hall_db, """select s.rack_id, r.ts, s.kind, r.value from readings r join sensors s on s.id = r.sensor_id
        where s.rack_id is not null""")
    by: dict[tuple[int, str], dict[str, float]] = {}
    for rack, ts, kind, value in rows:
        by.setdefault((rack, ts), {})[kind] = value
    residual = []
    for (rack, _), v in by.items():
        if {"inlet_temp", "outlet_temp", "power"} <= set(v) and cfm[rack] > 0:
            dt = v["power"] * air[rack] / (1.2 * 1005.0 * cfm[rack] * 0.000471947)
            residual.append(v["outlet_temp"] - v["inlet_temp"] - dt)
    residual = np.array(residual)
    assert len(residual) > 5000
    assert 0.15 < residual.std() < 3.0            # noise, bias and lag: tenths of a kelvin, not hundredths
    assert abs(np.median(residual)) < 1.0          # but still the same physics
