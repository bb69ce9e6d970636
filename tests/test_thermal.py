"""Thermal analysis, telemetry reading and findings: hand-computed balances and the ai-hall faults."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.analysis.findings import (Finding, count_by_severity, findings_to_dicts, findings_to_lines,
                                    sort_findings, worst_severity)
from twin.session import ReviewSession
from twin.analysis.thermal import analyse_thermal, thermal_check_lines
from twin.errors import TwinError
from twin.model import Columns, Design, physics
from twin.store import load_design
from twin.store.telemetry import ReadingSnapshot, reading_times, readings_at, sensor_series

# -- a small synthetic design built directly from columns -----------------------------------------

# part types: 0 rack frame, 1 liquid tray 13.2 kW, 2 air server 1 kW @ 100 CFM, 3 hybrid 10 kW 80 % liquid @ 50 CFM,
# 4 CDU (air-cooled itself, 0 W here so it adds nothing)
_TYPES = dict(
    name=["frame", "liquid-tray", "air-server", "hybrid-tray", "cdu"],
    kind=["rack", "compute_tray", "compute_tray", "compute_tray", "cdu"],
    cooling_mode=["none", "liquid", "air", "hybrid", "air"],
    power_nominal_w=[0.0, 13200.0, 1000.0, 10000.0, 0.0],
    airflow_cfm=[0.0, 0.0, 100.0, 50.0, 0.0],
    liquid_fraction=[0.0, 1.0, 0.0, 0.8, 0.0],
    coolant_lpm=[0.0, 19.8, 0.0, 10.0, 0.0],
)


def _empty() -> Columns:
    return Columns(id=np.zeros(0, dtype=np.int64))


def synthetic_design(*, cdu_capacity_w: float = 200_000.0, flow_lpm: float = 198.0,
                     supply_air_c: float = 22.0, ashrae_class: str = "A1") -> Design:
    """Hall with two racks: R1 holds 10 liquid trays (132 kW) on loop 'L1'; R2 holds one 1 kW
    air server and one 10 kW hybrid tray (8 kW to L1). Loop 0 is the hall air, loop 1 liquid."""
    n_types = len(_TYPES["name"])
    cap = np.zeros(n_types)
    cap[4] = cdu_capacity_w
    part_types = Columns(id=np.arange(1, n_types + 1), size=np.tile([0.6, 1.0, 2.2], (n_types, 1)),
                         cooling_capacity_w=cap, **{k: np.asarray(v, dtype=object if isinstance(v[0], str) else float)
                                                   for k, v in _TYPES.items()})
    halls = Columns(id=np.array([1]), size=np.array([[20.0, 10.0, 4.0]]), supply_air_c=np.array([supply_air_c]),
                    name=np.array(["H"], dtype=object), ashrae_class=np.array([ashrae_class], dtype=object))
    loops = Columns(id=np.array([1, 2]), hall=np.array([0, 0]), supply_c=np.array([supply_air_c, 30.0]),
                    design_dt_k=np.array([0.0, 10.0]), capacity_w=np.array([0.0, cdu_capacity_w]),
                    flow_lpm=np.array([0.0, flow_lpm]), name=np.array(["Air", "L1"], dtype=object),
                    medium=np.array(["air", "liquid"], dtype=object))
    racks = Columns(id=np.array([1, 2]), hall=np.array([0, 0]), position=np.array([[2.0, 3.0], [3.0, 3.0]]),
                    type=np.array([0, 0]), cooling_loop=np.array([1, 1]), name=np.array(["R1", "R2"], dtype=object),
                    power_budget_w=np.array([140_000.0, 20_000.0]))
    # parts: 0 R1 frame, 1..10 liquid trays, 11 R2 frame, 12 air server, 13 hybrid tray, 14 CDU
    ptype = np.array([0] + [1] * 10 + [0, 2, 3, 4])
    prack = np.array([0] * 11 + [1, 1, 1, -1])
    ploop = np.array([-1] + [1] * 10 + [-1, 0, 1, 1])
    n = len(ptype)
    pos = np.zeros((n, 3))
    pos[:, 0] = np.where(prack == 0, 2.0, 3.0)
    pos[14] = (6.0, 3.0, 0.0)
    parts = Columns(id=np.arange(1, n + 1), type=ptype, rack=prack, position=pos, yaw_deg=np.zeros(n),
                    power_w=np.full(n, -1.0), cooling_loop=ploop, power_node=np.full(n, -1), parent=np.full(n, -1),
                    name=np.array([f"p{i}" for i in range(n)], dtype=object))
    sensors = Columns(id=np.array([1, 2, 3, 4]), part=np.array([0, 0, 11, 14]), rack=np.array([0, 0, 1, -1]),
                      cooling_loop=np.array([-1, -1, -1, 1]),
                      name=np.array(["R1-inlet", "R1-power", "R2-inlet", "L1-flow"], dtype=object),
                      kind=np.array(["inlet_temp", "power", "inlet_temp", "flow"], dtype=object),
                      unit=np.array(["degC", "W", "degC", "L/min"], dtype=object))
    return Design(source=Path("synthetic.twin.db"), meta={"schema_version": "1"}, generations=_empty(),
                  suppliers=_empty(), part_types=part_types, halls=halls, racks=racks, parts=parts, cables=_empty(),
                  cable_trays=_empty(), power_nodes=_empty(), cooling_loops=loops, sensors=sensors)


def snapshot(values: list[float]) -> ReadingSnapshot:
    v = np.asarray(values, dtype=float)
    return ReadingSnapshot(source=Path("synthetic.twin.db"), ts="2026-01-01T00:00:00Z", sensor_id=np.arange(1, len(v) + 1),
                           value=v, reading_ts=np.array(["2026-01-01T00:00:00Z"] * len(v), dtype=object))


def test_physics_by_hand():
    # 132 kW on 198 L/min (1.5 L/min per kW): 132000 / (198/60 * 4186) = 9.556 K
    assert physics.liquid_delta_t_c(132_000, 198) == pytest.approx(9.556, abs=0.01)
    # 1 kW through 100 CFM: 1000 / (1.2 * 1005 * 100 * 0.000471947) = 17.57 K (≈ 1.76 · P / CFM)
    assert physics.air_delta_t_c(1000, 100) == pytest.approx(17.57, abs=0.02)


def test_liquid_loop_balance_132kw_rack():
    d = synthetic_design()
    r = analyse_thermal(d)
    # loop heat: 10 × 13.2 kW liquid trays + 80 % of the 10 kW hybrid tray
    assert r.liquid_heat_w[1:11].sum() == pytest.approx(132_000)
    assert r.loops.heat_w[1] == pytest.approx(140_000)
    assert r.loops.delta_t_k[1] == pytest.approx(physics.liquid_delta_t_c(140_000, 198), rel=1e-9)
    assert r.loops.return_c[1] == pytest.approx(30.0 + 140_000 / (198 / 60 * 4186), rel=1e-9)
    assert r.loops.utilisation[1] == pytest.approx(0.7)
    # a pure liquid part is coloured by its loop's return temperature
    assert np.allclose(r.part_temperature_c[1:11], r.loops.return_c[1])
    assert r.racks.liquid_heat_w[0] == pytest.approx(132_000)
    assert not [f for f in r.findings if f.code in ("cdu-capacity", "coolant-flow")]
    # 140 kW on 198 L/min rises 10.13 K: just over the 10 K design ΔT
    (dt,) = [f for f in r.findings if f.code == "loop-dt"]
    assert dt.value == pytest.approx(10.13, abs=0.01) and dt.limit == 10.0 and dt.subject == "L1"

    # the same rack alone at exactly 1.5 L/min per kW gives the textbook ≈ 9.6 K rise
    d132 = synthetic_design()
    d132.parts.power_w[13] = 0.0           # switch off the hybrid tray
    r132 = analyse_thermal(d132)
    assert r132.loops.heat_w[1] == pytest.approx(132_000)
    assert r132.loops.delta_t_k[1] == pytest.approx(9.56, abs=0.01)
    assert not [f for f in r132.findings if f.code in ("cdu-capacity", "loop-dt", "coolant-flow")]


def test_air_server_and_hybrid_split():
    r = analyse_thermal(synthetic_design())
    inlet = 22.0 + 1.0          # the hall's supply air + the default 1 K recirculation (no column here)
    assert r.inlet_c[12] == pytest.approx(inlet)
    assert r.outlet_c[12] - r.inlet_c[12] == pytest.approx(17.57, abs=0.02)
    assert r.part_temperature_c[12] == r.outlet_c[12]
    # hybrid 10 kW at 80 % liquid: 2 kW to 50 CFM of air
    assert r.air_heat_w[13] == pytest.approx(2_000)
    assert r.liquid_heat_w[13] == pytest.approx(8_000)
    assert r.outlet_c[13] - r.inlet_c[13] == pytest.approx(physics.air_delta_t_c(2_000, 50))
    # no airflow: outlet = inlet
    assert r.outlet_c[0] == r.inlet_c[0]
    # rack R2: 3 kW of air heat over 150 CFM
    assert r.racks.outlet_c[1] - r.racks.inlet_c[1] == pytest.approx(physics.air_delta_t_c(3_000, 150))
    assert not r.measured.any() and not r.racks.measured.any()


def test_telemetry_scales_heat_and_overrides_inlet():
    d = synthetic_design()
    # R1 inlet 25 °C, R1 power 66 kW (half its 132 kW estimate), R2 no inlet reading, L1 flow 99 L/min
    r = analyse_thermal(d, snapshot([25.0, 66_000.0, np.nan, 99.0]), settings={"basis": "measured"})
    assert r.racks.inlet_c[0] == 25.0 and r.racks.measured.tolist() == [True, False]
    assert r.measured[:11].all() and not r.measured[11:].any()
    assert r.heat_w[1:11].sum() == pytest.approx(66_000)
    assert r.racks.power_w[0] == 66_000 and r.racks.estimated_power_w[0] == pytest.approx(132_000)
    assert r.loops.flow_lpm[1] == 99.0
    assert r.loops.delta_t_k[1] == pytest.approx(physics.liquid_delta_t_c(66_000 + 8_000, 99.0))
    # on the nominal basis the power sensor is not used; inlet and flow (conditions) still are
    n = analyse_thermal(d, snapshot([25.0, 66_000.0, np.nan, 99.0]), settings={"basis": "nominal"})
    assert n.heat_w[1:11].sum() == pytest.approx(132_000) and n.racks.inlet_c[0] == 25.0
    assert n.loops.flow_lpm[1] == 99.0 and n.basis == "nominal"


def test_capacity_flow_and_dt_findings():
    d = synthetic_design(cdu_capacity_w=100_000.0, flow_lpm=100.0)
    r = analyse_thermal(d)
    codes = {f.code: f for f in r.findings}
    cap = codes["cdu-capacity"]
    assert cap.severity == "critical" and cap.subject == "L1" and cap.loop == 1 and cap.part == 14
    assert cap.value == pytest.approx(140.0) and cap.limit == 100.0 and cap.unit == "kW"   # as power findings
    assert "140 kW" in cap.message and "100 kW" in cap.message
    assert cap.location == pytest.approx((6.0, 3.0, 1.1))
    assert codes["loop-dt"].severity == "warning" and codes["loop-dt"].value > 10
    assert codes["coolant-flow"].severity == "warning" and codes["coolant-flow"].limit == pytest.approx(140.0)
    assert r.findings[0].severity == "critical"


def test_inlet_findings_follow_the_ashrae_class():
    d = synthetic_design()
    snap = snapshot([33.0, np.nan, 28.0, np.nan])
    r = analyse_thermal(d, snap)
    by_rack = {f.subject: f for f in r.findings if f.code.startswith("inlet")}
    assert by_rack["R1"].code == "inlet-allowable" and by_rack["R1"].severity == "critical"
    assert by_rack["R1"].limit == 32.0 and "33.0 °C" in by_rack["R1"].message
    assert by_rack["R1"].location == pytest.approx((2.0, 3.0, 1.1))
    assert by_rack["R2"].code == "inlet-recommended" and by_rack["R2"].severity == "warning"
    # A2 allows up to 35 °C: R1 drops to a recommended-range warning
    r2 = analyse_thermal(d, snap, ashrae_class="a2")
    assert {f.subject: f.code for f in r2.findings if f.code.startswith("inlet")} == {
        "R1": "inlet-recommended", "R2": "inlet-recommended"}
    # cold inlet below the A1 allowable 15 °C
    r3 = analyse_thermal(d, snapshot([12.0, np.nan, np.nan, np.nan]))
    cold = [f for f in r3.findings if f.subject == "R1"][0]
    assert cold.code == "inlet-allowable" and cold.limit == 15.0 and "below" in cold.message
    with pytest.raises(TwinError, match="ASHRAE class"):
        analyse_thermal(d, ashrae_class="A9")


def test_liquid_part_on_no_loop_is_reported():
    d = synthetic_design()
    d.parts.cooling_loop[1:11] = -1
    r = analyse_thermal(d)
    assert r.liquid_heat_w[1:11].sum() == 0 and r.air_heat_w[1:11].sum() == pytest.approx(132_000)
    (f,) = [f for f in r.findings if f.code == "liquid-unassigned"]
    assert f.subject == "R1" and f.rack == 0 and "10 liquid-cooled parts" in f.message


# -- findings helpers -----------------------------------------------------------------------------

def test_findings_sort_format_and_json():
    fs = [Finding("info", "b", "note"), Finding("warning", "a", "warm", rack=3, value=28.0, limit=27.0, subject="R4"),
          Finding("critical", "z", "hot", location=(1, 2, 3), subject="R1")]
    ordered = sort_findings(fs)
    assert [f.severity for f in ordered] == ["critical", "warning", "info"]
    assert worst_severity(fs) == "critical" and worst_severity([]) is None
    assert count_by_severity(fs) == {"critical": 1, "warning": 1, "info": 1}
    lines = findings_to_lines(fs)
    assert lines[0].startswith("CRITICAL") and "R1: hot" in lines[0]
    dicts = findings_to_dicts(fs)
    text = json.dumps(dicts, allow_nan=False)
    assert json.loads(text)[0]["location"] == [1.0, 2.0, 3.0]
    assert dicts[2]["value"] is None and dicts[1]["limit"] == 27.0
    with pytest.raises(ValueError):
        Finding("fatal", "x", "y")


# -- telemetry on the real ai-hall design ---------------------------------------------------------

def _sql(path: Path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def test_reading_times_and_snapshot(hall_db):
    # the sample's readings are not on one grid: gaps, a dead sensor, one rack's clock 7 min ahead
    times = reading_times(hall_db)
    assert times == [t for (t,) in _sql(hall_db, "select distinct ts from readings order by ts")]
    assert times[0] == "2026-11-24T00:00:00Z" and len(times) > 96
    design = load_design(hall_db)

    def at_or_before(ts: str) -> dict[int, tuple[str, float]]:
        rows = _sql(hall_db, """select r.sensor_id, r.ts, r.value from readings r
            where r.ts = (select max(ts) from readings where sensor_id = r.sensor_id and ts <= ?)""", [ts])
        return {i: (t, v) for i, t, v in rows}

    snap = readings_at(hall_db)
    assert snap.ts == times[-1]
    assert snap.sensor_id.tolist() == design.sensors.id.tolist()
    expected = at_or_before(times[-1])
    assert snap.value.tolist() == [expected[i][1] for i in snap.sensor_id.tolist()]
    assert snap.reading_ts.tolist() == [expected[i][0] for i in snap.sensor_id.tolist()]
    # between samples: the reading at or before
    mid = readings_at(hall_db, "2026-11-24T12:07:30+00:00")
    expected = at_or_before("2026-11-24T12:07:30Z")
    assert mid.ts == "2026-11-24T12:07:30Z"
    assert mid.reading_ts.tolist() == [expected[i][0] for i in mid.sensor_id.tolist()]
    assert mid.value.tolist() == [expected[i][1] for i in mid.sensor_id.tolist()]
    assert {"2026-11-24T12:00:00Z", "2026-11-24T12:07:00Z"} <= set(mid.reading_ts.tolist())   # H02's clock
    sid = int(snap.sensor_id[0])
    ts, values = sensor_series(hall_db, sid)
    rows = _sql(hall_db, "select ts, value from readings where sensor_id = ? order by ts", [sid])
    assert ts == [t for t, _ in rows] and values.tolist() == [v for _, v in rows]


def test_bad_timestamps_name_the_file(hall_db):
    for bad in ("yesterday", "2026-11-23T23:00:00Z"):
        with pytest.raises(TwinError) as err:
            readings_at(hall_db, bad)
        assert str(hall_db) in str(err.value) and bad in str(err.value)
    with pytest.raises(TwinError, match="no sensor"):
        sensor_series(hall_db, 999_999)


# -- thermal on the real ai-hall design -----------------------------------------------------------

def test_ai_hall_latest_readings_find_the_seeded_faults(hall_db):
    design = load_design(hall_db)
    result = analyse_thermal(design, readings_at(hall_db))
    a06 = design.rack_index("A06")
    inlet = [f for f in result.findings if f.code == "inlet-allowable"]
    assert [f.subject for f in inlet] == ["A06"]
    assert inlet[0].severity == "critical" and inlet[0].rack == a06 and inlet[0].value > 32
    assert inlet[0].location is not None and "A06" in inlet[0].to_text()
    cap = [f for f in result.findings if f.code == "cdu-capacity"]
    assert [f.subject for f in cap] == ["G-loop1"] and cap[0].severity == "critical"
    assert cap[0].limit == 600.0 and cap[0].value > 600.0 and cap[0].unit == "kW" and cap[0].location is not None
    g = int(np.flatnonzero(design.cooling_loops.name == "G-loop1")[0])
    over = np.flatnonzero(np.where(result.loops.liquid, result.loops.utilisation, 0) > 1)
    assert over.tolist() == [g]
    # inlet sensors exist for every rack in this scene; the flags follow the sensors exactly
    with_sensor = np.zeros(len(design.racks), bool)
    s = design.sensors
    with_sensor[s.rack[(s.kind == "inlet_temp") & (s.rack >= 0)]] = True
    assert result.racks.measured.tolist() == with_sensor.tolist()
    assert result.measured.tolist() == np.where(design.parts.rack >= 0,
                                                with_sensor[design.parts.rack], False).tolist()
    lines = thermal_check_lines(design, result)
    assert any("A06" in line and "CRITICAL" in line for line in lines)
    assert any("G-loop1" in line and "cdu-capacity" in line for line in lines)


def test_ai_hall_estimates_without_telemetry(hall_db):
    design = load_design(hall_db)
    r = analyse_thermal(design)
    for arr in (r.heat_w, r.air_heat_w, r.liquid_heat_w, r.inlet_c, r.outlet_c, r.part_temperature_c,
                r.racks.inlet_c, r.racks.outlet_c, r.racks.power_w, r.loops.heat_w, r.loops.return_c):
        assert np.isfinite(arr).all()
    assert len(r.heat_w) == len(design.parts) and len(r.racks.inlet_c) == len(design.racks)
    assert r.heat_w.sum() == pytest.approx(design.part_power_w().sum())
    assert r.air_heat_w + r.liquid_heat_w == pytest.approx(r.heat_w)
    assert not r.measured.any() and r.reading_ts is None
    with sqlite3.connect(hall_db) as db:
        supply, recirc = db.execute("select supply_air_c, recirculation_c from halls").fetchone()
    assert r.racks.inlet_c == pytest.approx(supply + recirc)
    # estimates alone still find row G's undersized CDU, and no hot spot (that needs the sensor)
    assert [f.subject for f in r.findings if f.code == "cdu-capacity"] == ["G-loop1"]
    assert not [f for f in r.findings if f.code.startswith("inlet")]


def test_ai_hall_readings_over_time_move_rack_inlet(hall_db):
    design = load_design(hall_db)
    a01 = design.rack_index("A01")
    sensor = int(design.sensors.id[(design.sensors.kind == "inlet_temp") & (design.sensors.rack == a01)][0])
    rows = _sql(hall_db, "select ts, value from readings where sensor_id = ? order by value", [sensor])
    (cool_ts, cool), (warm_ts, warm) = rows[0], rows[-1]
    assert warm > cool
    r_cool = analyse_thermal(design, readings_at(hall_db, cool_ts))
    r_warm = analyse_thermal(design, readings_at(hall_db, warm_ts))
    assert r_cool.racks.inlet_c[a01] == pytest.approx(cool)
    assert r_warm.racks.inlet_c[a01] == pytest.approx(warm)
    assert r_warm.racks.inlet_c[a01] > r_cool.racks.inlet_c[a01]
    # every part of A01 follows its rack's inlet
    members = design.parts.rack == a01
    assert np.allclose(r_warm.inlet_c[members], warm)


def test_ai_hall_unknown_timestamp(hall_db):
    with pytest.raises(TwinError) as err:
        readings_at(hall_db, "not-a-time")
    assert str(hall_db) in str(err.value)


def test_analyse_at_uses_the_readings_of_that_moment(hall_db):
    design = load_design(hall_db)
    times = reading_times(hall_db)
    session = ReviewSession(design)
    latest = session.result("thermal").detail
    assert latest.reading_ts == times[-1]
    assert [f.to_text() for f in latest.findings] == \
        [f.to_text() for f in analyse_thermal(design, readings_at(hall_db)).findings]
    early = session.result("thermal", at=times[4]).detail
    assert early.reading_ts == times[4]
    assert not np.allclose(early.racks.inlet_c, latest.racks.inlet_c)
