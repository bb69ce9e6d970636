"""A wheel built from this checkout: it holds the part meshes and the whole package, and draws real meshes.

The wheel is built the way `pip install .` builds it (PEP 517, isolated build env) from a
copy of the project files, so the checkout is not written to. It is then unpacked and
imported on its own (not the editable install) to check that the installed mesh lookup
finds the meshes inside the package rather than falling back to grey placeholder boxes.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import twin

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.md", "twin", "assets")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in PROJECT_FILES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(REPO / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    wheels = list(out.glob("twin-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_every_part_mesh(wheel: Path) -> None:
    meshes = sorted((REPO / "assets").glob("*.glb"))
    assert len(meshes) >= 10
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for mesh in meshes:
            packed = f"twin/assets/{mesh.name}"
            assert packed in names, f"{packed} missing from {wheel.name}"
            assert zf.read(packed) == mesh.read_bytes(), packed
        assert "twin/specs/catalog.toml" in names


def test_wheel_holds_every_module_data_file_and_the_version(wheel: Path) -> None:
    """Every file of the package (modules, catalogs, data tables) is in the wheel, not only the editable tree."""
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "twin").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert "twin/specs/catalog.toml" in modules
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert modules - names == set()
    assert f"\nVersion: {twin.__version__}\n" in metadata
    assert wheel.name.startswith(f"twin-{twin.__version__}-")


def test_installed_wheel_draws_real_meshes(wheel: Path, pod_db: Path, tmp_path: Path) -> None:
    """Unpacked alone (as site-packages holds it), twin resolves the catalog's meshes inside itself."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    design = tmp_path / "elsewhere" / "pod.twin.db"        # no meshes beside the design file
    design.parent.mkdir()
    shutil.copy2(pod_db, design)
    probe = (
        "import json, sys, twin\n"
        "from twin.geometry.assets import bundled_asset_dir\n"
        "from twin.store import load_design\n"
        "from twin.scene.meshes import type_meshes\n"
        "meshes, warnings = type_meshes(load_design(sys.argv[1]))\n"
        "print(json.dumps({'twin': twin.__file__, 'assets': str(bundled_asset_dir()), 'warnings': warnings,\n"
        "                  'triangles': [m.triangle_count for m in meshes]}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", probe, str(design)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(report["twin"]).is_relative_to(site), report["twin"]
    assert Path(report["assets"]) == site / "twin" / "assets"
    assert report["warnings"] == []                          # every catalog mesh was found and read
    assert len(report["triangles"]) >= 10 and max(report["triangles"]) > 12   # real meshes, not 12-triangle boxes


def test_installed_metadata_version_is_the_package_version() -> None:
    """pyproject reads the version from twin.__version__: one literal for the CLI, the metadata and meta."""
    assert importlib.metadata.version("twin") == twin.__version__
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
