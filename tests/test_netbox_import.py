"""NetBox demo dump (real, ../shared/data/netbox-demo) → twin design files, and its bad-input cases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from twin.export.image import render_design
from twin.importers.netbox_site import import_netbox_dump
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]


def twin(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def dump(shared_data: Path) -> Path:
    return shared_data / "netbox-demo" / "netbox-demo-v3.6.json"


@pytest.fixture(scope="module")
def everything(dump: Path, tmp_path_factory: pytest.TempPathFactory):
    return import_netbox_dump(dump, tmp_path_factory.mktemp("nb") / "demo.twin.db")


@pytest.fixture(scope="module")
def mdf(dump: Path, tmp_path_factory: pytest.TempPathFactory):
    return import_netbox_dump(dump, tmp_path_factory.mktemp("nb") / "mdf.twin.db", site="ncsu-065")


def _rows(path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def _circuit_ends(dump: Path) -> dict[int, tuple[str, int]]:
    """dcim.cable pk -> (circuit ID, site pk) for every cable ending at a circuit termination, from the JSON."""
    objs = json.loads(dump.read_text())
    cids = {o["pk"]: o["fields"]["cid"] for o in objs if o["model"] == "circuits.circuit"}
    cts = {o["pk"]: o["fields"] for o in objs if o["model"] == "circuits.circuittermination"}
    return {o["fields"]["cable"]: (cids[cts[o["fields"]["termination_id"]]["circuit"]],
                                   cts[o["fields"]["termination_id"]]["site"])
            for o in objs if o["model"] == "dcim.cabletermination"
            and o["fields"]["termination_type"] == ["circuits", "circuittermination"]}


def _to_carrier(dump: Path, slug: str) -> int:
    """Cables from the site `slug` to a carrier's circuit termination there."""
    site = next(o["pk"] for o in json.loads(dump.read_text()) if o["model"] == "dcim.site" and o["fields"]["slug"] == slug)
    return sum(s == site for _, s in _circuit_ends(dump).values())


def test_whole_dump_counts(everything, dump: Path) -> None:
    c = everything.counts
    demarcs = len(set(_circuit_ends(dump).values()))          # one demarc part per circuit and site
    assert len(_circuit_ends(dump)) == 32 and demarcs > 0
    assert (c["halls"], c["racks"], c["parts"], c["cables"]) == (17, 42, 42 + 72 + demarcs, 108)
    assert c["power_nodes"] == 4 + 48 + 13           # panels, feeds, the closets' PDUs
    assert not [i for i in everything.report.issues if i.code.startswith("cable")]
    design = load_design(everything.path)
    assert design.warnings == []
    assert sorted(set(design.cable_kind())) == ["fiber", "power", "smf", "utp"]     # carriers hand over on SMF


def test_circuit_cables_end_at_a_demarc_part_named_by_the_circuit_id(everything, dump: Path) -> None:
    rows = _rows(everything.path, """select c.name, pd.name, d.name, t.kind, pd.rack_id, h.name, pd.x - h.origin_x_m,
        pd.y - h.origin_y_m, h.width_m, h.depth_m from cables c
        join ports a on a.id = c.a_port_id join ports b on b.id = c.b_port_id
        join ports d on d.id = case when a.kind = 'circuit-termination' then a.id else b.id end
        join parts pd on pd.id = d.part_id join part_types t on t.id = pd.part_type_id
        join parts po on po.id = case when a.kind = 'circuit-termination' then b.part_id else a.part_id end
        join racks r on r.id = po.rack_id join halls h on h.id = r.hall_id
        where a.kind = 'circuit-termination' or b.kind = 'circuit-termination'""")
    ends = _circuit_ends(dump)
    assert len(rows) == len(ends) == 32
    sites = {o["pk"]: o["fields"]["name"] for o in json.loads(dump.read_text()) if o["model"] == "dcim.site"}
    for cable, demarc, port, kind, rack, hall, x, y, width, depth in rows:
        cid, site = ends[int(cable[2:])]
        assert (demarc, kind, rack, hall) == (cid, "demarc", None, sites[site]), cable    # site level, in its hall
        assert 0 < x < width and 0 < y < depth and port.startswith("term ")


def test_named_rack_devices_at_their_u(mdf) -> None:
    rows = _rows(mdf.path, "select p.name, p.u_position, p.z, p.yaw_deg, r.yaw_deg from parts p "
                           "join racks r on r.id = p.rack_id where r.name = ? and p.parent_id is not null "
                           "order by p.u_position", "R105")
    assert [(n, u) for n, u, *_ in rows] == [("QFX5100-48T-6Q #99", 25), ("QFX5100-48T-6Q #98", 26)]
    assert rows[1][2] - rows[0][2] == pytest.approx(0.04445)            # one EIA U apart
    assert all((dev - rack) % 360 == 180 for *_, dev, rack in rows)     # face: rear
    core = _rows(mdf.path, "select p.u_position, t.u_height, t.kind from parts p join racks r on r.id = p.rack_id "
                           "join part_types t on t.id = p.part_type_id where p.name = 'ncsu-coreswitch1'")
    assert core == [(6, 16, "network_switch")] and _rows(mdf.path, "select row from racks where name = 'R103'") == [("1",)]


def test_cable_two_ends(mdf) -> None:
    """dcim.cable 104: ncsu-coreswitch1 interface 1018 ↔ PP:B117 front port 1297."""
    rows = _rows(mdf.path, """select c.kind, pa.name, a.name, pb.name, b.name, c.length_m from cables c
        join ports a on a.id = c.a_port_id join parts pa on pa.id = a.part_id
        join ports b on b.id = c.b_port_id join parts pb on pb.id = b.part_id where c.name = 'NB000104'""")
    assert len(rows) == 1
    kind, a_part, a_port, b_part, b_port, length = rows[0]
    assert (a_part, b_part, kind) == ("ncsu-coreswitch1", "PP:B117", "fiber")
    assert (a_port, b_port) == ("xe-0/0/0", "Port 1")
    assert length >= 2.0                                                 # R103 to the Plant 1 frame


def test_power_feed_chain(mdf, everything) -> None:
    """ncsu-coreswitch1 in R103 ← feed P1-3A ← Panel 1; the rack's budget is its primary feed."""
    chain = _rows(mdf.path, """select n.name, n.kind, n.capacity_w, up.name, up.kind from parts p
        join power_nodes n on n.id = p.power_node_id join power_nodes up on up.id = n.parent_id
        where p.name = 'ncsu-coreswitch1'""")
    assert chain == [("P1-3A", "feed", 3520.0, "Panel 1", "panel")]
    assert _rows(mdf.path, "select power_budget_w from racks where name = 'R103'") == [(3520.0,)]
    assert _rows(mdf.path, "select redundancy_group from power_nodes where name = 'P2-3B'") == [("R103 feeds",)]
    # a closet router is fed through its PDU's outlet (a power cable in NetBox)
    closet = _rows(everything.path, """select n.name, n.kind, n.part_id is not null from parts p
        join power_nodes n on n.id = p.power_node_id where p.name = 'dmi01-akron-rtr01'""")
    assert closet == [("dmi01-akron-pdu01", "pdu", 1)]


def test_cli_info_check_and_image(mdf, dump: Path, tmp_path: Path) -> None:
    info = twin("info", mdf.path, "--json")
    assert info.returncode == 0, info.stderr
    summary = json.loads(info.stdout)
    to_carrier = _to_carrier(dump, "ncsu-065")
    assert to_carrier > 0
    assert summary["racks"] == 26 and summary["cables"] == 12 + to_carrier and summary["power_nodes"] == 52
    assert summary["parts_per_kind"]["network_switch"] == 10 and summary["it_power_kw"] > 0
    check = twin("check", mdf.path)
    assert check.returncode == 0, check.stderr
    image, _ = render_design(load_design(mdf.path), view="top", size=(480, 270))
    dark = (image[..., :3].astype(int).sum(axis=2) < 200).mean()
    assert 0.02 < dark < 0.6                                # racks drawn, not an empty floor nor a blot


# ----------------------------------------------------------------------------- bad input

def _edited(dump: Path, tmp_path: Path, edit) -> Path:
    objects = json.loads(dump.read_text(encoding="utf-8"))
    by = {(o.get("model"), o.get("pk")): o for o in objects}
    edit(by)
    out = tmp_path / "edited.json"
    out.write_text(json.dumps(objects), encoding="utf-8")
    return out


def test_bad_objects_become_warnings_naming_them(dump: Path, tmp_path: Path) -> None:
    def edit(by):
        by[("dcim.cabletermination", 169)]["fields"]["termination_id"] = 999999     # cable 104's A end
        by[("dcim.device", 97)]["fields"]["position"] = None                       # coreswitch2, no U
        by[("dcim.device", 99)]["fields"]["position"] = "26.0"                     # onto #98 in R105
        by[("dcim.interface", 1019)]["fields"]["type"] = "3200gbase-x-future"
    edited = _edited(dump, tmp_path, edit)
    assert json.loads(edited.read_text())       # still JSON
    result = twin("import", "netbox", edited, "-o", tmp_path / "bad.twin.db", "--site", "ncsu-065")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    assert "dcim.cable pk 104: end A points at dcim.interface pk 999999, which is not in the dump; cable skipped" in err
    assert "dcim.device pk 97 'ncsu-coreswitch2': in rack R104 with no U position; placed on the floor" in err
    assert "dcim.device pk 99: U26 in R105 is already taken by dcim.device pk 98" in err
    assert "unknown interface type '3200gbase-x-future'" in err and "dcim.device pk 96 'ncsu-coreswitch1'" in err
    cables = _rows(tmp_path / "bad.twin.db", "select count(*) from cables")[0][0]
    assert cables == 12 + _to_carrier(dump, "ncsu-065") - 1


def test_unusable_files_exit_1(dump: Path, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("this is not json", encoding="utf-8")
    result = twin("import", "netbox", tmp_path / "x.json", "-o", tmp_path / "x.twin.db")
    assert result.returncode == 1 and "not valid JSON" in result.stderr and "nothing usable" in result.stderr
    assert not (tmp_path / "x.twin.db").exists()


def test_truncated_dump_keeps_what_came_before_the_break(dump: Path, tmp_path: Path) -> None:
    objects = json.loads(dump.read_text(encoding="utf-8"))
    first = ("dcim.site", "dcim.location", "dcim.rack", "dcim.manufacturer", "dcim.devicetype", "dcim.device")
    objects.sort(key=lambda o: first.index(o["model"]) if o["model"] in first else len(first))
    text = json.dumps(objects, indent=1)
    cut = text.index('"model": "dcim.interface"') + 400
    (tmp_path / "cut.json").write_text(text[:cut], encoding="utf-8")
    result = twin("import", "netbox", tmp_path / "cut.json", "-o", tmp_path / "cut.twin.db", "--site", "ncsu-065")
    assert result.returncode == 0, result.stderr
    assert "not valid JSON" in result.stderr and "whole objects before it" in result.stderr
    assert _rows(tmp_path / "cut.twin.db", "select count(*) from racks")[0][0] == 26


def test_unknown_site_is_one_clear_error(dump: Path, tmp_path: Path) -> None:
    result = twin("import", "netbox", dump, "-o", tmp_path / "s.twin.db", "--site", "atlantis")
    assert result.returncode == 1 and "--site: no site with slug 'atlantis'" in result.stderr
    assert "ncsu-065" in result.stderr and "Traceback" not in result.stderr


def test_feed_cabled_to_a_power_port_feeds_that_device(dump: Path, tmp_path: Path) -> None:
    """A cable from power feed P2-3B to ncsu-coreswitch1's PSU0 makes that feed its source (not a drawn cable)."""
    objects = json.loads(dump.read_text(encoding="utf-8"))
    objects += [{"model": "dcim.cable", "pk": 9001, "fields": {"type": "power", "label": "", "length": None}},
                {"model": "dcim.cabletermination", "pk": 9001, "fields": {
                    "cable": 9001, "cable_end": "A", "termination_type": ["dcim", "powerfeed"], "termination_id": 6}},
                {"model": "dcim.cabletermination", "pk": 9002, "fields": {
                    "cable": 9001, "cable_end": "B", "termination_type": ["dcim", "powerport"], "termination_id": 52}}]
    (tmp_path / "fed.json").write_text(json.dumps(objects), encoding="utf-8")
    summary = import_netbox_dump(tmp_path / "fed.json", tmp_path / "fed.twin.db", site="ncsu-065")
    chain = _rows(summary.path, """select n.name, up.name from parts p join power_nodes n on n.id = p.power_node_id
        join power_nodes up on up.id = n.parent_id where p.name = 'ncsu-coreswitch1'""")
    assert chain == [("P2-3B", "Panel 2")]
    assert summary.counts["cables"] == 12 + _to_carrier(dump, "ncsu-065")   # the feed cable is a power-chain link
    assert summary.report.defaulted["power feed cable kept as a power-chain link, not drawn"] == 1


def test_half_u_position_top_overflow_and_pre_3_3_cable_ends(dump: Path, tmp_path: Path) -> None:
    """A device at U30.5 sits half a U up; one past the top is kept with a warning; cables written the
    pre-3.3 way (ends on the cable, content types by id) still join their ports."""
    objects = json.loads(dump.read_text(encoding="utf-8"))
    by = {(o.get("model"), o.get("pk")): o for o in objects}
    by[("dcim.device", 98)]["fields"]["position"] = "30.5"
    by[("dcim.device", 100)]["fields"]["position"] = "48.0"              # 1 U switch at U48 of 48: fits
    by[("dcim.device", 101)]["fields"]["position"] = "49.0"              # past the top
    ends = {}
    for o in objects:
        if o["model"] == "dcim.cabletermination":
            f = o["fields"]
            ends[(f["cable"], f["cable_end"])] = f
    types = {("dcim", "interface"): 501, ("dcim", "frontport"): 502}
    for o in objects:
        if o["model"] == "dcim.cable" and (o["pk"], "A") in ends:
            for end in ("A", "B"):
                f = ends[(o["pk"], end)]
                o["fields"][f"termination_{end.lower()}_type"] = types.get(tuple(f["termination_type"]), 599)
                o["fields"][f"termination_{end.lower()}_id"] = f["termination_id"]
    objects = [o for o in objects if o["model"] != "dcim.cabletermination"]
    objects += [{"model": "contenttypes.contenttype", "pk": pk, "fields": {"app_label": a, "model": m}}
                for (a, m), pk in types.items()]
    (tmp_path / "old.json").write_text(json.dumps(objects), encoding="utf-8")
    summary = import_netbox_dump(tmp_path / "old.json", tmp_path / "old.twin.db", site="ncsu-065")
    row = _rows(summary.path, "select u_position, z from parts where name = 'QFX5100-48T-6Q #98'")
    assert row == [(30, pytest.approx(0.10 + 29.5 * 0.04445))]
    above = [i for i in summary.report.issues if i.code == "above-rack"]
    assert [i.where for i in above] == ["dcim.device pk 101"] and "R106" in above[0].message
    assert summary.counts["cables"] == 12                                 # the MDF's interface ↔ panel cables


def test_rack_size_from_its_form_factor_is_counted_once_per_rack(everything, dump: Path) -> None:
    racks = [o["fields"] for o in json.loads(dump.read_text()) if o["model"] == "dcim.rack"]
    expected: dict[str, int] = {}
    for r in racks:
        if not r.get("outer_width") or not r.get("outer_depth"):
            key = f"rack outer size from its form factor ({r.get('type') or '4-post-cabinet'})"
            expected[key] = expected.get(key, 0) + 1
    got = {k: n for k, n in everything.report.defaulted.items() if k.startswith("rack outer size")}
    assert sum(expected.values()) == 42 and got == expected
