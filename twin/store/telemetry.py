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

import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from twin.errors import TwinError
from twin.model.readings import ReadingSnapshot
from twin.store.reader import open_database

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


def _is_time(ts: str) -> bool:
    try:
        datetime.strptime(ts, TS_FORMAT)
        return True
    except (TypeError, ValueError):
        return False


def reading_times(path: str | Path) -> list[str]:
    """Distinct reading timestamps in the file, oldest first (empty when there are none);
    timestamps that are not real times in the stored form are left out (see `damaged_readings`)."""
    db = open_database(path)
    try:
        stamps = [r[0] for r in db.execute("select distinct ts from readings where ts glob ? order by ts", [TS_GLOB])]
    finally:
        db.conn.close()
    return [ts for ts in stamps if _is_time(ts)]


def damaged_readings(path: str | Path, most: int = 20) -> list[str]:
    """One line per distinct stored timestamp that is not a time in the stored form, naming the
    file, the text, how many readings carry it and one sensor id: the readings left out."""
    db = open_database(path)
    try:
        rows = db.execute("select ts, count(*), min(sensor_id) from readings where ts is null or ts not glob ? "
                          "group by ts order by ts limit ?", [TS_GLOB, most]).fetchall()
        rows += [r for r in db.execute("select ts, count(*), min(sensor_id) from readings where ts glob ? group by ts",
                                       [TS_GLOB]).fetchall() if not _is_time(r[0])][:most]
    finally:
        db.conn.close()
    return [f"{path}: table readings, sensor_id {sensor}: timestamp {ts!r} is not a time such as "
            f"2026-11-24T13:45:00Z; {count:,} reading{'s' if count != 1 else ''} at it left out"
            for ts, count, sensor in rows[:most]]


def readings_at(path: str | Path, ts: str | None = None) -> ReadingSnapshot:
    """Each sensor's latest reading at or before `ts` (default: the file's latest timestamp)."""
    path = Path(path)
    db = open_database(path)
    try:
        first, last = _first_and_last(db)
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
            rows = db.execute("select id, null, null from sensors order by id").fetchall()
        else:
            rows = db.execute("""
                select s.id, r.ts, r.value
                from sensors s
                left join readings r on r.sensor_id = s.id and r.ts = (
                    select ts from readings where sensor_id = s.id and ts <= :at and ts glob :shape
                    order by ts desc limit 1)
                order by s.id""", {"at": at, "shape": TS_GLOB}).fetchall()
    finally:
        db.conn.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64, count=len(rows))
    stamps = np.array([r[1] or "" for r in rows], dtype=object)
    return ReadingSnapshot(source=path, ts=at, sensor_id=ids, value=values, reading_ts=stamps)


def _first_and_last(db) -> tuple[str | None, str | None]:
    """The first and last stored timestamps that are real times (None, None without readings).

    Two index seeks on `ts` in the usual case; a damaged end walks on to the next good one."""
    ends = []
    for order in ("asc", "desc"):
        cursor = db.execute(f"select distinct ts from readings where ts glob ? order by ts {order}", [TS_GLOB])
        ends.append(next((row[0] for row in cursor if _is_time(row[0])), None))
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
    rows: list[tuple] = []
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


def _parses(ts) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.datetime64(str(ts).rstrip("Zz"), "s")
        return True
    except (ValueError, UserWarning):
        return False
