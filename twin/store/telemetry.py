"""Sensor readings from a design file, read on demand (the model never holds them).

Readings live in the `readings` table (sensor_id, ts, value) with primary key (sensor_id, ts);
`ts` is UTC ISO-8601 in the canonical form ``YYYY-MM-DDTHH:MM:SSZ``, so text order is time
order and SQLite compares timestamps as strings.

- `reading_times(path)` lists the distinct timestamps (for a time slider or `--at`).
- `readings_at(path, ts)` gives every sensor's latest reading at or before `ts` (default: the
  latest timestamp in the file) as arrays aligned with `design.sensors` rows (both are in
  sensor-id order). One query: for each sensor, an index seek on the primary key.
- `sensor_series(path, sensor_id)` gives one sensor's whole history for a chart.
- `sensor_histories(path, sensor_ids)` gives several sensors' histories in one query (the
  viewer's History dock: a rack's or a loop's sensors), by index seeks on the primary key.

A timestamp asked for that does not parse, or that lies before the first reading, is a
`TwinError` naming the file and the timestamp. A stored reading whose timestamp is not in the
canonical form is left out of the times and the snapshots (`damaged_readings` names them), so
one bad row does not stop a design from opening. A time after the last reading is allowed: each sensor then
reports its last value, and `ReadingSnapshot.reading_ts` shows how old each value is.
"""

from __future__ import annotations

import logging
import sqlite3
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.model.readings import ReadingSnapshot
from twin.store.reader import open_database

log = logging.getLogger(__name__)

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: The stored form as an SQLite GLOB: text order is time order only for timestamps of this shape.
TS_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"


def canonical_ts(source: str | Path, ts: str) -> str:
    """`ts` (any ISO-8601 form; naive means UTC) as ``YYYY-MM-DDTHH:MM:SSZ``; TwinError if it won't parse."""
    text = str(ts).strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
    except (ValueError, IndexError):
        raise TwinError(source, f"timestamp {ts!r} is not an ISO-8601 time such as 2026-11-24T13:45:00Z",
                        where="table readings") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(TS_FORMAT)


def good_ts(column: str = "ts") -> str:
    """SQL that is true where `column` holds a real time in the stored form: the shape (so text
    order is time order) and a date and time that exist (SQLite's strftime gives the same text
    back; 2026-02-30 or 25:61 come back different). The one rule for a bad timestamp: the times,
    the snapshots, the Properties panel and `damaged_readings` all use it."""
    return f"({column} glob '{TS_GLOB}' and strftime('{TS_FORMAT}', {column}) = {column})"


#: Each stored timestamp once, with its count, from the ts index alone; `materialized` so the
#: test of each timestamp (`good_ts`) runs once per timestamp, not once per reading: SQLite
#: moves a HAVING or outer WHERE on the grouped column into the scan (hall-2000: 0.9 s → 0.05 s).
TS_GROUPS = "with g as materialized (select ts, count(*) as n from readings group by ts)"


def reading_times(path: str | Path) -> list[str]:
    """Distinct reading timestamps in the file, oldest first (empty when there are none);
    timestamps that are not real times in the stored form are left out (see `damaged_readings`)."""
    db = open_database(path)
    try:
        return [r[0] for r in db.execute(f"{TS_GROUPS} select ts from g where {good_ts()} order by ts")]
    finally:
        db.conn.close()


def damaged_readings(path: str | Path, most: int = 20) -> list[str]:
    """One line per distinct stored timestamp that is not a time in the stored form, naming the
    file, the text, how many readings carry it and one sensor id: the readings left out."""
    db = open_database(path)
    try:
        # the timestamps and their counts from the ts index alone; a sensor id for each bad one
        bad = db.execute(f"{TS_GROUPS} select ts, n from g where ts is null or not {good_ts()} order by ts limit ?",
                         [most]).fetchall()
        rows = [(ts, count, db.execute("select min(sensor_id) from readings where ts is ?", [ts]).fetchone()[0])
                for ts, count in bad]
    finally:
        db.conn.close()
    for ts, count, sensor in rows:
        log.warning("%s: table readings, sensor_id %s: timestamp %r is not a time; %d readings left out",
                    path, sensor, ts, count)
    return [f"{path}: table readings, sensor_id {sensor}: timestamp {ts!r} is not a time such as "
            f"2026-11-24T13:45:00Z; {count:,} reading{'s' if count != 1 else ''} at it left out"
            for ts, count, sensor in rows]


def latest_readings(conn: sqlite3.Connection, at: str, sensor_ids: list[int] | None = None) -> list[tuple[Any, ...]]:
    """(sensor id, ts, value) of each sensor's latest reading at or before `at` (a stored-form
    timestamp), in sensor-id order; ts and value are None where a sensor has none. Readings
    whose timestamp is not a time are skipped (`good_ts`). `sensor_ids` limits it to those
    sensors (default: every sensor). The one query for "the latest reading at a moment": the
    snapshots (`readings_at`) and the Properties panel (`twin.store.queries`) both ask here.

    For each sensor, one index seek on the (sensor_id, ts) primary key."""
    where, args = "", [at]
    args_ids: list[int] = []
    if sensor_ids is not None:
        where = f"where s.id in ({', '.join('?' * len(sensor_ids))})"
        args_ids = [int(i) for i in sensor_ids]
    return conn.execute(f"""
        select s.id, r.ts, r.value
        from sensors s
        left join readings r on r.sensor_id = s.id and r.ts = (
            select ts from readings where sensor_id = s.id and ts <= ? and {good_ts()}
            order by ts desc limit 1)
        {where}
        order by s.id""", [*args, *args_ids]).fetchall()


def snapshot_arrays(conn: sqlite3.Connection, at: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`latest_readings(conn, at)` for every sensor as arrays (sensor ids, reading times as
    objects with "" for none, values with NaN for none), fast where most sensors report at `at`.

    Why: a time-slider step asks for a stored timestamp, and there each sensor's latest reading
    at or before it is the one at it. One range of the ts index gives those (hall-2000: 6,600
    rows, read as columns); only the sensors without one there take the per-sensor seek. A
    file without an index led by `ts`, a moment between readings, or rows no column holds (a
    NULL value, a repeated sensor) take `latest_readings` whole."""
    has_ts_index = any(conn.execute(f"pragma index_info('{row[1]}')").fetchone()[2:3] == ("ts",)
                       for row in conn.execute("pragma index_list('readings')").fetchall())
    sensors = np.fromiter((r[0] for r in conn.execute("select id from sensors order by id")), np.int64)
    if has_ts_index:
        try:
            got = np.fromiter(conn.execute("select sensor_id, value from readings where ts = ?", [at]),
                              np.dtype([("id", np.int64), ("value", np.float64)]))
        except (TypeError, ValueError, OverflowError):
            got = None
        if got is not None and len(np.unique(got["id"])) == len(got):
            got = got[np.argsort(got["id"], kind="stable")]
            pos = np.minimum(np.searchsorted(got["id"], sensors), max(len(got) - 1, 0))
            found = (got["id"][pos] == sensors) if len(got) else np.zeros(len(sensors), bool)
            missing = sensors[~found]
            if len(missing) <= len(sensors) // 4:
                values = np.where(found, got["value"][pos] if len(got) else np.nan, np.nan)
                stamps = np.where(found, at, "").astype(object)
                where = {int(sid): i for i, sid in enumerate(sensors.tolist()) if not found[i]}
                for start in range(0, len(missing), _IDS_PER_QUERY):
                    for sid, ts, value in latest_readings(conn, at, missing[start:start + _IDS_PER_QUERY].tolist()):
                        i = where[sid]
                        stamps[i], values[i] = ts or "", np.nan if value is None else value
                return sensors, stamps, values
    rows = latest_readings(conn, at)
    return (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
            np.array([r[1] or "" for r in rows], dtype=object),
            np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=len(rows)))


def latest_time(conn: sqlite3.Connection) -> str | None:
    """The file's latest reading timestamp that is a time (None without readings)."""
    return _first_and_last(conn)[1]


def readings_at(path: str | Path, ts: str | None = None) -> ReadingSnapshot:
    """Each sensor's latest reading at or before `ts` (default: the file's latest timestamp)."""
    path = Path(path)
    db = open_database(path)
    try:
        first, last = _first_and_last(db.conn)
        if ts is None:
            at = last
        else:
            at = canonical_ts(path, ts)
            if first is None:
                raise TwinError(path, f"no readings at all, so none at {ts}", where="table readings")
            if at < first:
                raise TwinError(path, f"no readings at or before {ts}: the first is at {first}",
                                where="table readings")
        if at is None:       # no readings in the file: every sensor is NaN
            ids = np.fromiter((r[0] for r in db.execute("select id from sensors order by id")), np.int64)
            stamps, values = np.full(len(ids), "", dtype=object), np.full(len(ids), np.nan)
        else:
            ids, stamps, values = snapshot_arrays(db.conn, at)
    finally:
        db.conn.close()
    return ReadingSnapshot(source=path, ts=at, sensor_id=ids, value=values, reading_ts=stamps)


def _first_and_last(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The first and last stored timestamps that are real times (None, None without readings).

    Two walks of the `ts` index that stop at the first good timestamp (at once, usually)."""
    ends: list[str | None] = []
    for order in ("asc", "desc"):
        row = conn.execute(f"select ts from readings where {good_ts()} order by ts {order} limit 1").fetchone()
        ends.append(row[0] if row else None)
    return ends[0], ends[1]


def sensor_series(path: str | Path, sensor_id: int) -> tuple[list[str], np.ndarray]:
    """One sensor's readings, oldest first: (timestamps, values). TwinError for an unknown sensor."""
    path = Path(path)
    db = open_database(path)
    try:
        if db.execute("select 1 from sensors where id = ?", [int(sensor_id)]).fetchone() is None:
            raise TwinError(path, f"no sensor with id {sensor_id}", where="table sensors")
        rows = db.execute("select ts, value from readings where sensor_id = ? order by ts",
                          [int(sensor_id)]).fetchall()
    finally:
        db.conn.close()
    return [r[0] for r in rows], np.array([r[1] for r in rows], dtype=np.float64)


#: SQLite's default cap on `?` parameters is 32,766 (999 before 3.32); ask in chunks below both.
_IDS_PER_QUERY = 900


def sensor_histories(path: str | Path, sensor_ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each sensor's readings, oldest first, in the order of `sensor_ids`: (times as
    datetime64[s] UTC, values float64). A sensor without readings gets two empty arrays.

    One query per 900 sensors, `sensor_id IN (…)` on the (sensor_id, ts) primary key: the cost
    follows the readings asked for, not the size of the readings table."""
    path = Path(path)
    ids = [int(i) for i in np.asarray(sensor_ids, np.int64).tolist()]
    wanted = sorted(set(ids))                 # chunks in id order keep the whole result sorted
    rows: list[tuple[Any, ...]] = []
    db = open_database(path)
    try:
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            chunk = wanted[start:start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            rows += db.execute(f"select sensor_id, ts, value from readings where sensor_id in ({marks}) "
                               "order by sensor_id, ts", chunk).fetchall()
    finally:
        db.conn.close()
    got = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    try:
        with warnings.catch_warnings():         # numpy only warns on a zone suffix: not the stored form
            warnings.simplefilter("error")
            times = np.array([str(r[1]).rstrip("Zz") for r in rows], dtype="datetime64[s]")
    except (ValueError, UserWarning):
        bad = next(r for r in rows if not _parses(r[1]))
        raise TwinError(path, f"timestamp {bad[1]!r} is not an ISO-8601 time",
                        where=f"table readings, sensor_id {bad[0]}") from None
    values = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), np.float64, len(rows))
    out = []
    for sensor in ids:            # per sensor asked for (a handful): slices of the sorted result
        lo, hi = np.searchsorted(got, sensor, "left"), np.searchsorted(got, sensor, "right")
        out.append((times[lo:hi], values[lo:hi]))
    return out


def _parses(ts: object) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.datetime64(str(ts).rstrip("Zz"), "s")
        return True
    except (ValueError, UserWarning):
        return False


def steady_readings(path: str | Path, at: str, window_min: float) -> dict[int, tuple[int, float, float, str]]:
    """Per sensor with readings in the `window_min` minutes up to `at` (a stored-form timestamp):
    (readings in the window, smallest value, largest value, when its current value began: the first
    reading after the last one that differs, or its first reading). For the stuck-sensor check.

    One range of the ts index for the window, then two seeks per sensor whose window holds one
    value only (a few)."""
    start = (np.datetime64(at.rstrip("Z"), "s") - np.timedelta64(int(round(window_min * 60)), "s"))
    since = str(start) + "Z"
    db = open_database(Path(path))
    try:
        # the window's few distinct timestamps are tested once (`good_ts` on every reading was
        # most of the check's time: a time-slider step runs it); only a window holding a damaged
        # timestamp tests each reading
        bad = db.execute(f"""with g as materialized (select distinct ts from readings where ts > ? and ts <= ?)
                             select count(*) from g where not {good_ts()}""", [since, at]).fetchone()[0]
        each = f"and {good_ts()}" if bad else ""
        rows = db.execute(f"""select sensor_id, count(value), min(value), max(value) from readings
                              where ts > ? and ts <= ? {each} and value is not null
                                and sensor_id in (select id from sensors)
                              group by sensor_id""", [since, at]).fetchall()
        out = {}
        for sid, n, lo, hi in rows:
            began = ""
            if n > 1 and lo == hi:
                last_other = db.execute(f"select max(ts) from readings where sensor_id = ? and ts <= ? and "
                                        f"value != ? and {good_ts()}", [sid, at, lo]).fetchone()[0]
                began = db.execute(f"select min(ts) from readings where sensor_id = ? and ts > ? and ts <= ? "
                                   f"and {good_ts()}", [sid, last_other or "", at]).fetchone()[0] or ""
            out[int(sid)] = (int(n), float(lo), float(hi), str(began))
    finally:
        db.conn.close()
    return out
