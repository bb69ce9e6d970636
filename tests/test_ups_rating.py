"""UPS ratings in kVA with a power factor: real-power capacity = rating_va × power_factor.

docs/schema.md: a part type rated in VA gives `rating_va` and `power_factor`; without a
power factor the build takes 0.9. The pod sample is rebuilt with its UPS type replaced by
one rated 1,250 kVA, once at a power factor of 0.8 and once with none given; the expected
capacities are worked out by hand, and the power check's N+1 figure follows them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from twin.analysis.power import analyse_power
from twin.errors import TwinError
from twin.specs import build_design
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]
UPS = """
[part_types.ups-test]
kind = "ups"
size = [2.8, 1.0, 2.0]
supplier = "eaton-us"
power_nominal_w = 25000
rating_va = 1250000
"""


def pod_with(tmp_path: Path, extra: str) -> Path:
    text = (REPO / "scenes" / "nvl72-pod.toml").read_text().replace('ups = "ups-1250kva"', 'ups = "ups-test"')
    spec = tmp_path / "pod.toml"
    spec.write_text(text + UPS + extra)
    return spec


@pytest.mark.parametrize("extra, factor", [("power_factor = 0.8\n", 0.8), ("", 0.9)])
def test_ups_capacity_is_kva_times_power_factor(tmp_path, extra, factor):
    spec = pod_with(tmp_path, extra)
    out = tmp_path / "pod.twin.db"
    build_design(spec, out)
    with sqlite3.connect(out) as conn:
        row = conn.execute("SELECT rating_va, power_factor, power_capacity_w FROM part_types "
                           "WHERE name = 'ups-test'").fetchone()
        nodes = [r[0] for r in conn.execute("SELECT capacity_w FROM power_nodes WHERE kind = 'ups'")]
    assert row == (1_250_000, factor, pytest.approx(1_250_000 * factor))
    assert nodes == [pytest.approx(1_250_000 * factor)] * 2
    [group] = analyse_power(load_design(out)).groups
    assert group.surviving_w == pytest.approx(1_250_000 * factor)          # one of two UPSs left
    data = json.loads(subprocess.run([sys.executable, "-m", "twin", "check", str(out), "--power", "--json",
                                      "--basis", "max", "--set", "power.warn_utilization=0.1"],
                                     capture_output=True, text=True, cwd=REPO).stdout)
    ups = [f for f in data["findings"] if f["code"] in ("node-high-load", "node-over-capacity")
           and f["subject"].startswith("UPS")]
    assert ups and all(f["limit"] == pytest.approx(1_250 * factor) for f in ups)     # the row's UPS, in kW


def test_a_power_factor_must_be_a_fraction_and_one_rating_given(tmp_path):
    with pytest.raises(TwinError, match=r"part_types\.ups-test\.power_factor.*at most 1"):
        build_design(pod_with(tmp_path, "power_factor = 1.2\n"), tmp_path / "x.twin.db")
    with pytest.raises(TwinError, match=r"part_types\.ups-test\.power_capacity_w.*not both"):
        build_design(pod_with(tmp_path, "power_capacity_w = 1000000\n"), tmp_path / "y.twin.db")
