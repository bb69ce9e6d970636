"""Reading snapshots for the time slider (`readings_at`): each sensor's latest reading at or
before a moment, read from the ts index where sensors report at that moment. Expectations are
computed here from the whole readings table with numpy, on real SQLite copies of ai-hall."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from twin.store.telemetry import readings_at


def expected(db, at: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    with sqlite3.connect(db) as conn:
        sensors = np.array([r[0] for r in conn.execute("select id from sensors order by id")])
        rows = conn.execute("select sensor_id, ts, value from readings").fetchall()
    stamps, values = [""] * len(sensors), np.full(len(sensors), np.nan)
    where = {int(s): i for i, s in enumerate(sensors)}
    for sid, ts, value in rows:
        i = where.get(sid)
        if i is not None and ts <= at and ts > stamps[i]:
            stamps[i], values[i] = ts, value
    return sensors, stamps, values


def check(db, at: str) -> None:
    snap = readings_at(db, at)
    ids, stamps, values = expected(db, at)
    assert np.array_equal(snap.sensor_id, ids)
    assert list(snap.reading_ts) == stamps
    assert np.array_equal(snap.value, values, equal_nan=True)


@pytest.fixture
def copy(hall_db, tmp_path):
    db = tmp_path / "snap.twin.db"
    shutil.copy(hall_db, db)
    return db


def times(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("select distinct ts from readings order by ts")]


def test_snapshots_at_stored_moments_and_between_them(copy):
    ts = times(copy)
    assert len(ts) >= 3
    for at in (ts[0], ts[len(ts) // 2], ts[-1]):
        check(copy, at)
    check(copy, ts[1][:-3] + "01Z")          # a second after a stored moment: every sensor's earlier one


def test_sensors_missing_at_a_moment_take_their_earlier_reading(copy):
    ts = times(copy)
    at = ts[len(ts) // 2]
    with sqlite3.connect(copy) as conn:
        some = [r[0] for r in conn.execute("select sensor_id from readings where ts = ? order by sensor_id limit 5",
                                           [at])]
        conn.execute(f"delete from readings where ts = ? and sensor_id in ({','.join('?' * len(some))})", [at, *some])
        # one sensor that never reported before the moment either
        conn.execute("delete from readings where sensor_id = ? and ts <= ?", [some[0], at])
    check(copy, at)
    snap = readings_at(copy, at)
    assert np.isnan(snap.value[list(snap.sensor_id).index(some[0])])


def test_a_file_without_the_ts_index_gives_the_same_snapshot(copy):
    with sqlite3.connect(copy) as conn:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'index' "
                                            "and tbl_name = 'readings' and sql is not null")]
        for name in names:
            conn.execute(f'drop index "{name}"')
    ts = times(copy)
    check(copy, ts[len(ts) // 3])
