"""GLB, USD, CSV and HTML exports of ai-hall, checked with the tools their users have: the
Khronos glTF validator, usd-core, the csv module, headless Chromium."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twin.export.glb import read_glb
from twin.export.image import read_png
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]
NPM_MODULES = REPO / ".npm" / "node_modules"


def twin_cli(*args, env_extra=None, preexec=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= env_extra or {}
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600, cwd=REPO, preexec_fn=preexec)


@pytest.fixture(scope="module")
def thermal_glb(hall_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("glb") / "ai-hall-thermal.glb"
    result = twin_cli("export", "glb", hall_db, "-o", out, "--overlay", "thermal", "-q")
    assert result.returncode == 0, result.stderr
    return out


def test_glb_passes_the_khronos_validator(thermal_glb, hall_db, tmp_path):
    if not (NPM_MODULES / "gltf-validator").is_dir() or not shutil.which("node"):
        pytest.fail("the glTF validator is missing: `make test` installs it (npm install --prefix .npm gltf-validator)")
    plain = tmp_path / "plain.glb"
    assert twin_cli("export", "glb", hall_db, "-o", plain, "-q").returncode == 0
    for path in (thermal_glb, plain):
        result = subprocess.run(["node", str(REPO / "tests" / "tools" / "validate_gltf.js"), str(NPM_MODULES),
                                 str(path)], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        issues = report["issues"]
        assert issues["numErrors"] == 0, issues["messages"][:5]
        assert issues["numWarnings"] == 0, issues["messages"][:5]
        assert report["info"]["version"] == "2.0"


def test_glb_instances_one_mesh_per_type_with_metadata_and_y_up(thermal_glb, hall_db):
    design = load_design(hall_db)
    doc, blob = read_glb(thermal_glb)
    parts = [n for n in doc["nodes"] if "extras" in n and "vendor" in n["extras"]]
    assert len(parts) == len(design.parts)
    # geometry stored once per part type: meshes of one type share their POSITION accessor
    used_types = len(np.unique(design.parts.type))
    positions = {p["attributes"]["POSITION"] for m in doc["meshes"] if m["name"] != "hall"
                 for p in m["primitives"][:1]}
    assert len(positions) == used_types
    assert len(blob) < 20_000_000
    # metadata and placement: A01-U01 at (x, z, -y) in Y-up metres
    i = int(np.flatnonzero(design.parts.name == "A01-U01")[0])
    node = next(n for n in parts if n["name"] == "A01-U01")
    x, y, z = design.parts.position[i]
    assert np.allclose(node["translation"], [x, z, -y], atol=1e-4)
    extras = node["extras"]
    assert extras["kind"] == "power_shelf" and extras["rack"] == "A01" and extras["row"] == "A"
    assert extras["vendor"] and extras["supplier"] and extras["power_w"] > 0
    # racks stand up along +Y: a rack frame mesh spans ~2.29 m in Y
    frame = next(n for n in parts if n["name"] == "A01-frame")
    acc = doc["accessors"][doc["meshes"][frame["mesh"]]["primitives"][0]["attributes"]["POSITION"]]
    frame_height = design.part_size()[int(np.flatnonzero(design.parts.name == "A01-frame")[0]), 2]
    assert abs((acc["max"][1] - acc["min"][1]) - frame_height) < 0.05
    # the overlay is baked in: the hot rack's trays are red, a cool rack's are not
    def tray_colour(rack: str) -> np.ndarray:
        trays = [n for n in parts if n["extras"]["rack"] == rack and n["extras"]["kind"] == "compute_tray"]
        mats = [doc["meshes"][n["mesh"]]["primitives"][0]["material"] for n in trays]
        return np.array([doc["materials"][m]["pbrMetallicRoughness"]["baseColorFactor"][:3] for m in mats])
    hot, cool = tray_colour("A06"), tray_colour("A02")
    assert (hot[:, 0] > hot[:, 2] + 0.3).any()
    assert not (cool[:, 0] > cool[:, 2] + 0.3).any()
    assert doc["scenes"][0]["extras"]["up_axis"] == "Y" and doc["scenes"][0]["extras"]["units"] == "metres"


def test_usd_stage_reopens_with_one_prim_per_part_in_the_hierarchy(hall_db, tmp_path):
    from pxr import Usd, UsdGeom

    out = tmp_path / "ai-hall.usd"
    result = twin_cli("export", "usd", hall_db, "-o", out, "--overlay", "power", "-q")
    assert result.returncode == 0, result.stderr
    design = load_design(hall_db)
    stage = Usd.Stage.Open(str(out))
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/World"
    parts = [p for p in stage.Traverse() if p.HasAttribute("twin:name")]
    assert len(parts) == len(design.parts)
    prim = stage.GetPrimAtPath("/World/Hall_1/row_A/A01/A01_U01")
    assert prim.IsValid() and prim.IsInstance()
    assert prim.GetAttribute("twin:name").Get() == "A01-U01"
    assert prim.GetAttribute("twin:kind").Get() == "power_shelf"        # composed from the prototype
    assert prim.GetAttribute("twin:vendor").Get()
    assert prim.GetAttribute("twin:power_w").Get() > 0
    i = int(np.flatnonzero(design.parts.name == "A01-U01")[0])
    world = UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(Usd.TimeCode.Default()).ExtractTranslation()
    assert np.allclose(list(world), design.parts.position[i], atol=1e-5)
    # shared meshes: one Mesh prim per part type, under the prototypes
    meshes = [p for p in stage.TraverseAll() if p.GetTypeName() == "Mesh" and not p.IsInPrototype()]
    parts_meshes = [p for p in meshes if str(p.GetPath()).startswith("/Prototypes/")]
    assert len(parts_meshes) == len(np.unique(design.parts.type))
    assert len(meshes) - len(parts_meshes) < 10                # the hall shell's and trays' few shapes
    assert len(stage.GetPrototypes()) >= 1
    # facility parts sit under the hall
    cdu = stage.GetPrimAtPath("/World/Hall_1/facility/G_CDU1")
    assert cdu.IsValid() and cdu.GetAttribute("twin:kind").Get() == "cdu"


def test_csv_tables(hall_db, tmp_path):
    result = twin_cli("export", "csv", hall_db, "-o", tmp_path / "tables")
    assert result.returncode == 0, result.stderr
    design = load_design(hall_db)
    with open(tmp_path / "tables" / "parts.csv", newline="") as f:
        parts = list(csv.DictReader(f))
    assert len(parts) == len(design.parts)
    row = next(r for r in parts if r["name"] == "A01-U01")
    assert row["rack"] == "A01" and row["kind"] == "power_shelf" and float(row["power_w"]) > 0
    with open(tmp_path / "tables" / "findings.csv", newline="") as f:
        findings = list(csv.DictReader(f))
    assert any(r["rack_name"] == "A06" and r["severity"] == "critical" for r in findings)


def _with_note(hall_db: Path, tmp_path: Path, text: str) -> Path:
    db = tmp_path / "noted.twin.db"
    shutil.copy(hall_db, db)
    conn = sqlite3.connect(db)
    with conn:
        part = conn.execute("SELECT id FROM parts WHERE name = 'A06-frame'").fetchone()[0]
        conn.execute("INSERT INTO notes (part_id, author, text, status, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                     (part, "Ana <ops>", text, "open", "2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"))
    conn.close()
    return db


def test_report_embeds_an_image_per_overlay_escapes_text_and_renders_in_chromium(hall_db, tmp_path):
    db = _with_note(hall_db, tmp_path, "A06 runs hot <script>alert('x')</script> & needs a blanking panel")
    out = tmp_path / "review.html"
    result = twin_cli("export", "report", db, "-o", out, "--size", "480x270", "-q")
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; needs" in page
    assert "Ana &lt;ops&gt;" in page
    images = re.findall(r'<img alt="[^"]*" data-overlay="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    from twin.analysis.registry import overlay_availability
    from twin.store import load_design

    shown = [name for name, why in overlay_availability(load_design(db)).items() if why is None]
    assert [name for name, _ in images] == shown
    assert {"none", "thermal", "power", "cabling", "cooling", "supply"} <= set(shown)
    for i, (_name, data) in enumerate(images):
        png = tmp_path / f"img{i}.png"
        png.write_bytes(base64.b64decode(data))
        pixels = read_png(png)
        assert pixels.shape == (270, 480, 3) and pixels.std() > 10
    assert "inlet-allowable" in page and "A06" in page and "src=\"http" not in page
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is missing: `make test` installs it (apt-get install chromium)")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1280,12000", f"--screenshot={shot}", out.as_uri()],
                   capture_output=True, timeout=180)
    pixels = read_png(shot)
    # the scene's sky gradient (≈ 204,214,227 at the top) shows once per loaded image
    sky = (np.abs(pixels.astype(int) - [204, 214, 227]).max(axis=2) < 12)
    rows_with_sky = np.flatnonzero(sky.sum(axis=1) > 150)
    bands = np.split(rows_with_sky, np.flatnonzero(np.diff(rows_with_sky) > 20) + 1)
    assert len([b for b in bands if len(b) > 5]) >= 3, "the report's images did not load in Chromium"
