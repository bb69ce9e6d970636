"""Tests for the `twin` command, run for real as `python -m twin` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCENES = REPO / "scenes"


def twin(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def _one_line_error(result: subprocess.CompletedProcess, *names: str) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    assert lines[0].startswith("twin: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("cli") / "ai-hall.twin.db"
    result = twin("build", SCENES / "ai-hall.toml", "-o", out)
    return out, result


# ----------------------------------------------------------------------------- help and version

def test_version() -> None:
    result = twin("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "twin 0.1.0"


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["info", "--help"], ["export", "image", "--help"]])
def test_help(args: list[str]) -> None:
    result = twin(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: twin")
    assert result.stderr == ""


def test_help_lists_commands() -> None:
    out = twin("--help").stdout
    for command in ("build", "info", "view", "export"):
        assert command in out


def test_no_arguments_is_usage_error() -> None:
    result = twin()
    assert result.returncode == 2
    assert "usage: twin" in result.stdout + result.stderr


@pytest.mark.parametrize("args", [["frobnicate"], ["info", "--colour", "x.twin.db"], ["--nope"], ["build"],
                                  ["export", "image", "x.twin.db"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = twin(*args)
    assert result.returncode == 2, (args, result.stderr)
    assert "Traceback" not in result.stderr
    assert "usage:" in result.stderr


# ----------------------------------------------------------------------------- build and info

def test_build(built) -> None:
    out, result = built
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert f"built {out}" in result.stdout
    # 2,426 parts before [sizing]: + 24 Rubin shelves (four a rack), + 2 CRAHs (16), + 2 switchboards and
    # 6 UPS modules (five boards of three), - UPS-2C (the ups_module_missing fault)
    assert "64 racks" in result.stdout and f"{2426 + 24 + 2 + 2 + 6 - 1:,} parts" in result.stdout
    assert "planning" in result.stderr                     # progress goes to stderr, not stdout
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_build_quiet(tmp_path: Path) -> None:
    out = tmp_path / "pod.twin.db"
    result = twin("build", SCENES / "nvl72-pod.toml", "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert out.is_file() and "9 racks" in result.stdout


def test_build_default_output_name(tmp_path: Path) -> None:
    spec = tmp_path / "pod.toml"
    spec.write_text((SCENES / "nvl72-pod.toml").read_text())
    result = twin("build", spec.name, "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pod.twin.db").is_file()


def test_info_text(built) -> None:
    out, _ = built
    result = twin("info", out)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "IT power" in text
    assert "blackwell 36" in text and "rubin 28" in text
    assert "schema v1" in text
    assert "compute_tray" in text and "warning" not in text


def test_info_json(built) -> None:
    out, _ = built
    result = twin("info", out, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["racks"] == 64
    assert data["racks_per_generation"] == {"blackwell": 36, "rubin": 28}
    assert data["parts_per_kind"]["compute_tray"] == 1008
    assert sum(data["parts_per_kind"].values()) == data["parts"]
    assert sum(data["cables_per_kind"].values()) == data["cables"]
    assert data["cables_per_kind"]["dac"] == 1
    assert 7000 < data["it_power_kw"] < 10000
    assert data["warnings"] == []


# ----------------------------------------------------------------------------- failures

def test_info_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.twin.db"
    _one_line_error(twin("info", missing), str(missing), "no such file")


def test_info_not_a_design(tmp_path: Path) -> None:
    text = tmp_path / "readme.twin.db"
    text.write_text("hello\n")
    _one_line_error(twin("info", text), str(text), "SQLite")


def test_info_folder(tmp_path: Path) -> None:
    _one_line_error(twin("info", tmp_path), str(tmp_path))


def test_build_missing_spec(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    _one_line_error(twin("build", missing, "-o", tmp_path / "x.twin.db"), str(missing))
    assert not (tmp_path / "x.twin.db").exists()


def test_build_bad_spec_key(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text((SCENES / "nvl72-pod.toml").read_text().replace("crah_count = 3", "colour = 1\ncrah_count = 3"))
    line = _one_line_error(twin("build", spec, "-o", tmp_path / "bad.twin.db"), str(spec), "hall.colour")
    assert "unknown key" in line
    assert not (tmp_path / "bad.twin.db").exists()


def test_build_invalid_toml(tmp_path: Path) -> None:
    spec = tmp_path / "broken.toml"
    spec.write_text("[design\nname = 'x'\n")
    _one_line_error(twin("build", spec, "-q", "-o", tmp_path / "b.twin.db"), str(spec), "TOML")


def test_debug_shows_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "absent.twin.db"
    result = twin("--debug", "info", missing)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "TwinError" in result.stderr and str(missing) in result.stderr


def test_check_reports_the_seeded_faults_and_fails_on_request(hall_db) -> None:
    import json as _json

    result = twin("check", str(hall_db))
    assert result.returncode == 0, result.stderr
    # nine critical: the seven seeded faults, two of which (the DAC, the G-row CDU) give two findings each
    assert "A06" in result.stdout and "G-loop1" in result.stdout and "findings: 9 critical" in result.stdout
    assert "B04" in result.stdout and "F-busway2" in result.stdout and "SWB-2 UPS N+1" in result.stdout  # power too
    strict = twin("check", str(hall_db), "--fail-on", "critical")
    assert strict.returncode == 1
    data = _json.loads(twin("check", str(hall_db), "--thermal", "--json").stdout)
    critical = {f["subject"] for f in data["findings"] if f["severity"] == "critical"}
    assert critical == {"A06", "G-loop1"}
    cabling = _json.loads(twin("check", str(hall_db), "--cabling", "--json").stdout)
    assert "C006465" in {f["subject"] for f in cabling["findings"] if f["severity"] == "critical"}   # the C02 DAC
    assert "H-tray" in {f["subject"] for f in cabling["findings"] if f["code"] == "tray-fill"}     # the overfilled tray
    power = _json.loads(twin("check", str(hall_db), "--power", "--json").stdout)
    assert {"B04"} == {f["subject"] for f in power["findings"] if f["code"] == "rack-over-budget"}
    # the seeded power faults (an undersized busway, a UPS group without its third module), and nothing else critical
    assert {"B04", "F-busway2", "SWB-2 UPS N+1"} == {f["subject"] for f in power["findings"] if f["severity"] == "critical"}
    early = twin("check", str(hall_db), "--at", "2026-11-24T03:00:00Z", "--json")
    assert _json.loads(early.stdout)["reading_ts"] == "2026-11-24T03:00:00Z"
    _one_line_error(twin("check", str(hall_db), "--at", "yesterday"), "yesterday", str(hall_db))
