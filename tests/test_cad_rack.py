"""`twin import cad RACK.step --as rack-type NAME`: slots and U positions proposed from a CAD rack assembly.

The assemblies are written here (tests/step_fixture.py) in millimetres, so every expected U,
size and reason below is worked out by hand from the numbers in the fixture.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from step_fixture import write_box_assembly
from twin.geometry import clear_mesh_cache

REPO = Path(__file__).resolve().parents[1]
E, OU = 44.45, 48.0


def twin(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(autouse=True)
def _fresh():
    clear_mesh_cache()


def _layout_units(doc: dict, name: str) -> dict[str, tuple[int, int]]:
    """Walk a template's layout as twin stacks it (from U1 up): model name -> (first U, U height)."""
    out, u = {}, 1
    for slot in doc["rack_templates"][name]["layout"]:
        pt = doc["part_types"][slot["type"]]
        for _ in range(slot["count"]):
            if pt["kind"] != "blanking_panel":
                out.setdefault(pt["model"], []).append((u, pt["u_height"]))
            u += pt["u_height"]
    return out


def test_an_eia_rack_assembly_becomes_a_rack_type_with_slots(tmp_path: Path) -> None:
    # posts stand on the floor, the rails on a 100 mm plinth up to 2000 mm: (2000 - 100) / 44.45 = 42.7 -> 42 U
    children = [("post-left", (0, 0, 0), (20, 1000, 2100)), ("rail-left", (20, 0, 100), (10, 1000, 1900)),
                ("post-right", (580, 0, 0), (20, 1000, 2100)),
                ("server-1", (20, 30, 100), (560, 900, 43.66)),                  # U1
                ("server-2", (20, 30, 100 + E), (560, 900, 43.66)),              # U2
                ("switch-asm", (20, 30, 100 + 4 * E), [("chassis", (0, 0, 0), (560, 600, 40)),
                                                       ("lid", (0, 0, 40), (560, 600, 3.9))]),   # U5, 43.9 mm
                ("odd-box", (20, 30, 100 + 10 * E), (560, 900, 60)),            # 60 mm: not whole units
                ("skewed", (20, 30, 100 + 12 * E + 7), (560, 900, 43.66)),     # 7 mm off the grid
                ("twin-of-server-2", (20, 30, 100 + E), (560, 900, 43.66)),    # U2 again
                ("screw", (5, 5, 500), (5, 5, 8)),
                ("power-shelf", (20, 30, 100 + 20 * E), (560, 900, 88.0))]     # U21-U22
    step = write_box_assembly(tmp_path / "rack.step", "RACK-42U", children)
    out = tmp_path / "rack.toml"
    run = twin("import", "cad", step, "--as", "rack-type", "lab-rack", "-o", out)
    assert run.returncode == 0, run.stderr
    doc = tomllib.loads(out.read_text())
    frame = doc["part_types"]["lab-rack"]
    assert frame["kind"] == "rack" and frame["u_pitch_m"] == 0.04445
    assert frame["size"] == pytest.approx([0.600, 1.000, 2.100], abs=1e-4)
    assert "42 units from z = 0.1000 m" in out.read_text()
    # the two servers are alike, so they share one part type (named after the first)
    assert _layout_units(doc, "lab-rack") == {"server-1": [(1, 1), (2, 1)], "switch-asm": [(5, 1)],
                                              "power-shelf": [(21, 2)]}
    assert "# U2 server-2" in out.read_text()
    kinds = {pt["model"]: pt["kind"] for pt in doc["part_types"].values()}
    assert kinds["server-1"] == "compute_tray" and kinds["power-shelf"] == "power_shelf"
    assert doc["part_types"]["lab-rack-switch-asm"]["size"] == pytest.approx([0.560, 0.600, 0.0439], abs=1e-4)
    warnings = sorted(ln for ln in run.stderr.splitlines() if ln.startswith("twin: warning:"))
    assert len(warnings) == 4
    said = " | ".join(warnings)
    assert "odd-box: not placed: 60.0 mm high is not a whole number of EIA-310 Us" in said
    assert "skewed: not placed: its bottom at 640.4 mm is 7.0 mm off the EIA-310 U grid" in said
    assert "twin-of-server-2: not placed: U2–U2 overlaps server-2" in said
    assert "screw: not placed: 8.0 mm high" in said


def test_an_open_rack_assembly_takes_the_ou_pitch(tmp_path: Path) -> None:
    children = [("frame", (0, 0, 0), (600, 1068, 2236)),
                ("power-shelf", (24, 0, 200), (552, 800, 2 * OU)),               # OU1-OU2 from z = 200 mm
                ("compute-tray-1", (24, 0, 200 + 2 * OU), (552, 800, OU - 0.6)),  # OU3
                ("compute-tray-2", (24, 0, 200 + 3 * OU), (552, 800, OU - 0.6))]  # OU4
    step = write_box_assembly(tmp_path / "orv3.stp", "ORV3", children)
    out = tmp_path / "orv3.toml"
    run = twin("import", "cad", step, "--as", "rack-type", "orv3", "-o", out)
    assert run.returncode == 0, run.stderr
    doc = tomllib.loads(out.read_text())
    assert doc["part_types"]["orv3"]["u_pitch_m"] == 0.048
    # one frame member standing on the floor: the grid through the trays (200 mm = 8 mm + 4 x 48 mm) is
    # counted from its lowest unit in the frame, 8 mm up, so the shelf is OU5; (2236 - 8) / 48 = 46.4 -> 46 OU
    assert _layout_units(doc, "orv3") == {"power-shelf": [(5, 2)], "compute-tray-1": [(7, 1), (8, 1)]}
    assert "46 units from z = 0.0080 m" in out.read_text()


def test_a_broken_step_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.step"
    bad.write_text("ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\n", encoding="ascii")       # cut off
    run = twin("import", "cad", bad, "--as", "rack-type", "x", "-o", tmp_path / "x.toml")
    assert run.returncode == 1 and run.stderr.strip() == f"twin: error: {bad}: truncated STEP file (no " \
                                                         "END-ISO-10303-21; at its end)"
    assert not (tmp_path / "x.toml").exists()
    run = twin("import", "cad", bad, "--as", "shelf", "x", "-o", tmp_path / "x.toml")
    assert run.returncode == 1 and "--as rack-type NAME" in run.stderr


def test_a_single_part_smaller_than_a_unit_is_not_a_rack(shared_data: Path, tmp_path: Path) -> None:
    step = shared_data / "step" / "featuretype.STEP"                     # a 1.375 in (34.9 mm) high part
    run = twin("import", "cad", step, "--as", "rack-type", "x", "-o", tmp_path / "x.toml")
    assert run.returncode == 1 and "not a rack: the assembly is 34.9 mm high, less than one EIA-310 U" in run.stderr
    assert not (tmp_path / "x.toml").exists()
    assert not (step.parent / ".twin-cache").exists()              # nothing written beside the input
    assert list((tmp_path / ".twin-cache" / "step").glob("*.npz"))  # the tessellation is kept beside the output
