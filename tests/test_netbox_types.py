"""NetBox device-type library → twin catalog, on the real library subset in ../shared/data."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from twin.importers.netbox_library import load_device_type_library, write_catalog_toml
from twin.importers.netbox_types import EIA_U_M, SEAM_M
from twin.specs import build_design

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def library(shared_data: Path) -> Path:
    return shared_data / "netbox-devicetypes"


@pytest.fixture(scope="module")
def catalog(library: Path):
    return load_device_type_library(library)


def _copy_library(library: Path, tmp_path: Path, files: list[str]) -> Path:
    """A small library: the real schemas plus the named device-type files (editable copies)."""
    root = tmp_path / "lib"
    shutil.copytree(library / "schema", root / "schema")
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library / rel, root / rel)
    return root


def test_every_device_type_imports_or_fails_naming_file_and_field(library: Path, catalog) -> None:
    files = [p for p in library.rglob("*") if p.suffix in (".yaml", ".yml") and "device-types" in p.parts]
    counts = catalog.report.counts
    assert len(files) == 71
    assert counts["device types"] == 69 and counts["rack types"] == 1 and counts["module types"] == 5
    assert counts["failed"] == 2
    failures = {i.where: i.message for i in catalog.report.issues if i.code == "schema"}
    a100 = str(library / "upstream-latest/device-types/Nvidia/DGC-A100.yaml")
    cdu = str(library / "upstream-latest/device-types/Supermicro/LCS-SCDU-250L4001.yml")
    assert failures[f"{a100}: console-ports[3].type"].startswith("'1000base-t' is not one of")
    assert failures[f"{cdu}: is_full_depth"] == "missing required field"
    imported = set(catalog.sources.values())
    assert all(str(f) in imported or str(f) in (a100, cdu) for f in files)


def test_units_heights_and_power_map(catalog) -> None:
    types = catalog.part_types
    mx7000 = types["dell-poweredge-mx7000"]                       # u_height: 7.0
    assert mx7000["u_height"] == 7 and mx7000["size"][2] == pytest.approx(7 * EIA_U_M - SEAM_M, abs=1e-4)
    assert catalog.report.defaulted["u_height written as a decimal (7.0) read as whole U"] >= 1
    assert types["apc-ap8841"]["mass_kg"] == pytest.approx(15.08 * 0.45359237, abs=1e-3)   # pounds
    assert types["apc-ap8841"]["u_height"] == 0 and types["apc-ap8841"]["kind"] == "pdu"
    q3400 = types["nvidia-q3400-ra"]
    assert q3400["power_max_w"] == 8 * 875 and q3400["kind"] == "network_switch"
    kinds = Counter(p["kind"] for p in q3400["ports"])
    assert kinds["osfp-ib-800g"] == 145 and kinds["c20"] == 8 and kinds["console-rj45"] == 1
    assert Counter(p["kind"] for p in types["arista-dcs-7060x6-64pe"]["ports"])["osfp-800g"] == 64
    assert types["nvidia-nvlink-5-switch"]["kind"] == "switch_tray"
    assert types["nvidia-nvlink-5-switch"]["power_nominal_w"] == 0
    assert types["supermicro-ars-121gl-nb3-lcc-r1"]["cooling_mode"] == "hybrid"
    assert types["apc-ar3100"]["kind"] == "rack" and types["apc-ar3100"]["size"] == [0.6, 1.07, 1.991]
    assert types["cisco-n9k-c93600cd-gx"]["front_image"].endswith("cisco-n9k-c93600cd-gx.front.png")


def test_real_quirks_are_reported(library: Path, catalog) -> None:
    issues = {(i.code, i.where): i.message for i in catalog.report.issues}
    qm = str(library / "upstream-latest/device-types/Nvidia/QM9700.yaml")
    assert "62 of 64" in issues[("numbering-gap", f"{qm}: interfaces")]
    assert "P22.1, P23.0" in issues[("numbering-gap", f"{qm}: interfaces")]
    assert len([p for p in catalog.part_types["nvidia-qm9700"]["ports"] if p["kind"] == "osfp-400g"]) == 62
    unpowered = [w for (code, w) in issues if code == "unpowered"]
    assert any("NVLink-5-Switch" in w for w in unpowered) and any("ARS-121GL" in w for w in unpowered)


def test_duplicate_console_port_name_is_renamed_with_a_warning(library: Path, tmp_path: Path) -> None:
    rel = "upstream-latest/device-types/Nvidia/DGC-A100.yaml"
    root = _copy_library(library, tmp_path, [rel])
    path = root / rel
    path.write_text(path.read_text().replace("  - name: Rear IPMI\n    type: 1000base-t", "  - name: Rear IPMI\n"
                                             "    type: rj-45"), encoding="utf-8")      # its schema failure fixed
    catalog = load_device_type_library(root)
    assert catalog.report.counts["device types"] == 1
    dup = [i for i in catalog.report.issues if i.code == "duplicate-name"]
    assert len(dup) == 1 and "'Rear VGA'" in dup[0].message and "console-ports[" in dup[0].where
    names = [p["name"] for p in catalog.part_types["nvidia-dgx-a100-640gb"]["ports"]]
    assert "Rear VGA" in names and "Rear VGA (2)" in names


def test_half_u_and_bad_yaml(library: Path, tmp_path: Path) -> None:
    root = _copy_library(library, tmp_path, [])
    (root / "device-types/Acme").mkdir(parents=True)
    (root / "device-types/Acme/half.yaml").write_text(
        "manufacturer: Acme\nmodel: Half\nslug: acme-half\nu_height: 0.5\nis_full_depth: false\n"
        "weight: 12\nweight_unit: oz\ninterfaces:\n  - name: e0\n    type: sonet-oc3\n", encoding="utf-8")
    (root / "device-types/Acme/broken.yaml").write_text("manufacturer: [unclosed\n", encoding="utf-8")
    catalog = load_device_type_library(root)
    half = catalog.part_types["acme-half"]
    assert half["u_height"] == 1 and half["size"][2] == pytest.approx(0.5 * EIA_U_M - SEAM_M, abs=1e-4)
    assert half["mass_kg"] == pytest.approx(12 * 0.028349523125, abs=1e-3)
    codes = {i.code: i for i in catalog.report.issues}
    assert "half-u" in codes and "u_height" in codes["half-u"].where
    assert "interface-type" not in codes and half["ports"][0]["kind"] == "sonet"      # a known family now
    assert codes["yaml"].where.startswith(str(root / "device-types/Acme/broken.yaml"))


def test_catalog_toml_feeds_a_spec(catalog, tmp_path: Path) -> None:
    """`[catalog] netbox_device_types` names the imported catalog; its part types reach the design file."""
    toml_path = write_catalog_toml(catalog, tmp_path / "netbox.toml")
    assert len(tomllib.loads(toml_path.read_text())["part_types"]) == 70
    spec = (REPO / "scenes" / "nvl72-pod.toml").read_text(encoding="utf-8")
    spec = spec.replace('ups = "ups-1250kva"', 'ups = "apc-surt20krmxlt"')
    assert 'ups = "apc-surt20krmxlt"' in spec
    spec += '\n[catalog]\nnetbox_device_types = "netbox.toml"\n'
    (tmp_path / "pod.toml").write_text(spec, encoding="utf-8")
    build_design(tmp_path / "pod.toml", tmp_path / "pod.twin.db")
    with sqlite3.connect(tmp_path / "pod.twin.db") as conn:
        row = conn.execute("select vendor, kind, u_height from part_types where name = 'apc-surt20krmxlt'").fetchone()
        placed = conn.execute("select count(*) from parts p join part_types t on t.id = p.part_type_id "
                              "where t.name = 'apc-surt20krmxlt'").fetchone()[0]
    assert row == ("APC", "ups", 12) and placed == 2


def test_cli_import_device_types(library: Path, tmp_path: Path) -> None:
    out = tmp_path / "cat.toml"
    result = subprocess.run([sys.executable, "-m", "twin", "import", "device-types", str(library), "-o", str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "69 device types, 1 rack types" in result.stdout and "2 files failed" in result.stdout
    assert "LCS-SCDU-250L4001.yml: is_full_depth: missing required field" in result.stderr
    assert out.is_file()


def test_spec_catalog_folder_and_missing_path(library: Path, tmp_path: Path) -> None:
    from twin.errors import TwinError
    from twin.specs.spec import load_spec

    spec = (REPO / "scenes" / "nvl72-pod.toml").read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(spec + f'\n[catalog]\nnetbox_device_types = "{library}"\n', encoding="utf-8")
    loaded = load_spec(tmp_path / "a.toml")
    assert loaded["part_types"]["nvidia-qm9700"]["vendor"] == "Nvidia"
    assert "gb200-compute-tray" in loaded["part_types"]                   # the built-in catalog stays underneath
    (tmp_path / "b.toml").write_text(spec + '\n[catalog]\nnetbox_device_types = "nowhere"\n', encoding="utf-8")
    with pytest.raises(TwinError) as err:
        load_spec(tmp_path / "b.toml")
    assert "catalog.netbox_device_types" in str(err.value) and "nowhere" in str(err.value)
