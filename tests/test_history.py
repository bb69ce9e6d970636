"""Sensor histories of parts, racks and cooling loops (twin.model.history, the session, the store),
checked against SQL on the real ai-hall design file. No Qt: the History dock only draws these."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.model import physics
from twin.model.history import Subject, plot_unit, plotted_sensors, related_subjects, subject_of_part
from twin.session import ReviewSession
from twin.store import load_design
from twin.store import telemetry
from twin.store.telemetry import sensor_histories, sensor_series


def sql(path: Path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


def stamps(rows) -> np.ndarray:
    return np.array([r.rstrip("Z") for r in rows], dtype="datetime64[s]")


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def test_rack_history_is_its_sensors_readings_as_in_the_file(hall_db, hall):
    session = ReviewSession(hall)
    history = session.history(Subject("rack", hall.rack_index("A06")))
    sensors = sql(hall_db, "select s.id, s.name, s.unit from sensors s join racks r on r.id = s.rack_id "
                           "where r.name = 'A06' order by s.id")
    assert len(sensors) == 3 and not history.message
    assert [s.name for s in history.series] == [name for _, name, _ in sensors]
    for series, (sid, _, unit) in zip(history.series, sensors):
        rows = sql(hall_db, "select ts, value from readings where sensor_id = ? order by ts", [sid])
        factor = 1e-3 if unit == "W" else 1.0
        assert series.times.tolist() == stamps([r[0] for r in rows]).tolist()
        np.testing.assert_allclose(series.values, [r[1] * factor for r in rows])
        assert series.unit == plot_unit(unit)[0]
    assert history.units() == ["°C", "kW"]
    inlet = next(s for s in history.series if s.kind == "inlet_temp")
    (top,) = sql(hall_db, "select max(value) from readings join sensors s on s.id = sensor_id "
                          "where s.name = 'A06-inlet'")[0]
    assert inlet.values.max() == top > physics.ASHRAE_ALLOWABLE_C["A1"][1]    # the seeded hot spot
    limits = {(lim.label, lim.value, lim.unit) for lim in history.limits}
    (budget,) = sql(hall_db, "select power_budget_w from racks where name = 'A06'")[0]
    assert limits == {("ASHRAE recommended", 27.0, "°C"), ("ASHRAE A1 allowable", 32.0, "°C"),
                      ("power budget", budget / 1e3, "kW")}
    assert session.history(Subject("rack", hall.rack_index("A06"))) is history      # cached per subject
    session.configure("thermal", ashrae_class="A3")
    assert ("ASHRAE A3 allowable", 40.0, "°C") in {(x.label, x.value, x.unit)
                                                  for x in session.history(Subject("rack", hall.rack_index("A06"))).limits}


def test_part_history_falls_back_to_its_rack_and_says_so(hall):
    rack = hall.rack_index("A06")
    kinds = hall.part_kind()
    tray = int(np.flatnonzero((hall.parts.rack == rack) & (kinds == "compute_tray"))[0])
    frame = int(np.flatnonzero((hall.parts.rack == rack) & (kinds == "rack"))[0])
    assert subject_of_part(hall, frame) == Subject("rack", rack)
    rows, title = plotted_sensors(hall, Subject("part", tray))
    assert hall.sensors.name[rows].tolist() == ["A06-inlet", "A06-outlet", "A06-power"]
    assert "no sensors of its own" in title and "A06" in title and str(hall.parts.name[tray]) in title
    loop = int(hall.racks.cooling_loop[rack])
    assert related_subjects(hall, tray) == [Subject("part", tray), Subject("rack", rack), Subject("loop", loop)]
    assert related_subjects(hall, frame) == [Subject("rack", rack), Subject("loop", loop)]


def test_loop_history_has_supply_return_flow_and_design_return(hall_db, hall):
    session = ReviewSession(hall)
    loop = int(np.flatnonzero(hall.cooling_loops.name == "G-loop1")[0])
    history = session.history(Subject("loop", loop))
    expected = sql(hall_db, "select s.name, count(r.ts) from sensors s join cooling_loops c on c.id = "
                            "s.cooling_loop_id left join readings r on r.sensor_id = s.id where c.name = 'G-loop1' "
                            "group by s.id order by s.id")
    assert [(s.name, len(s.times)) for s in history.series] == expected
    assert [s.kind for s in history.series] == ["supply_temp", "return_temp", "flow"]
    assert history.units() == ["°C", "L/min"]
    supply, dt = sql(hall_db, "select supply_c, design_dt_k from cooling_loops where name = 'G-loop1'")[0]
    assert [(lim.value, lim.unit) for lim in history.limits] == [(supply + dt, "°C")]
    # the CDU carries the loop's sensors, so selecting it plots the same lines
    cdu = int(hall.sensors.part[history.series[0].sensor])
    assert hall.part_kind()[cdu] == "cdu"
    assert [s.name for s in session.history(Subject("part", cdu)).series] == [s.name for s in history.series]
    # an air loop without sensors says so instead of plotting nothing
    air = int(np.flatnonzero(hall.cooling_loops.medium == "air")[0])
    empty = session.history(Subject("loop", air))
    assert not empty.series and "has no sensors" in empty.message


def test_sensors_without_readings_say_so(hall_db, tmp_path):
    path = tmp_path / "quiet.twin.db"
    shutil.copy(hall_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute("delete from readings where sensor_id in (select s.id from sensors s join racks r "
                     "on r.id = s.rack_id where r.name = 'A06')")
    design = load_design(path)
    history = ReviewSession(design).history(Subject("rack", design.rack_index("A06")))
    assert [len(s.times) for s in history.series] == [0, 0, 0]
    assert "no readings" in history.message and "A06" in history.message
    assert not ReviewSession(design).history(Subject("rack", design.rack_index("A05"))).message


def test_sensor_histories_read_by_id_in_any_order_and_in_chunks(hall_db, hall, monkeypatch):
    ids = hall.sensors.id[::-1][:40]
    one_by_one = [sensor_series(hall_db, int(i)) for i in ids]
    monkeypatch.setattr(telemetry, "_IDS_PER_QUERY", 7)          # several IN (…) queries
    together = sensor_histories(hall_db, ids)
    assert len(together) == len(ids)
    for (times, values), (ts, vs) in zip(together, one_by_one):
        assert times.tolist() == stamps(ts).tolist() and values.tolist() == vs.tolist()
    (times, values), = sensor_histories(hall_db, np.array([999_999]))       # unknown: no readings
    assert len(times) == len(values) == 0


def test_a_bad_timestamp_names_the_file_and_sensor(hall_db, tmp_path):
    path = tmp_path / "bad-ts.twin.db"
    shutil.copy(hall_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute("update readings set ts = 'noon-ish' where sensor_id = 5 and ts = '2026-11-24T12:00:00Z'")
    with pytest.raises(TwinError) as err:
        sensor_histories(path, np.array([4, 5, 6]))
    assert str(path) in str(err.value) and "sensor_id 5" in str(err.value) and "noon-ish" in str(err.value)
