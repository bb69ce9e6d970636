"""The `[sizing]` rules on an edited copy of the pod sample (two rows, no hand-set counts): the
CRAHs, busway runs, UPS modules, switchboards and trays the generator derives, checked against
the rules with SQL and numpy on the built file, not with twin's own sizing code."""

from __future__ import annotations

import math
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.specs import build_design

REPO = Path(__file__).resolve().parents[1]
SHARE, FILL = 0.8, 0.5


#: (UPS modules per switchboard, mechanical share, hall depth m): the pod's own, and switchboards so
#: tight (0.8 - 0.6 of 3.5 MW: 700 kW of IT each) that they, not the UPS modules, bound the plan
#: (a deeper hall for their longer line-up).
VARIANTS = {"pod": (2, 0.3, 16.0), "tight-boards": (3, 0.6, 40.0)}


def _spec(tmp_path: Path, extra: str = "", variant: str = "pod") -> Path:
    text = (REPO / "scenes" / "nvl72-pod.toml").read_text()
    m, mech, depth = VARIANTS[variant]
    text = text.replace("ups_per_switchboard = 2\n", f"ups_per_switchboard = {m}\nmechanical_share = {mech}\n")
    text = text.replace("size_m = [20.0, 12.0, 4.5]", f"size_m = [24.0, {depth}, 4.5]")
    text = re.sub(r"crah_count = 3.*\n", "", text)
    text = re.sub(r"\[telemetry\]\n(.*\n)*?\n", "", text)               # no readings: a faster build
    text = text.replace("switchboards = 1\n", "")
    text = text.replace("racks = 8\n", "racks = 16\ncdus = 2\nrepeat = [1, 2]\npitch_m = [0.0, 3.0]\n")
    text += "\n[sizing]\ncrahs = true\npower = true\ntrays = true\n" + extra
    path = tmp_path / "pod-sized.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module", params=list(VARIANTS))
def sized(request, tmp_path_factory) -> sqlite3.Connection:
    """The built file of one variant (its name in the connection's `variant` table)."""
    tmp = tmp_path_factory.mktemp("sized")
    out = tmp / "pod-sized.twin.db"
    build_design(_spec(tmp, variant=request.param), out)
    con = sqlite3.connect(":memory:")
    con.execute("attach database ? as d", (str(out),))
    con.execute("create temp table variant (name text)")
    con.execute("insert into variant values (?)", (request.param,))
    return con


def _max_w(con: sqlite3.Connection) -> dict[int, float]:
    """Each part's catalog maximum (nominal where no maximum is given), by part id."""
    return dict(con.execute("select p.id, case when t.power_max_w > 0 then t.power_max_w else t.power_nominal_w end "
                            "from parts p join part_types t on t.id = p.part_type_id"))


def test_crahs_are_n_plus_one_for_the_air_heat_at_maximum(sized) -> None:
    rows = sized.execute("select t.kind, t.cooling_mode, t.liquid_fraction, t.cooling_capacity_w, "
                         "case when t.power_max_w > 0 then t.power_max_w else t.power_nominal_w end "
                         "from parts p join part_types t on t.id = p.part_type_id").fetchall()
    kind = np.array([r[0] for r in rows])
    mode = np.array([r[1] for r in rows])
    frac = np.array([r[2] or 0.0 for r in rows])
    frac = np.where((mode == "liquid") & (frac <= 0), 1.0, np.where(np.isin(mode, ["liquid", "hybrid"]), frac, 0.0))
    power = np.array([r[4] or 0.0 for r in rows])
    crah = kind == "crah"
    air = float((power * (1 - frac))[~crah].sum())
    unit_cap, unit_draw = float(np.array([r[3] for r in rows])[crah][0]), float(power[crah][0])
    n = int(crah.sum())
    # the CRAHs' own fans add heat: n units remove n × cap and make n × draw
    assert n == math.ceil(air / (unit_cap - unit_draw)) + 1
    assert air + n * unit_draw <= (n - 1) * unit_cap                    # N+1 at maximum power


def test_busways_ups_modules_and_switchboards_keep_their_headroom_at_maximum(sized) -> None:
    peak = _max_w(sized)
    nodes = {r[0]: r[1:] for r in sized.execute("select id, name, kind, parent_id, capacity_w, redundancy_group "
                                                "from power_nodes")}
    # every rack hangs on the busway that feeds its busway tap; its load is its parts at maximum
    tap_feed = dict(sized.execute("select p.rack_id, p.power_node_id from parts p join part_types t "
                                  "on t.id = p.part_type_id where t.kind = 'busway'"))
    rack_w: dict[int, float] = {}
    for part, rack in sized.execute("select id, rack_id from parts where rack_id is not null"):
        rack_w[rack] = rack_w.get(rack, 0.0) + peak[part]
    busway_w: dict[int, float] = {}
    for rack, busway in tap_feed.items():
        busway_w[busway] = busway_w.get(busway, 0.0) + rack_w[rack]
    assert len(busway_w) > 2                                          # two rows, cut into several runs
    ups_w: dict[int, float] = {}
    for busway, w in busway_w.items():
        assert w <= SHARE * nodes[busway][3]
        ups = nodes[busway][2]
        ups_w[ups] = ups_w.get(ups, 0.0) + w
    groups: dict[str, list[int]] = {}
    for nid, (_, kind, _, _, group) in nodes.items():
        if kind == "ups":
            groups.setdefault(group, []).append(nid)
    assert len(groups) > 1                                            # more switchboards than the spec's default 1
    mech_share = VARIANTS[sized.execute("select name from variant").fetchone()[0]][1]
    for members in groups.values():
        m, cap = len(members), nodes[members[0]][3]
        load = sum(ups_w.get(u, 0.0) for u in members)
        assert load <= SHARE * (m - 1) * cap                          # N+1 with headroom
        assert all(ups_w.get(u, 0.0) <= SHARE * cap * (m - 1) / m for u in members)
        board = nodes[nodes[members[0]][2]]
        assert load + mech_share * board[3] <= SHARE * board[3] + 1e-6


def test_trays_hold_their_routed_cables_at_half_fill(sized) -> None:
    capacity = dict(sized.execute("select id, capacity from cable_trays"))
    count = dict.fromkeys(capacity, 0)
    for route, n in sized.execute("select route, count(*) from cables where route != '' group by route"):
        for t in set(route.split()):
            count[int(t)] += n
    assert sum(count.values()) > 0
    assert all(count[t] <= FILL * capacity[t] for t in capacity)
    # the narrowest that does: at the next narrower standard width the fill would be above half
    for t, width, height in sized.execute("select id, width_m, height_m from cable_trays"):
        per_m2 = capacity[t] / (width * height)
        narrower = [w for w in (0.3, 0.45, 0.6, 0.75, 0.9) if w < width - 1e-9]
        if narrower and count[t]:
            assert count[t] > FILL * per_m2 * narrower[-1] * height


def test_crahs_that_do_not_fit_along_the_walls_are_refused(tmp_path) -> None:
    with pytest.raises(TwinError) as err:
        # a dozen spares: seven 2.5 m CRAHs a side along 16 m walls
        build_design(_spec(tmp_path, "crah_spare = 12\n"), tmp_path / "x.twin.db")
    assert "do not fit along the 16 m side walls" in str(err.value) and err.value.where == "hall.crah_count"
    assert not (tmp_path / "x.twin.db").exists()
