"""A long review session stays bounded: opening many moments keeps a bounded number of results
and snapshots alive, and every result is still right (rack inlets checked against SQL)."""

from __future__ import annotations

import gc
import sqlite3
import weakref

import numpy as np
import pytest

from twin.session import ReviewSession
from twin.store import load_design
from twin.store.telemetry import reading_times


def _sql_rack_inlet(db, at: str) -> dict[str, float]:
    """Hottest inlet sensor reading per rack name at or before `at` (each sensor's latest)."""
    with sqlite3.connect(db) as c:
        rows = c.execute("""
            select r.name, max(v.value) from sensors s join racks r on r.id = s.rack_id
            join readings v on v.sensor_id = s.id and v.ts = (
                select max(ts) from readings where sensor_id = s.id and ts <= ?)
            where s.kind = 'inlet_temp' group by r.name""", [at]).fetchall()
    return dict(rows)


def test_many_moments_keep_the_caches_at_their_bound(hall_db):
    design = load_design(hall_db)
    times = reading_times(hall_db)
    assert len(times) >= 40
    moments = times[:40]
    bound_results, bound_snapshots = 6, 4
    session = ReviewSession(design, max_results=bound_results, max_snapshots=bound_snapshots)
    alive = []
    names = design.racks.name.tolist()
    for at in moments:
        result = session.result("thermal", at)
        alive.append(weakref.ref(result))
        alive.append(weakref.ref(session.snapshot(at)))
        expected = _sql_rack_inlet(hall_db, at)
        inlet = result.detail.racks.inlet_c
        assert {n: inlet[names.index(n)] for n in expected} == pytest.approx(expected)
        del result
    sizes = session.cache_sizes()
    assert sizes["results"] == bound_results and sizes["snapshots"] == bound_snapshots
    gc.collect()
    # what the session forgot is freed: only the bounded few results and snapshots stay alive
    assert sum(ref() is not None for ref in alive) <= bound_results + bound_snapshots
    assert session.run_counts["thermal"] == len(moments)
    # the latest moments are still cached; an old one runs again and is still right
    session.result("thermal", moments[-1])
    assert session.run_counts["thermal"] == len(moments)
    again = session.result("thermal", moments[0])
    assert session.run_counts["thermal"] == len(moments) + 1
    expected = _sql_rack_inlet(hall_db, moments[0])
    assert {n: again.detail.racks.inlet_c[names.index(n)] for n in expected} == pytest.approx(expected)
    assert session.cache_sizes()["results"] == bound_results


def test_default_bounds_hold_over_a_day_of_moments(hall_db):
    """With the default bounds, a slider dragged over every reading of the file: the session
    keeps at most its bound of thermal results, all of them alive through the session only."""
    design = load_design(hall_db)
    times = reading_times(hall_db)
    session = ReviewSession(design)
    refs = [weakref.ref(session.result("thermal", at)) for at in times]
    gc.collect()
    kept = sum(ref() is not None for ref in refs)
    assert 0 < kept < len(times)
    assert kept <= session.cache_sizes()["results"]
    assert np.isfinite(session.result("thermal", times[-1]).detail.racks.inlet_c).all()
