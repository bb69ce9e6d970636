"""The spec's size check counts the switchboards and UPS modules of the power plan the builder uses
(`[sizing] power`), not the spec's `[power] switchboards`: its part count is the built file's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from twin.specs import build_design
from twin.specs.bounds import estimate_size
from twin.specs.spec import load_spec

SCENES = Path(__file__).resolve().parents[1] / "scenes"


def _parts_and_boards(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        parts = conn.execute("select count(*) from parts").fetchone()[0]
        boards = conn.execute("select count(*) from parts p join part_types t on t.id = p.part_type_id "
                              "where t.kind = 'switchboard'").fetchone()[0]
    return parts, boards


@pytest.mark.parametrize("scene", ["nvl72-pod", "ai-hall"])
def test_estimated_parts_are_the_built_parts(scene: str, tmp_path: Path) -> None:
    text = (SCENES / f"{scene}.toml").read_text()
    # what the estimate leaves to placement: CRAHs the `crahs` rule adds, a UPS module a fault leaves out
    text = text.replace("crahs = true\n", "").replace('kind = "ups_module_missing"\nnode = "UPS-2C"',
                                                      'kind = "hot_spot"\nrack = "A05"')
    spec_path = tmp_path / f"{scene}.toml"
    spec_path.write_text(text)
    db = tmp_path / f"{scene}.twin.db"
    build_design(spec_path, db)
    parts, boards = _parts_and_boards(db)
    estimate = estimate_size(load_spec(spec_path), spec_path)
    assert estimate["switchboards"] == boards
    assert estimate["parts"] == parts
    if scene == "ai-hall":
        assert boards == 5 > load_spec(spec_path)["power"]["switchboards"]     # the plan's, not the spec's 3
