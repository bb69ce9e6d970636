"""`twin check` as a CI gate: exit codes and the documented, stable `--json` schema (README)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from twin.analysis.findings import SEVERITIES

REPO = Path(__file__).resolve().parents[1]
TOP_KEYS = {"file", "reading_ts", "analyses", "skipped", "findings"}
FINDING_KEYS = {"severity", "code", "analysis", "subject", "message", "part", "rack", "loop", "cable", "location",
                "margin", "margin_pct",
                "value", "limit", "unit"}


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", "check", *args], capture_output=True, text=True, cwd=REPO)


@pytest.fixture(scope="module")
def warning_only(pod_db, tmp_path_factory) -> Path:
    """The pod with its coolant flow readings cut to a fifth: one warning, nothing critical."""
    path = tmp_path_factory.mktemp("check") / "pod-low-flow.twin.db"
    shutil.copy(pod_db, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE readings SET value = value * 0.2 WHERE sensor_id IN "
                     "(SELECT id FROM sensors WHERE kind = 'flow')")
    return path


def test_json_schema_is_the_documented_one(hall_db):
    result = check(str(hall_db), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert TOP_KEYS <= set(data)
    assert data["file"] == str(hall_db) and isinstance(data["reading_ts"], str)
    assert isinstance(data["skipped"], dict)
    assert data["findings"], "the seeded faults give findings"
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert f["severity"] in SEVERITIES and f["code"] and f["message"] and f["analysis"] in data["analyses"]
        assert all(isinstance(f[k], int) for k in ("part", "rack", "loop", "cable"))
        assert f["location"] is None or (len(f["location"]) == 3 and all(isinstance(v, float) for v in f["location"]))
        assert all(f[k] is None or isinstance(f[k], (int, float)) for k in ("value", "limit"))
    ranks = [SEVERITIES.index(f["severity"]) for f in data["findings"]]
    assert ranks == sorted(ranks)
    for name, entry in data["analyses"].items():
        assert set(entry) >= {"label", "reading_ts", "findings"}
        assert entry["findings"] == sum(f["analysis"] == name for f in data["findings"])
    assert {"thermal", "power", "cabling", "supply"} <= set(data["analyses"])


def test_the_seeded_faults_are_listed(hall_db):
    data = json.loads(check(str(hall_db), "--json").stdout)
    by_subject = {(f["subject"], f["code"]) for f in data["findings"]}
    assert ("A06", "inlet-allowable") in by_subject           # the hot spot
    assert ("G-loop1", "cdu-capacity") in by_subject          # the undersized CDU
    assert ("B04", "rack-over-budget") in by_subject          # the rack over its power budget
    dac = [f for f in data["findings"] if f["code"] == "over-reach" and "C02-" in f["message"]]
    assert dac and " dac " in f" {dac[0]['message']} " and dac[0]["severity"] == "critical"   # the 4 m DAC


@pytest.mark.parametrize("fail_on, clean, warned, critical", [
    ("never", 0, 0, 0), ("critical", 0, 0, 1), ("warning", 0, 1, 1), ("info", 0, 1, 1)])
def test_exit_codes_follow_fail_on(pod_db, warning_only, hall_db, fail_on, clean, warned, critical):
    # thermal only: the pod is clean there, its low-flow copy has one warning, the hall criticals
    assert check(str(pod_db), "--thermal", "--fail-on", fail_on).returncode == clean
    assert check(str(warning_only), "--thermal", "--fail-on", fail_on).returncode == warned
    assert check(str(hall_db), "--thermal", "--fail-on", fail_on).returncode == critical
    assert check(str(hall_db), "--fail-on", fail_on).returncode == critical      # every analysis
    # the pod's power chain is sized for its racks (busbars at 83 %, above the 80 % warning line)
    assert check(str(pod_db), "--power", "--fail-on", fail_on).returncode == (fail_on in ("warning", "info"))


def test_default_exit_is_zero_and_errors_are_one_and_usage_two(hall_db, tmp_path):
    assert check(str(hall_db)).returncode == 0
    missing = check(str(tmp_path / "nope.twin.db"), "--fail-on", "critical")
    assert missing.returncode == 1 and "nope.twin.db" in missing.stderr and "Traceback" not in missing.stderr
    assert check(str(hall_db), "--fail-on", "sometimes").returncode == 2
    assert check().returncode == 2
