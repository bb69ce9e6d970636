"""`twin check` says what loading the design repaired, in text, in --json and for --fail-on.

A design edited so that parts lie 1e300 m away loads with those parts moved to the origin
and a warning; before, only `twin info` printed it and the CI gate passed with rc 0.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def twin(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=REPO)


@pytest.fixture
def repaired(pod_db, tmp_path) -> tuple[Path, list[int]]:
    db = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, db)
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("select id from parts order by id limit 40 offset 20")]
        conn.execute(f"update parts set x = 1e300 where id in ({','.join(map(str, ids))})")
        conn.execute("update cables set a_port_id = 99999999 where id = 5")
    return db, ids


def test_text_output_names_each_repair(repaired):
    db, ids = repaired
    done = twin("check", db)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("twin: warning: ")]
    assert any(f"table parts, row id {ids[0]}" in line and f"{len(ids)} rows" in line for line in lines), done.stderr
    assert any("table cables, row id 5" in line for line in lines), done.stderr
    assert all(str(db) in line for line in lines)


def test_json_carries_them_under_load_warnings(repaired):
    db, ids = repaired
    done = twin("check", db, "--json")
    report = json.loads(done.stdout)
    warnings = report["load_warnings"]
    assert isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
    assert any(f"table parts, row id {ids[0]}" in w for w in warnings)
    assert any("table cables, row id 5" in w for w in warnings)


SEVERE = {"never": (), "critical": ("critical",), "warning": ("critical", "warning"),
          "info": ("critical", "warning", "info")}


@pytest.mark.parametrize("fail_on", ["never", "critical", "warning", "info"])
def test_fail_on_warning_fails_on_a_repaired_file(repaired, pod_db, fail_on):
    """A load warning counts as a warning: rc 1 from --fail-on warning or info, whatever the findings."""
    db, _ = repaired
    for path, repairs in ((db, True), (pod_db, False)):
        report = json.loads(twin("check", path, "--json").stdout)
        assert bool(report["load_warnings"]) == repairs
        severe = any(f["severity"] in SEVERE[fail_on] for f in report["findings"])
        expected = 1 if severe or (repairs and fail_on in ("warning", "info")) else 0
        assert twin("check", path, "--fail-on", fail_on).returncode == expected, (path, fail_on)
