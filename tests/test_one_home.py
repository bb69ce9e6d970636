"""One home for each rule: a rack's frame, a part's hall, the recirculation default, overlay colours
in every export, the latest reading at a moment. Each case is one where two homes of the rule
used to disagree; the expectation is computed here from the SQLite file (SQL + numpy)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from twin.analysis.partdiff import diff_overlay, diff_parts
from twin.analysis.thermal import analyse_thermal
from twin.export.glb import export_glb, read_glb
from twin.export.parts_table import parts_table
from twin.scene.parts import PartGeometry
from twin.store import load_design
from twin.store.queries import DesignQueries
from twin.store.telemetry import readings_at
from twin.viewstate import ViewState

PART_COLUMNS = ("name", "part_type_id", "rack_id", "u_position", "x", "y", "z", "yaw_deg", "parent_id", "serial",
                "power_w", "power_node_id", "cooling_loop_id")


def _copy(db: Path, tmp_path: Path, name: str = "copy.twin.db") -> Path:
    out = tmp_path / name
    shutil.copyfile(db, out)
    return out


def _row_of(design, part_id: int) -> int:
    return int(np.flatnonzero(design.parts.id == part_id)[0])


# -- a rack's frame -----------------------------------------------------------------------------

def test_a_rack_with_two_frames_has_one_frame_everywhere(hall_db, tmp_path):
    """A06 gets a second frame part (a later id): the view state, the scene, and thermal's hot-spot
    finding must all name the same frame, the first in the file."""
    db = _copy(hall_db, tmp_path)
    cols = ", ".join(PART_COLUMNS)
    with sqlite3.connect(db) as c:
        c.execute(f"insert into parts (id, {cols}) select (select max(id) + 1 from parts), "
                  f"{cols.replace('name', 'name || ' + repr('-second'), 1)} from parts "
                  "where id = (select p.id from parts p join part_types t on t.id = p.part_type_id "
                  "join racks r on r.id = p.rack_id where t.kind = 'rack' and r.name = 'A06')")
        rows = c.execute("select p.rack_id, min(p.id), count(*) from parts p join part_types t on t.id = p.part_type_id "
                         "where t.kind = 'rack' and p.rack_id is not null group by p.rack_id").fetchall()
        rack_ids = [r[0] for r in c.execute("select id from racks order by id")]
        a06 = c.execute("select id from racks where name = 'A06'").fetchone()[0]
        tray = c.execute("select p.id from parts p join part_types t on t.id = p.part_type_id "
                         "where p.rack_id = ? and t.kind = 'compute_tray' order by p.id limit 1", [a06]).fetchone()[0]
    assert dict((r[0], r[2]) for r in rows)[a06] == 2
    design = load_design(db)
    first = {rack: part for rack, part, _ in rows}
    expected = np.array([_row_of(design, first[r]) if r in first else -1 for r in rack_ids])
    a06_row = rack_ids.index(a06)

    assert PartGeometry(design).frame_of_rack.tolist() == expected.tolist()
    # isolating a tray of A06 shows its rack's frame: the first one, not the second
    view = ViewState(design)
    view.set_focus("isolate", np.isin(np.arange(len(design.parts)), [_row_of(design, tray)]))
    shown_frames = np.flatnonzero(view.visible & (design.part_kind() == "rack"))
    assert shown_frames.tolist() == [expected[a06_row]]
    # thermal's hot-spot finding on A06 (at the readings' latest moment) points to that frame too
    result = analyse_thermal(design, readings_at(db))
    hot = [f for f in result.findings if f.rack == a06_row and f.code.startswith("inlet")]
    assert hot and {f.part for f in hot} == {int(expected[a06_row])}
    assert design.rack_frames().tolist() == expected.tolist()


# -- a part's hall ------------------------------------------------------------------------------

def _second_hall(db: Path) -> dict:
    """Add hall 'East' beside ai-hall's hall, at 18 °C supply and 3 K recirculation, with a CRAH
    standing on its floor (on no loop), and a part outside every floor mounted in a rack's tray."""
    with sqlite3.connect(db) as c:
        w, = c.execute("select width_m from halls where id = 1").fetchone()
        c.execute("insert into halls (id, name, width_m, depth_m, height_m, supply_air_c, recirculation_c, "
                  "ashrae_class, origin_x_m, origin_y_m) values (2, 'East', 30, 20, 5, 18.0, 3.0, 'A1', ?, 0)",
                  [w + 10.0])
        cols = ", ".join(PART_COLUMNS)
        crah = c.execute("select p.id from parts p join part_types t on t.id = p.part_type_id "
                         "where t.kind = 'crah' order by p.id limit 1").fetchone()[0]
        new_id = c.execute("select max(id) + 1 from parts").fetchone()[0]
        c.execute(f"insert into parts (id, {cols}) select ?, 'East-CRAH', part_type_id, null, null, ?, 5.0, 0, 0, "
                  "null, null, power_w, null, null from parts where id = ?", [new_id, w + 20.0, crah])
        tray = c.execute("select p.id from parts p join part_types t on t.id = p.part_type_id "
                         "where t.kind = 'compute_tray' order by p.id limit 1").fetchone()[0]
        c.execute(f"insert into parts (id, {cols}) select ?, 'loose-module', part_type_id, null, null, -50, -50, 0, 0, "
                  "?, null, 0, null, null from parts where id = ?", [new_id + 1, tray, tray])
    return {"crah": new_id, "module": new_id + 1}


def _expected_halls(db: Path, design) -> np.ndarray:
    """Per part row: its rack's hall (through parent links for parts outside racks), else the
    hall whose floor holds its (x, y), else its cooling loop's hall, else -1 — by SQL and numpy."""
    with sqlite3.connect(db) as c:
        via_rack = dict(c.execute("""
            with recursive up(id, at, depth) as (
                select id, id, 0 from parts
                union all
                select up.id, p.parent_id, up.depth + 1 from up join parts p on p.id = up.at
                where p.rack_id is null and p.parent_id is not null and up.depth < 32)
            select up.id, r.hall_id from up join parts p on p.id = up.at join racks r on r.id = p.rack_id
            """).fetchall())
        halls = c.execute("select id, origin_x_m, origin_y_m, width_m, depth_m from halls order by id").fetchall()
        parts = c.execute("select p.id, p.x, p.y, l.hall_id from parts p left join cooling_loops l "
                          "on l.id = p.cooling_loop_id order by p.id").fetchall()
    hall_row = {h[0]: i for i, h in enumerate(halls)}
    out = []
    for pid, x, y, loop_hall in parts:
        if pid in via_rack:
            out.append(hall_row[via_rack[pid]])
            continue
        on = [i for i, (_, ox, oy, w, d) in enumerate(halls) if ox <= x <= ox + w and oy <= y <= oy + d]
        out.append(on[0] if on else hall_row.get(loop_hall, -1))
    assert [r[0] for r in parts] == design.parts.id.tolist()
    return np.array(out)


def test_part_hall_is_one_rule_for_the_model_thermal_and_exports(hall_db, tmp_path):
    db = _copy(hall_db, tmp_path)
    new = _second_hall(db)
    design = load_design(db)
    expected = _expected_halls(db, design)
    assert design.part_hall().tolist() == expected.tolist()
    crah, module = _row_of(design, new["crah"]), _row_of(design, new["module"])
    assert expected[crah] == 1 and expected[module] == 0
    # the CRAH breathes East's air: 18 °C supply + 3 K recirculation (thermal used hall 0's 22 + 1.5)
    with sqlite3.connect(db) as c:
        supply, recirc = c.execute("select supply_air_c, recirculation_c from halls where name = 'East'").fetchone()
    assert analyse_thermal(design).inlet_c[crah] == pytest.approx(supply + recirc)
    # the exports list it under East
    assert parts_table(design)["hall"][crah] == "East"


def test_recirculation_default_is_one_figure(hall_db, tmp_path):
    """A hall whose recirculation is NULL gets the same 1.0 K the spec reader and the NetBox
    importer write into new files (thermal used 1.5 K)."""
    db = _copy(hall_db, tmp_path)
    with sqlite3.connect(db) as c:
        c.execute("update halls set recirculation_c = null")
        supply, = c.execute("select supply_air_c from halls").fetchone()
    from twin.specs.spec import HALL
    from twin.importers.netbox_tables import RECIRCULATION_C
    assert HALL["recirculation_c"][1] == RECIRCULATION_C == 1.0
    result = analyse_thermal(load_design(db))
    assert result.racks.inlet_c == pytest.approx(supply + 1.0)


# -- overlay colours in the exports -------------------------------------------------------------

#: The diff overlay's own colours, written out: added bluish green, changed blue (Okabe–Ito), and
#: the neutral grey of parts with no value.
ADDED, CHANGED, GREY = (0, 158, 115), (0, 114, 178), (170, 172, 176)


@pytest.fixture(scope="module")
def changed_hall(hall_db, tmp_path_factory) -> tuple[Path, set[str], set[str]]:
    """ai-hall with rack A03's trays drawing 7 kW (changed) and one part added; the names of each."""
    tmp = tmp_path_factory.mktemp("diff")
    db = _copy(hall_db, tmp, "changed.twin.db")
    with sqlite3.connect(db) as c:
        c.execute("update parts set power_w = 7000 where rack_id = (select id from racks where name = 'A03') "
                  "and part_type_id in (select id from part_types where kind = 'compute_tray')")
        changed = {r[0] for r in c.execute("select p.name from parts p join racks r on r.id = p.rack_id "
                                           "join part_types t on t.id = p.part_type_id "
                                           "where r.name = 'A03' and t.kind = 'compute_tray'")}
        cols = ", ".join(PART_COLUMNS)
        c.execute(f"insert into parts (id, {cols}) select (select max(id) + 1 from parts), 'spare-CDU', "
                  f"{cols.split(', ', 1)[1]} from parts where id = (select p.id from parts p join part_types t "
                  "on t.id = p.part_type_id where t.kind = 'cdu' order by p.id limit 1)")
    return db, changed, {"spare-CDU"}


def _expected_diff_rgb(names: list[str], changed: set[str], added: set[str]) -> list[tuple[int, int, int]]:
    return [ADDED if n in added else CHANGED if n in changed else GREY for n in names]


def test_glb_keeps_the_category_colours(hall_db, changed_hall, tmp_path):
    db, changed, added = changed_hall
    old, new = load_design(hall_db), load_design(db)
    out = export_glb(new, tmp_path / "diff.glb", overlay=diff_overlay(new, diff_parts(old, new), "new"),
                     hall_context=False)
    doc, _ = read_glb(out)
    nodes = [n for n in doc["nodes"] if "extras" in n and "vendor" in n["extras"]]
    got = {n["name"]: doc["materials"][doc["meshes"][n["mesh"]]["primitives"][0]["material"]]["name"]
           for n in nodes if "mesh" in n}
    names = sorted(got)
    want = ["#%02x%02x%02x" % rgb for rgb in _expected_diff_rgb(names, changed, added)]
    assert [got[n] for n in names] == want


def test_usd_keeps_the_category_colours(hall_db, changed_hall, tmp_path):
    from pxr import Usd

    from twin.export.usd import export_usd

    db, changed, added = changed_hall
    old, new = load_design(hall_db), load_design(db)
    out = export_usd(new, tmp_path / "diff.usda", overlay=diff_overlay(new, diff_parts(old, new), "new"))
    stage = Usd.Stage.Open(str(out))
    got = {p.GetAttribute("twin:name").Get(): tuple(p.GetAttribute("primvars:displayColor").Get()[0])
           for p in stage.Traverse() if p.HasAttribute("twin:name")}
    names = sorted(got)
    want = np.array(_expected_diff_rgb(names, changed, added)) / 255.0
    assert np.allclose(np.array([got[n] for n in names]), want, atol=1e-4)


# -- the latest reading at a moment -------------------------------------------------------------

def _is_time(ts) -> bool:
    try:
        datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")
        return True
    except (TypeError, ValueError):
        return False


def test_latest_reading_skips_bad_timestamps_in_every_query(hall_db, tmp_path):
    """Rows stamped 'not a time' and '2099-13-40T25:61:61Z' (the stored shape, but no time) sort
    after every real reading: neither the snapshot nor the Properties panel may take them."""
    db = _copy(hall_db, tmp_path)
    with sqlite3.connect(db) as c:
        sensor, part = c.execute("select id, part_id from sensors where part_id is not null and kind = 'inlet_temp' "
                                 "order by id limit 1").fetchone()
        c.executemany("insert into readings (sensor_id, ts, value) values (?, ?, ?)",
                      [(sensor, "not a time", 99.0), (sensor, "2099-13-40T25:61:61Z", 98.0)])
        rows = c.execute("select ts, value from readings where sensor_id = ?", [sensor]).fetchall()
        name, = c.execute("select name from sensors where id = ?", [sensor]).fetchone()
    good = sorted((ts, v) for ts, v in rows if _is_time(ts))
    latest_ts, latest_value = good[-1]

    for at in (None, "2100-01-01T00:00:00Z"):
        snap = readings_at(db, at)
        i = int(np.flatnonzero(snap.sensor_id == sensor)[0])
        assert (snap.reading_ts[i], snap.value[i]) == (latest_ts, pytest.approx(latest_value))
        queries = DesignQueries(db)
        try:
            sections = dict(queries.part_properties(part, at))
        finally:
            queries.close()
        (title,) = [t for t in sections if t.startswith("Sensors")]
        row = next(v for k, v in sections[title] if k.startswith(name))
        assert row.endswith(f"@ {latest_ts}"), row
        assert float(row.split()[0]) == pytest.approx(latest_value, abs=1e-3)
