"""Stuck sensors (twin/analysis/staleness.py): one value over the last 4 h while most of the sensor's
kind varied is a `sensor-stuck` warning, with since when and how long.

The expectation is computed here from the readings table with SQL and numpy: each sensor's
readings in the window, its kind's peers, and the start of its last run of one value.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.support import edited

WINDOW_MIN = 240.0


def _t(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def expected_stuck(db: Path, at: str) -> dict[str, tuple[str, float]]:
    """Sensor name -> (start of its run of one value, minutes since), for each sensor whose readings in the
    window up to `at` are one value (three or more) while at least half its kind's other sensors varied."""
    start = (_t(at) - timedelta(minutes=WINDOW_MIN)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select s.name, s.kind, r.ts, r.value from readings r join sensors s on s.id = r.sensor_id "
                            "where r.ts <= ? order by s.name, r.ts", [at]).fetchall()
    history: dict[str, list[tuple[str, float]]] = {}
    kind: dict[str, str] = {}
    for name, k, ts, value in rows:
        history.setdefault(name, []).append((ts, value))
        kind[name] = k
    window = {n: np.array([v for ts, v in h if ts > start]) for n, h in history.items()}
    enough = {n for n, w in window.items() if len(w) >= 3}
    flat = {n for n in enough if np.ptp(window[n]) == 0}
    out = {}
    for n in flat:
        peers = [p for p in enough if kind[p] == kind[n] and p != n]
        if not peers or 2 * sum(p not in flat for p in peers) < len(peers):
            continue
        h = history[n]
        k = len(h) - 1
        while k > 0 and h[k - 1][1] == h[-1][1]:         # back to the first reading of the last value
            k -= 1
        out[n] = (h[k][0], (_t(at) - _t(h[k][0])).total_seconds() / 60)
    return out


def check(db: Path, *args: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--thermal", "--json", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [f for f in json.loads(done.stdout)["findings"] if f["code"] == "sensor-stuck"]


def last_ts(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("select max(ts) from readings").fetchone()[0]


def test_the_seeded_stuck_sensor_is_found_with_since_when_and_how_long(hall_db: Path) -> None:
    at = last_ts(hall_db)
    expected = expected_stuck(hall_db, at)
    assert set(expected) == {"D03-outlet"}                      # the spec's stuck_sensor, stuck from noon
    since, minutes = expected["D03-outlet"]
    assert since == "2026-11-24T12:00:00Z"
    [found] = check(hall_db)
    assert found["severity"] == "warning" and found["subject"] == "D03" and found["location"] is not None
    assert found["value"] == pytest.approx(minutes) and found["limit"] == pytest.approx(WINDOW_MIN)
    assert "D03-outlet" in found["message"] and since in found["message"] and "11 h 52 min" in found["message"]
    assert check(hall_db, "--at", "2026-11-24T13:00:00Z") == []     # an hour stuck is not yet four


def test_a_sensor_frozen_on_an_edited_copy_is_found_and_a_still_kind_is_not(hall_db: Path, tmp_path: Path) -> None:
    # A02's inlet freezes at 25 °C from 18:30; every flow meter reads one value after 19:00 (the loops still)
    db = edited(hall_db, tmp_path,
                "update readings set value = 25.0 where ts >= '2026-11-24T18:30:00Z' and sensor_id = "
                "(select id from sensors where name = 'A02-inlet')",
                "update readings set value = 1000.0 where ts >= '2026-11-24T19:00:00Z' and sensor_id in "
                "(select id from sensors where kind = 'flow')")
    at = last_ts(db)
    expected = expected_stuck(db, at)
    assert set(expected) == {"D03-outlet", "A02-inlet"}
    found = {f["subject"]: f for f in check(db)}
    assert set(found) == {"D03", "A02"}
    since, minutes = expected["A02-inlet"]
    assert since == "2026-11-24T18:30:00Z"
    assert found["A02"]["value"] == pytest.approx(minutes) and since in found["A02"]["message"]
    assert not any("flow" in f["message"] for f in found.values())


def test_a_damaged_timestamp_in_the_window_does_not_unstick_a_sensor(hall_db: Path, tmp_path: Path) -> None:
    # a reading of D03-outlet whose timestamp is no time (a clock that wrote local time), inside the
    # window in text order and with another value: it is left out as every damaged reading is
    at = last_ts(hall_db)
    db = edited(hall_db, tmp_path, "insert into readings (sensor_id, ts, value) select id, '2026-11-24T23:00:00+01:00', "
                                   "-5 from sensors where name = 'D03-outlet'")
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("select count(*) from readings where ts > '2026-11-24T22:00:00Z' and ts <= ? "
                            "and ts glob '*+01:00'", [at]).fetchone()
    assert n == 1                                                 # it does fall in the window's text range
    [found] = check(db)
    assert found["subject"] == "D03" and "D03-outlet" in found["message"]
