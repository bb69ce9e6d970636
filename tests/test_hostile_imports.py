"""Hostile device-type libraries and NetBox dumps: contained, bounded, one warning per bad file or object.

Each test makes a small real library (three device types and the schemas from the shared
NetBox device-type library) or a copy of the real NetBox demo dump, spoils one thing as a
careless or hostile author would, and runs `twin import` in a subprocess under a memory
and time limit. What must hold: the bad file or object is named in one warning, the rest
is imported (compared with what the good files alone give), nothing outside the library
is read, and the process neither hangs nor grows without bound.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEMORY = 2_500 * 1024 * 1024
GOOD = ("PDU81005.yaml", "PowerEdge-C6420.yaml", "uats1-hv-c14-2.yaml")


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (90, 90))


def twin(*args, timeout: float = 90) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "twin", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, preexec_fn=_limits)
    assert "Traceback" not in done.stderr and "--debug" not in done.stderr, done.stderr[-2000:]
    assert done.returncode in (0, 1), (done.returncode, done.stderr[-2000:])
    return done


@pytest.fixture
def library(shared_data: Path, tmp_path: Path) -> Path:
    """A three-type library with the real schemas, inside tmp_path/lib."""
    src = shared_data / "netbox-devicetypes"
    lib = tmp_path / "lib"
    shutil.copytree(src / "schema", lib / "schema")
    folder = lib / "device-types" / "Acme"
    folder.mkdir(parents=True)
    for name in GOOD:
        hit = next(src.rglob(name))
        shutil.copy(hit, folder / name)
    return lib


def _slugs(folder: Path) -> set[str]:
    import yaml

    return {yaml.safe_load((folder / name).read_text())["slug"] for name in GOOD}


def _catalog(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))["part_types"]


def _warnings(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("twin: warning: ")]


def _import_types(lib: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "out" / "catalog.toml"
    done = twin("import", "device-types", lib, "-o", out)
    assert done.returncode == 0, done.stderr[-2000:]
    return done, _catalog(out)


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "manufacturer: Acme\nmodel: Bomb\nslug: acme-bomb\nu_height: 1\n" + "\n".join(lines) + \
        f"\ncomments: *a{levels}\n"


def test_a_symlink_out_of_the_library_is_not_followed(library, tmp_path):
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("manufacturer: Secret\nmodel: S1\nslug: secret-s1\nu_height: 1\n")
    link = library / "device-types" / "Acme" / "secret.yaml"
    os.symlink(secret, link)
    done, catalog = _import_types(library, tmp_path)
    assert "secret-s1" not in catalog and set(catalog) == _slugs(library / "device-types" / "Acme")
    named = [w for w in _warnings(done) if str(link) in w]
    assert len(named) == 1 and "outside" in named[0], done.stderr


def test_a_fifo_as_schema_or_device_type_is_never_opened(library, tmp_path):
    schema = library / "schema" / "devicetype.json"
    schema.unlink()
    os.mkfifo(schema)
    pipe = library / "device-types" / "Acme" / "pipe.yaml"
    os.mkfifo(pipe)
    done, catalog = _import_types(library, tmp_path)            # today: blocks forever on the schema FIFO
    assert set(catalog) == _slugs(library / "device-types" / "Acme")
    for path in (schema, pipe):
        named = [w for w in _warnings(done) if str(path) in w]
        assert len(named) == 1 and "FIFO" in named[0], done.stderr


@pytest.mark.parametrize("case", ["billion-laughs", "deep-list", "too-big"])
def test_a_file_that_would_take_the_machine_is_one_warning(library, tmp_path, case):
    bad = library / "device-types" / "Acme" / f"{case}.yaml"
    if case == "billion-laughs":
        bad.write_text(_bomb())                                   # 9^10 values once expanded, ~700 bytes
        assert bad.stat().st_size < 1000
    elif case == "deep-list":
        bad.write_text("manufacturer: Acme\nmodel: Deep\nslug: acme-deep\ncomments: " + "[" * 100_000
                       + "]" * 100_000 + "\n")
    else:
        good = (library / "device-types" / "Acme" / GOOD[0]).read_text()
        bad.write_text(good.replace("slug: ", "slug: big-") + "# " + "x" * (8 * 1024 * 1024) + "\n")
    done, catalog = _import_types(library, tmp_path)
    assert set(catalog) == _slugs(library / "device-types" / "Acme")
    named = [w for w in _warnings(done) if str(bad) in w]
    assert len(named) == 1, done.stderr
    assert {"billion-laughs": "aliases", "deep-list": "nested", "too-big": "bytes"}[case] in named[0] or \
        "expands" in named[0], named[0]


@pytest.mark.parametrize("field,text,named,schema", [
    ("u_height", "u_height: 1.0e+300", "u_height", True),
    ("u_height", "u_height: 1.0e+300", "u_height", False),
    ("u_height", "u_height: 100000000", "u_height", True),
    ("u_height", "u_height: 100000000", "u_height", False),
    ("weight", "weight: .nan", "weight", False),            # with the schemas these four fail validation
    ("interfaces", "interfaces: 5", "interfaces", False),
    ("interfaces", "interfaces:\n  - [1, 2]", "interfaces[0]", False),
    ("model", "model: [a, b]", "model", False),
])
def test_a_value_no_spec_accepts_is_refused_at_import_naming_file_and_field(library, tmp_path, field, text, named,
                                                                           schema):
    if not schema:
        shutil.rmtree(library / "schema")
    folder = library / "device-types" / "Acme"
    path = folder / GOOD[0]
    kept = [line for line in path.read_text().splitlines() if not line.startswith(f"{field}:")]
    if field == "interfaces":            # drop the file's own interfaces list
        kept = path.read_text().split("\ninterfaces:")[0].splitlines()
    path.write_text("\n".join(kept) + "\n" + text + "\n")
    done, catalog = _import_types(library, tmp_path)
    import yaml

    good = {yaml.safe_load((folder / n).read_text())["slug"] for n in GOOD[1:]}
    assert set(catalog) == good                       # the spoiled type is not in the catalog every spec reads
    hits = [w for w in _warnings(done) if f"{path}: {named}" in w]
    assert len(hits) == 1, done.stderr


# ---------------------------------------------------------------- NetBox dumps

@pytest.fixture(scope="module")
def demo(shared_data: Path) -> list:
    return json.loads((shared_data / "netbox-demo" / "netbox-demo-v3.6.json").read_text())


def _spoil(objects: list, model: str, field: str, value) -> list:
    out = json.loads(json.dumps(objects))
    for obj in out:
        if obj["model"] == model and field in obj["fields"]:
            obj["fields"][field] = value
    return out


def _import_dump(tmp_path: Path, text: str) -> tuple[subprocess.CompletedProcess, Path]:
    dump = tmp_path / "dump.json"
    dump.write_text(text)
    out = tmp_path / "site.twin.db"
    return twin("import", "netbox", dump, "-o", out), out


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.parametrize("literal", ["Infinity", "NaN", "1e400", "-Infinity"])
def test_non_finite_rack_heights_are_warned_and_defaulted(demo, tmp_path, literal):
    spoiled = _spoil(demo, "dcim.rack", "u_height", "@@")
    done, out = _import_dump(tmp_path, json.dumps(spoiled).replace('"@@"', literal))
    racks = sum(o["model"] == "dcim.rack" for o in demo)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _count(out, "select count(*) from racks") == racks
    first = min(o["pk"] for o in demo if o["model"] == "dcim.rack")
    assert any(f"dcim.rack pk {first}: u_height" in w for w in _warnings(done)), done.stderr[-2000:]


def test_a_huge_device_height_skips_the_type_not_the_import(demo, tmp_path):
    """u_height 100000000 grew without bound (a U-slot map of 2e8 entries per device)."""
    spoiled = _spoil(demo, "dcim.devicetype", "u_height", 100_000_000)
    done, out = _import_dump(tmp_path, json.dumps(spoiled))
    assert done.returncode == 0, done.stderr[-2000:]
    types = sorted(o["pk"] for o in demo if o["model"] == "dcim.devicetype")
    used = {o["fields"]["device_type"] for o in demo if o["model"] == "dcim.device"}
    named = [w for w in _warnings(done) if "dcim.devicetype pk" in w and "u_height" in w]
    assert named and all("100" in w for w in named)
    assert any(f"dcim.devicetype pk {min(used & set(types))}: u_height" in w for w in named), done.stderr[-2000:]
    racks = sum(o["model"] == "dcim.rack" for o in demo)
    # frames only (every device type was refused), beside the site-level demarcation boxes that
    # circuit-terminated cables end at, which come from no device type
    assert _count(out, "select count(*) from parts p join part_types t on t.id = p.part_type_id "
                       "where t.kind != 'demarc'") == racks


def test_a_rack_that_would_make_a_huge_hall_is_refused_naming_the_site(demo, tmp_path):
    spoiled = json.loads(json.dumps(demo))
    site = min(o["pk"] for o in demo if o["model"] == "dcim.site")
    for obj in spoiled:
        if obj["model"] == "dcim.rack":           # every rack 400 m wide (a part may be 500 m), in one site and row
            obj["fields"].update(outer_width=400_000, outer_unit="mm", site=site, location=None)
    done, out = _import_dump(tmp_path, json.dumps(spoiled))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and lines[-1].startswith("twin: error: ") and "dcim.site pk" in lines[-1]
    assert "5,000 m" in lines[-1] and not out.exists()


def test_list_valued_fields_are_warned_naming_the_object(demo, tmp_path):
    spoiled = json.loads(json.dumps(demo))
    device = next(o for o in spoiled if o["model"] == "dcim.device" and o["fields"].get("rack"))
    device["fields"]["rack"] = [device["fields"]["rack"], 2]
    device["fields"]["position"] = [1]
    done, out = _import_dump(tmp_path, json.dumps(spoiled))
    assert done.returncode == 0, done.stderr[-2000:]
    where = f"dcim.device pk {device['pk']}"
    assert any(f"{where}: rack" in w and "list" in w for w in _warnings(done)), done.stderr[-3000:]
    assert _count(out, "select count(*) from parts") > 0


@pytest.mark.parametrize("where", ["whole", "one-object"])
def test_100k_deep_json_is_a_clear_warning(demo, tmp_path, where):
    deep = "[" * 100_000 + "]" * 100_000
    if where == "whole":
        done, out = _import_dump(tmp_path, deep)
        assert done.returncode == 1 and "nested" in done.stderr and str(tmp_path / "dump.json") in done.stderr
    else:
        text = json.dumps(demo)
        done, out = _import_dump(tmp_path, text[:-1] + ', {"model": "dcim.site", "pk": 9999, "fields": {"name": '
                                 + deep + "}}]")
        assert done.returncode == 0 and "nested" in done.stderr
        assert _count(out, "select count(*) from racks") == sum(o["model"] == "dcim.rack" for o in demo)


def test_an_elevation_image_symlinked_out_of_the_library_is_not_used(library, tmp_path):
    import yaml

    path = library / "device-types" / "Acme" / GOOD[0]
    data = yaml.safe_load(path.read_text())
    path.write_text(path.read_text() + "front_image: true\n")
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    images = library / "elevation-images" / data["manufacturer"]
    images.mkdir(parents=True)
    os.symlink(outside, images / f"{data['slug']}.front.png")
    done, catalog = _import_types(library, tmp_path)
    assert "front_image" not in catalog[data["slug"]], catalog[data["slug"]]
    assert any(f"{path}: front_image" in w for w in _warnings(done)), done.stderr
