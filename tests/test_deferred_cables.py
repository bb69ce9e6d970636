"""Cables read after the first frame (`load_design(defer_cables=True)`, `twin.model.deferred`):
the same design as an eager load, finding by finding for every registered analysis, and a
damaged cables table still a clear error naming file and table, raised where it is read.

Real SQLite files built from the sample specs; expectations come from the eager load (what
the issue asks to compare against) and from SQL written out here.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest

from twin.analysis import registry
from twin.analysis.findings import findings_to_dicts
from twin.errors import TwinError
from twin.model.deferred import DeferredColumns, waiting
from twin.session import ReviewSession
from twin.specs import build_design
from twin.store import load_design

TWO_HALLS = Path(__file__).parent / "specs" / "two-halls.toml"


@pytest.fixture(scope="module")
def site_db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("deferred-site") / "two-halls.twin.db"
    build_design(TWO_HALLS, out)
    return out


def same_array(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
    return a.shape == b.shape and bool(np.array_equal(a, b))


@pytest.mark.parametrize("which", ["hall", "site"])
def test_a_deferred_design_gives_every_analysis_the_same_findings_as_an_eager_one(which, hall_db, site_db):
    db = hall_db if which == "hall" else site_db
    eager, lazy = load_design(db), load_design(db, defer_cables=True)
    assert waiting(lazy.cables) and len(lazy.cables) == len(eager.cables)
    with sqlite3.connect(db) as conn:
        assert len(lazy.cables) == conn.execute("select count(*) from cables").fetchone()[0]
    eager_s, lazy_s = ReviewSession(eager), ReviewSession(lazy)
    names = [a.name for a in registry.analyses() if a.available(eager) is None]
    assert "cabling" in names and len(names) >= 3
    assert lazy_s.loading() == [n for n in names if registry.get_analysis(n).needs_cables]
    # the analyses that say they need no cables run without reading them (what the viewer trusts)
    order = sorted(names, key=lambda n: registry.get_analysis(n).needs_cables)
    for name in order:
        needs = registry.get_analysis(name).needs_cables
        got, want = lazy_s.result(name), eager_s.result(name)
        if not needs:
            assert waiting(lazy.cables), f"{name} read the cables but does not declare needs_cables"
        assert findings_to_dicts(got.findings) == findings_to_dicts(want.findings), name
        for key in want.part_values:
            assert same_array(got.part_values[key], want.part_values[key]), (name, key)
        assert set(got.cable_values) == set(want.cable_values), name
        for key in want.cable_values:
            assert same_array(got.cable_values[key], want.cable_values[key]), (name, key)
    assert lazy.cables.ready and lazy_s.loading() == []
    assert set(lazy.cables) == set(eager.cables)
    for column in eager.cables:
        assert same_array(getattr(lazy.cables, column), getattr(eager.cables, column)), column
    assert lazy.cable_kinds == eager.cable_kinds and lazy.port_kinds == eager.port_kinds
    assert lazy.warnings == eager.warnings


def test_deferred_cables_hold_what_the_file_holds(site_db):
    lazy = load_design(site_db, defer_cables=True)
    with sqlite3.connect(site_db) as conn:
        rows = conn.execute("""select c.id, a.part_id, b.part_id, c.length_m from cables c
                               join ports a on a.id = c.a_port_id join ports b on b.id = c.b_port_id
                               order by c.id""").fetchall()
    ids, a_part_ids, b_part_ids, length = (np.array(col) for col in zip(*rows))
    assert np.array_equal(lazy.cables.id, ids)
    assert np.array_equal(lazy.parts.id[lazy.cables.a_part], a_part_ids)
    assert np.array_equal(lazy.parts.id[lazy.cables.b_part], b_part_ids)
    assert np.allclose(lazy.cables.length_m, np.nan_to_num(length.astype(float)))


def test_a_damaged_cables_table_is_an_error_naming_file_table_and_row_when_read(hall_db, tmp_path):
    db = tmp_path / "damaged.twin.db"
    shutil.copy(hall_db, db)
    with sqlite3.connect(db) as conn:
        victim = conn.execute("select id from cables order by id limit 1 offset 7").fetchone()[0]
        conn.execute("update cables set length_m = 'twelve' where id = ?", [victim])
    design = load_design(db, defer_cables=True)          # opens: the first frame needs no cable
    assert len(design.parts) and waiting(design.cables)
    for _ in range(2):                                   # every later caller hears the same error
        with pytest.raises(TwinError) as info:
            len(design.cables.a_part)
        text = str(info.value)
        assert str(db) in text and "table cables" in text and f"row id {victim}" in text and "twelve" in text
    assert not waiting(design.cables) and not design.cables.ready
    with pytest.raises(TwinError, match="table cables"):
        ReviewSession(design).result("cabling")
    with pytest.raises(TwinError, match="table cables"):
        load_design(db)                                  # the eager load says the same at once


def test_a_cables_table_gone_after_opening_is_an_error_naming_file_and_table(hall_db, tmp_path):
    db = tmp_path / "gone.twin.db"
    shutil.copy(hall_db, db)
    design = load_design(db, defer_cables=True)
    with sqlite3.connect(db) as conn:
        conn.execute("drop table cables")
    with pytest.raises(TwinError) as info:
        len(design.cables.id)
    assert str(db) in str(info.value) and "cables" in str(info.value)


def test_a_deferred_table_is_read_once_however_many_threads_ask():
    calls: list[int] = []
    gate = threading.Event()

    def read() -> dict[str, np.ndarray]:
        calls.append(1)
        gate.wait(5)
        return {"id": np.arange(4), "x": np.ones(4)}
    columns = DeferredColumns(read, 4)
    assert len(columns) == 4 and not calls            # the count is known without reading
    seen: list[float] = []
    threads = [threading.Thread(target=lambda: seen.append(float(columns.x.sum()))) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert calls == [1] and seen == [4.0] * 4 and "x" in columns and list(columns) == ["id", "x"]


def test_a_session_adopts_a_result_run_elsewhere_only_with_its_own_settings(hall_db):
    design = load_design(hall_db, defer_cables=True)
    worker = ReviewSession(design)
    result = worker.result("cabling")
    mine = ReviewSession(design)
    assert not mine.adopt("cabling", result, {**worker.settings("cabling"), "no-such-setting": 1})
    assert mine.adopt("cabling", result, worker.settings("cabling"))
    assert mine.result("cabling") is result and mine.run_counts.get("cabling", 0) == 0
    thermal = worker.result("thermal")                     # reads readings: a moment to match, never adopted
    assert not ReviewSession(design).adopt("thermal", thermal, worker.settings("thermal"))


@pytest.mark.parametrize("which", ["hall", "site"])
def test_overlays_that_say_they_need_no_cables_build_without_reading_them(which, hall_db, site_db):
    db = hall_db if which == "hall" else site_db
    eager, lazy = load_design(db), load_design(db, defer_cables=True)
    eager_s, lazy_s = ReviewSession(eager), ReviewSession(lazy)
    shown = [o for o in registry.overlays() if lazy_s.overlay_availability()[o.name] is None]
    assert {"cabling", "thermal", "power"} <= {o.name for o in shown}
    waits = [o.name for o in shown if lazy_s.overlay_waits(o.name)]
    assert "cabling" in waits and "thermal" not in waits
    for spec in sorted(shown, key=lambda o: o.name in waits):       # those that wait last
        got, want = lazy_s.overlay(spec.name), eager_s.overlay(spec.name)
        if spec.name not in waits:
            assert waiting(lazy.cables), f"overlay {spec.name} read the cables but does not say it needs them"
        assert same_array(got.values, want.values), spec.name
        assert (got.cable_values is None) == (want.cable_values is None), spec.name
        if want.cable_values is not None:
            assert same_array(got.cable_values, want.cable_values), spec.name
    assert not lazy_s.overlay_waits("cabling")                     # read now
