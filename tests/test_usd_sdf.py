"""The Sdf USD writer: its stage equals the text writer's (benchmarks/usd_text_baseline.py) prim
by prim on ai-hall, plus the hall shell and the trays; usd-core's validators pass it; `--layers`
writes one file per hall and a root that sublayers them, only where asked.

Tray places and names come from SQL; prims are compared through usd-core's composed stage.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from benchmarks.usd_text_baseline import export_usd_text
from tests.test_export_batch import twin_cli
from twin.export.usd import export_usd
from twin.session import ReviewSession
from twin.store import load_design

Usd = pytest.importorskip("pxr.Usd")
from pxr import Gf, Sdf, UsdGeom, UsdValidation, Vt  # noqa: E402

CONTEXT = ("/HallShapes", "/World/Hall_1/shell", "/World/Hall_1/trays")


def plain(value):
    """A composed attribute value as numpy / Python, for comparing with a tolerance."""
    if isinstance(value, (Vt.Vec3fArray, Vt.Vec3dArray, Vt.IntArray, Vt.FloatArray, Vt.DoubleArray)):
        return np.array(value, float)
    if isinstance(value, (Gf.Vec3d, Gf.Vec3f)):
        return np.array(list(value), float)
    if isinstance(value, Vt.TokenArray):
        return list(value)
    return value


def facts(stage) -> dict[str, dict]:
    """Every prim's type, specifier, instancing, reference targets, world transform and attributes
    (value and interpolation), by path; the hall context (shell, trays) left out."""
    out = {}
    for prim in stage.TraverseAll():
        path = str(prim.GetPath())
        if path.startswith(CONTEXT):
            continue
        refs = []
        for spec in prim.GetPrimStack():
            refs += [str(r.primPath) for r in spec.referenceList.GetAddedOrExplicitItems()]
        attrs = {a.GetName(): (plain(a.Get()), a.GetMetadata("interpolation")) for a in prim.GetAttributes()
                 if a.HasAuthoredValue()}
        world = np.array(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default())) \
            if prim.IsA(UsdGeom.Xformable) else None
        out[path] = {"type": prim.GetTypeName(), "specifier": prim.GetSpecifier(), "instance": prim.IsInstance(),
                     "refs": refs, "attrs": attrs, "world": world}
    return out


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a, float), np.asarray(b, float)
        return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True)
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-5, atol=1e-6, equal_nan=True))
    return a == b


def assert_same_stage(old, new) -> None:
    for key in ("upAxis", "metersPerUnit", "defaultPrim", "customLayerData"):
        assert old.GetMetadata(key) == new.GetMetadata(key), key
    f_old, f_new = facts(old), facts(new)
    assert list(f_old) == list(f_new)                     # the same prims, in the same order
    for path, want in f_old.items():
        got = f_new[path]
        for key in ("type", "specifier", "instance", "refs"):
            assert want[key] == got[key], (path, key, want[key], got[key])
        assert (want["world"] is None) == (got["world"] is None), path
        if want["world"] is not None:
            assert np.allclose(want["world"], got["world"], atol=1e-5), path
        assert sorted(want["attrs"]) == sorted(got["attrs"]), (path, sorted(want["attrs"]), sorted(got["attrs"]))
        for name, (value, interpolation) in want["attrs"].items():
            assert same(value, got["attrs"][name][0]), (path, name, value, got["attrs"][name][0])
            assert interpolation == got["attrs"][name][1], (path, name)


def drawable_trays_sql(db) -> list[tuple[str, np.ndarray, tuple]]:
    """(name, midpoint, hall box or None) of every tray with a length, from SQL."""
    with sqlite3.connect(db) as con:
        trays = con.execute("select name, x0, y0, z0, x1, y1, z1 from cable_trays "
                            "where width_m > 0 and height_m > 0 order by id").fetchall()
        halls = con.execute("select name, origin_x_m, origin_y_m, width_m, depth_m from halls order by id").fetchall()
    out = []
    for name, *xyz in trays:
        a, b = np.array(xyz[:3], float), np.array(xyz[3:], float)
        if np.hypot(*(b - a)[:2]) <= 0:
            continue
        inside = [h for h in halls if all(h[1] - 1e-6 <= p[0] <= h[1] + h[3] + 1e-6 and
                                          h[2] - 1e-6 <= p[1] <= h[2] + h[4] + 1e-6 for p in (a, b))]
        out.append((name, (a + b) / 2, inside[0][0] if inside else None))
    return out


def world_translation(prim) -> np.ndarray:
    m = UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default())
    return np.array(list(m.ExtractTranslation()))


@pytest.mark.parametrize("overlay", ["none", "thermal"])
def test_sdf_stage_equals_the_text_writers_prim_by_prim_plus_shell_and_trays(hall_db, tmp_path, overlay):
    design = load_design(hall_db)
    built = ReviewSession(design).overlay(overlay) if overlay != "none" else None
    old = Usd.Stage.Open(str(export_usd_text(design, tmp_path / "old.usda", built)))
    new = Usd.Stage.Open(str(export_usd(design, tmp_path / "new.usd", built)))
    assert_same_stage(old, new)
    # the hall shell: floor and four walls, the floor spanning the hall (from SQL)
    with sqlite3.connect(hall_db) as con:
        width, depth, height = con.execute("select width_m, depth_m, height_m from halls").fetchone()
    shell = new.GetPrimAtPath("/World/Hall_1/shell")
    assert sorted(c.GetName() for c in shell.GetChildren()) == ["floor", "wall_east", "wall_north",
                                                                 "wall_south", "wall_west"]
    box = UsdGeom.Imageable(shell.GetChild("floor")).ComputeWorldBound(Usd.TimeCode.Default(), "default")
    lo, hi = box.ComputeAlignedRange().GetMin(), box.ComputeAlignedRange().GetMax()
    assert np.allclose([lo[0], lo[1], hi[0], hi[1]], [0, 0, width, depth], atol=1e-3)
    north = UsdGeom.Imageable(shell.GetChild("wall_north")).ComputeWorldBound(Usd.TimeCode.Default(), "default")
    assert abs(north.ComputeAlignedRange().GetMax()[2] - height) < 1e-3
    # every tray once, at its midpoint, under its hall
    trays = {p.GetAttribute("twin:tray").Get(): p for p in new.Traverse() if p.HasAttribute("twin:tray")}
    expected = drawable_trays_sql(hall_db)
    assert expected and sorted(trays) == sorted(name for name, _, _ in expected)
    for name, mid, hall in expected:
        assert np.allclose(world_translation(trays[name]), mid, atol=1e-5), name
        assert trays[name].IsInstance() and str(trays[name].GetPath()).startswith("/World/Hall_1/trays/")
    # trays share one mesh per size: fewer tray meshes than trays
    shapes = [p for p in new.GetPrimAtPath("/HallShapes").GetAllChildren() if p.GetName().startswith("cable_tray")]
    assert 1 <= len(shapes) < len(expected)
    # usd-core's own validators pass it; the control: they do flag a stage without its metrics
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    assert not UsdValidation.ValidationContext(validators).Validate(new)
    bare = Usd.Stage.CreateInMemory()
    UsdGeom.Xform.Define(bare, "/World")
    assert UsdValidation.ValidationContext(validators).Validate(bare)


def test_layers_write_one_file_per_hall_and_a_root_that_sublayers_them(tmp_path):
    """two-halls (North, South) with --layers: site.usd sublayers site.North.usd and site.South.usd;
    the composed stage holds every part once (count from SQL), each hall's parts in its own file,
    and nothing else lands in the folder."""
    from tests.test_campus import SPEC
    from twin.specs import build_design

    db = tmp_path / "two-halls.twin.db"
    build_design(SPEC, db)
    out = tmp_path / "out"
    out.mkdir()
    result = twin_cli("export", "usd", db, "-o", out / "site.usd", "--layers", "-q")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["site.North.usd", "site.South.usd", "site.usd"]
    root = Sdf.Layer.FindOrOpen(str(out / "site.usd"))
    assert list(root.subLayerPaths) == ["./site.North.usd", "./site.South.usd"]
    stage = Usd.Stage.Open(str(out / "site.usd"))
    with sqlite3.connect(db) as con:
        per_hall = dict(con.execute("select h.name, count(*) from parts p left join racks r on r.id = p.rack_id "
                                    "join halls h on h.id = coalesce(r.hall_id, (select min(id) from halls)) "
                                    "group by h.name").fetchall())
        n_parts = con.execute("select count(*) from parts").fetchone()[0]
    parts = [p for p in stage.Traverse() if p.HasAttribute("twin:name")]
    assert len(parts) == n_parts
    for hall in ("North", "South"):
        alone = Sdf.Layer.FindOrOpen(str(out / f"site.{hall}.usd"))
        assert alone.GetPrimAtPath(f"/World/{hall}/shell/floor")
        in_file = [p for p in parts if alone.GetPrimAtPath(p.GetPath())]
        assert all(str(p.GetPath()).startswith(f"/World/{hall}/") for p in in_file)
        racked = sum(1 for p in in_file if "/facility/" not in str(p.GetPath()))
        assert racked <= per_hall[hall] and racked > 0
    # a bad hall-layer target fails the whole export and leaves nothing behind
    (out / "again").mkdir()
    (out / "again" / "site.North.usd").mkdir()             # a folder where a hall layer would go
    result = twin_cli("export", "usd", db, "-o", out / "again" / "site.usd", "--layers", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert sorted(p.name for p in (out / "again").iterdir()) == ["site.North.usd"]


def test_layers_to_a_stream_is_one_clear_line(hall_db, tmp_path):
    """--layers writes files beside its output; a stream (a FIFO) has no beside: refused, nothing written."""
    import os

    pipe = tmp_path / "pipe.usd"
    os.mkfifo(pipe)
    result = twin_cli("export", "usd", hall_db, "-o", pipe, "--layers", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--layers" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.usd"]
