"""NetBox interface types → port kinds (every type of the library's schema), kind inference, library folders.

The schema's enum is read from the real library snapshot in ../shared/data; expected rates are
worked out here from the type names (32gfc = 32 Gb/s Fibre Channel, OC-n = n × 51.84 Mb/s).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from twin.importers.netbox_library import load_device_type_library, write_catalog_toml
from twin.importers.netbox_types import infer_kind
from twin.importers.port_kinds import VIRTUAL_INTERFACES, interface_kind

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def library(shared_data: Path) -> Path:
    return shared_data / "netbox-devicetypes"


def _interface_enum(library: Path) -> list[str]:
    """The interface `type` enum, found by following components.json's $ref into the schema files."""
    schemas = {json.loads(p.read_text())["$id"]: json.loads(p.read_text()) for p in (library / "schema").glob("*.json")}
    ref = schemas["urn:devicetype-library:components"]["definitions"]["interface"]["properties"]["type"]["$ref"]
    doc_id, pointer = ref.split("#")
    node = schemas[doc_id]
    for key in pointer.strip("/").split("/"):
        node = node[key]
    return list(node["enum"])


def test_every_interface_type_of_the_schema_has_a_port_kind(library: Path) -> None:
    enum = _interface_enum(library)
    assert len(enum) >= 130
    missing = [t for t in enum if t not in VIRTUAL_INTERFACES and interface_kind(t) is None]
    assert missing == []
    for t in enum:
        if t in VIRTUAL_INTERFACES:
            continue
        kind, rate = interface_kind(t)
        assert kind and rate >= 0.0, t


def test_one_kind_per_family_with_the_rate_from_the_name(library: Path) -> None:
    enum = _interface_enum(library)
    fc = [t for t in enum if re.match(r"^\d+gfc-", t)]
    pon = [t for t in enum if t.endswith("pon")]
    sonet = [t for t in enum if t.startswith("sonet-oc")]
    assert len(fc) >= 10 and len(pon) >= 8 and len(sonet) >= 7 and "other" in enum
    assert {interface_kind(t)[0] for t in fc} == {"fibre-channel"}
    assert all(interface_kind(t)[1] == float(t.split("gfc")[0]) for t in fc)
    assert {interface_kind(t)[0] for t in pon} == {"pon"}
    assert interface_kind("gpon")[1] == pytest.approx(2.488) and interface_kind("xgs-pon")[1] == 10.0
    assert {interface_kind(t)[0] for t in sonet} == {"sonet"}
    assert all(interface_kind(t)[1] == pytest.approx(int(t[8:]) * 0.05184) for t in sonet)
    assert interface_kind("other") == ("generic", 0.0)


def _lib(library: Path, tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    shutil.copytree(library / "schema", root / "schema")
    return root


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _interfaces(rows: list[tuple[str, str]], mgmt: tuple[str, ...] = ()) -> str:
    return "interfaces:\n" + "".join(f"  - name: '{n}'\n    type: {t}\n" + ("    mgmt_only: true\n" if n in mgmt else "")
                                     for n, t in rows)


def test_a_device_type_with_every_schema_interface_type_imports_without_warnings(library: Path,
                                                                                  tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    enum = [t for t in _interface_enum(library) if t not in VIRTUAL_INTERFACES]
    _write(root, "device-types/Acme/all.yaml", "manufacturer: Acme\nmodel: All Ports\nslug: acme-all\nu_height: 2\nis_full_depth: true\n"
           + _interfaces([(f"if{i}", t) for i, t in enumerate(enum)]))
    catalog = load_device_type_library(root)
    assert catalog.report.counts["device types"] == 1, [str(i) for i in catalog.report.issues]
    assert [i for i in catalog.report.issues if i.code == "interface-type"] == []
    kinds = {p["name"]: p["kind"] for p in catalog.part_types["acme-all"]["ports"]}
    assert len(kinds) == len(enum) and "other" not in kinds.values()


HPE_48 = ("manufacturer: HPE\nmodel: Aruba 2930F 48G 4SFP+\nslug: hpe-aruba-2930f-48g-4sfpp\nu_height: 1\n"
          "is_full_depth: false\npower-ports:\n  - name: PS1\n    type: iec-60320-c14\n    maximum_draw: 125\n"
          + _interfaces([(str(i), "1000base-t") for i in range(1, 49)] + [(str(i), "10gbase-x-sfpp")
                                                                          for i in range(49, 53)]))
MIKROTIK_HEX = ("manufacturer: MikroTik\nmodel: hEX\nslug: mikrotik-rb750gr3\nu_height: 0\nis_full_depth: false\n"
                + _interfaces([(f"ether{i}", "1000base-t") for i in range(1, 6)]))
CCR = ("manufacturer: Acme Networks\nmodel: CCR2004-16G-2S+\nslug: acme-ccr2004\nu_height: 1\nis_full_depth: false\n"
       "power-ports:\n  - name: PSU1\n    type: iec-60320-c14\n"
       + _interfaces([(f"ether{i}", "1000base-t") for i in range(1, 9)] + [("sfp-sfpplus1", "10gbase-x-sfpp")]))
SERVER = ("manufacturer: Dell\nmodel: PowerEdge R650\nslug: dell-r650\nu_height: 1\nis_full_depth: true\n"
          "power-ports:\n  - name: PSU1\n    type: iec-60320-c14\n    maximum_draw: 800\n"
          + _interfaces([("NIC1", "25gbase-x-sfp28"), ("NIC2", "25gbase-x-sfp28"), ("iDRAC", "1000base-t"),
                         ("eno1", "1000base-t"), ("eno2", "1000base-t")], mgmt=("iDRAC",)))


def test_switches_and_routers_are_known_by_their_ports_names_and_maker(library: Path, tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    for name, text in (("HPE/aruba.yaml", HPE_48), ("MikroTik/hex.yaml", MIKROTIK_HEX),
                       ("Acme/ccr.yaml", CCR), ("Dell/r650.yaml", SERVER)):
        _write(root, f"device-types/{name}", text)
    catalog = load_device_type_library(root)
    assert catalog.report.counts["device types"] == 4, [str(i) for i in catalog.report.issues]
    kinds = {n: e["kind"] for n, e in catalog.part_types.items()}
    assert kinds == {"hpe-aruba-2930f-48g-4sfpp": "network_switch", "mikrotik-rb750gr3": "network_switch",
                     "acme-ccr2004": "network_switch", "dell-r650": "compute_tray"}
    # a role says more than the ports: a server role wins over 48 ports
    assert infer_kind({"interfaces": [{"name": str(i), "type": "1000base-t"} for i in range(48)]},
                      role="server")[0] == "compute_tray"


def test_the_kind_in_the_output_toml_can_be_overridden(library: Path, tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    _write(root, "device-types/HPE/aruba.yaml", HPE_48)
    _write(root, "device-types/Dell/r650.yaml", SERVER)
    out = tmp_path / "catalog.toml"
    write_catalog_toml(load_device_type_library(root), out)
    text = out.read_text()
    assert "# kind inferred: 16 or more data interfaces" in text
    out.write_text(text.replace('kind = "compute_tray"', 'kind = "storage"'), encoding="utf-8")
    again = load_device_type_library(root)
    write_catalog_toml(again, out)
    parsed = tomllib.loads(out.read_text())["part_types"]
    assert parsed["dell-r650"]["kind"] == "storage"
    assert parsed["hpe-aruba-2930f-48g-4sfpp"]["kind"] == "network_switch"
    assert any("kept the kind of 1 part types" in n for n in again.report.notes)


def test_a_vendor_folder_or_device_types_folder_imports_with_the_schemas_above(library: Path,
                                                                                 tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    shutil.copytree(library / "device-types" / "Cisco", root / "device-types" / "Cisco")
    _write(root, "device-types/Cisco/broken.yaml", "manufacturer: Cisco\nmodel: Broken\nu_height: 1\nis_full_depth: true\n")   # no slug
    for folder in (root / "device-types", root / "device-types" / "Cisco"):
        catalog = load_device_type_library(folder)
        assert catalog.report.counts["device types"] == 5
        assert catalog.report.counts["failed"] == 1
        slug = [i for i in catalog.report.issues if i.code == "schema"]
        assert len(slug) == 1 and slug[0].where.endswith("broken.yaml: slug")


def test_schemas_without_id_validate_by_their_file_names(library: Path, tmp_path: Path) -> None:
    root = tmp_path / "fork"
    (root / "schema").mkdir(parents=True)
    for path in (library / "schema").glob("*.json"):
        doc = json.loads(path.read_text())
        doc.pop("$id", None)
        (root / "schema" / path.name).write_text(json.dumps(doc), encoding="utf-8")
    _write(root, "device-types/Acme/ok.yaml", "manufacturer: Acme\nmodel: OK\nslug: acme-ok\nu_height: 1\nis_full_depth: true\n")
    _write(root, "device-types/Acme/noslug.yaml", "manufacturer: Acme\nmodel: No Slug\nu_height: 1\nis_full_depth: true\n")
    catalog = load_device_type_library(root)
    assert sorted(catalog.part_types) == ["acme-ok"]
    assert [i.where for i in catalog.report.issues if i.code == "schema"] == [
        f"{root / 'device-types/Acme/noslug.yaml'}: slug"]
    assert not [i for i in catalog.report.issues if i.code == "no-schema"]


def test_cli_summarises_warnings_by_reason_with_counts(library: Path, tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    for k in range(3):
        _write(root, f"device-types/Acme/bad{k}.yaml", f"manufacturer: Acme\nmodel: Bad {k}\nu_height: 1\nis_full_depth: true\n")
    _write(root, "device-types/Acme/half.yaml", "manufacturer: Acme\nmodel: Half\nslug: acme-half\nu_height: 1.5\nis_full_depth: true\n")
    run = subprocess.run([sys.executable, "-m", "twin", "import", "device-types", str(root), "-o",
                          str(tmp_path / "c.toml")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    at = lines.index("  4 warnings, by reason:")
    assert [ln.split() for ln in lines[at + 1:at + 3]] == [["3", "schema"], ["1", "half-u"]]


def test_the_half_u_warning_quotes_the_height_that_is_stored(library: Path, tmp_path: Path) -> None:
    root = _lib(library, tmp_path)
    _write(root, "device-types/Acme/half.yaml", "manufacturer: Acme\nmodel: Half\nslug: acme-half\nu_height: 1.5\n"
                                                "is_full_depth: true\n")
    catalog = load_device_type_library(root)
    # 1.5 U x 44.45 mm = 66.675 mm, less the 1.5 mm seam between stacked devices: 65.175 mm
    assert catalog.part_types["acme-half"]["size"][2] == pytest.approx(0.0652, abs=1e-9)
    [warning] = [i for i in catalog.report.issues if i.code == "half-u"]
    assert "0.0652 m" in warning.message and "0.0667" not in warning.message


def test_a_folder_of_yaml_outside_the_library_layout_says_what_to_give(tmp_path: Path) -> None:
    _write(tmp_path, "stuff/switch.yaml", "manufacturer: Acme\nmodel: X\nslug: acme-x\nu_height: 1\n")
    run = subprocess.run([sys.executable, "-m", "twin", "import", "device-types", str(tmp_path / "stuff"), "-o",
                          str(tmp_path / "c.toml")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "nothing usable to import" in run.stderr
    assert "none under a device-types/, module-types/ or rack-types/ folder" in run.stdout
