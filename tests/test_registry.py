"""The analysis registry and the review session: one registration reaches every consumer,
and one moment runs each analysis once however many consumers ask."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin import cli
from twin.analysis import registry
from twin.analysis.findings import Finding
from twin.analysis.overlays import Overlay
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef
from twin.errors import TwinError
from twin.session import ReviewSession
from twin.store import load_design
from twin.store.telemetry import reading_times


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def _rack_mass(design) -> np.ndarray:
    parts = design.parts
    racked = parts.rack >= 0
    return np.bincount(parts.rack[racked], weights=design.part_types.mass_kg[parts.type[racked]],
                       minlength=len(design.racks))


def _weight_run(design, snapshot, settings) -> AnalysisResult:
    mass = _rack_mass(design)
    limit = float(settings["limit_kg"])
    findings = [Finding("warning", "rack-heavy", f"rack weighs {mass[r]:,.0f} kg", rack=int(r), value=float(mass[r]),
                        limit=limit, unit="kg", subject=str(design.racks.name[r]), analysis="weight")
                for r in np.flatnonzero(mass > limit)]
    rack = design.parts.rack
    per_part = np.where(rack >= 0, mass[np.maximum(rack, 0)], np.nan)
    return AnalysisResult("weight", findings, part_values={"rack_mass_kg": per_part})


def _weight_overlay(design, result: AnalysisResult) -> Overlay:
    values = result.part_values["rack_mass_kg"]
    return Overlay("weight", "Rack mass", "kg", values, 0.0, float(np.nanmax(values)), "viridis")


@pytest.fixture
def weight_plugin():
    """A real (small) analysis added the way a new one is: one register call each."""
    registry.register_analysis(Analysis("weight", "Rack weight", lambda d: None if len(d.racks) else "no racks",
                                        _weight_run, settings={"limit_kg": 1000.0},
                                        description="rack mass against a floor-load limit"))
    registry.register_overlay(OverlayDef("weight", "Weight", _weight_overlay, analysis="weight"))
    yield
    registry.unregister("weight")


def test_one_registration_reaches_every_consumer(weight_plugin, hall, hall_db, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")          # help on one line per option
    assert "weight" in registry.analysis_names() and "weight" in registry.overlay_names()
    assert registry.overlay_label("weight") == "Weight"
    session = ReviewSession(hall)
    heavy = [f for f in session.findings() if f.analysis == "weight"]
    expected = int((_rack_mass(hall) > 1000.0).sum())
    assert len(heavy) == expected > 0
    overlay = session.overlay("weight")
    assert overlay.values.shape == (len(hall.parts),)

    # the CLI grows a flag for it, and runs it with the others by default
    assert cli.main(["check", str(hall_db), "--weight", "--json"]) == 0
    only = json.loads(capsys.readouterr().out)
    assert set(only["analyses"]) == {"weight"} and len(only["findings"]) == expected
    assert cli.main(["check", str(hall_db), "--json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert {"thermal", "weight"} <= set(everything["analyses"])
    others = sum(a["findings"] for name, a in everything["analyses"].items() if name != "weight")
    assert len(everything["findings"]) == expected + others
    assert cli.main(["check", str(hall_db)]) == 0
    assert "rack weight check" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--weight run the rack weight checks (rack mass against a floor-load limit)" in help_text

    registry.unregister("weight")
    assert "weight" not in registry.analysis_names() and "weight" not in registry.overlay_names()


def test_check_names_an_unavailable_analysis(weight_plugin, tmp_path, pod_db, capsys):
    import shutil
    import sqlite3

    empty = tmp_path / "empty.twin.db"
    shutil.copy(pod_db, empty)
    with sqlite3.connect(empty) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        for table in ("cables", "ports", "readings", "sensors", "parts", "racks"):
            conn.execute(f"DELETE FROM {table}")
    assert cli.main(["check", str(empty), "--weight"]) == 1
    err = capsys.readouterr().err
    assert "Rack weight cannot run: no racks" in err and "--weight" in err
    assert cli.main(["check", str(empty), "--json"]) == 0            # by default: skipped, said why
    data = json.loads(capsys.readouterr().out)
    assert data["skipped"]["weight"] == "no racks"


def test_session_runs_each_analysis_once_per_moment(hall, hall_db):
    times = reading_times(hall_db)
    session = ReviewSession(hall, times[-1])
    first = session.result("thermal")
    session.findings()
    session.overlay("thermal")
    session.overlay("cooling")                 # built on the thermal result too
    session.part_rows(0)
    assert session.run_counts["thermal"] == 1 and set(session.run_counts.values()) == {1}   # others: once too
    assert session.result("thermal") is first
    session.set_time(times[3])
    early = session.overlay("thermal")
    session.findings()
    assert session.run_counts["thermal"] == 2 and early.label.endswith(times[3])
    for name, n in session.run_counts.items():             # once per moment when it reads sensors, else once
        assert n == (2 if registry.get_analysis(name).uses_readings else 1), name
    session.set_time(times[-1])                # back again: cached
    assert session.result("thermal") is first and session.run_counts["thermal"] == 2
    assert all(n <= 2 for n in session.run_counts.values())
    session.configure("thermal", ashrae_class="A2")       # other settings: a new run
    assert session.result("thermal") is not first and session.run_counts["thermal"] == 3
    with pytest.raises(TwinError, match="unknown setting"):
        session.configure("thermal", colour="red")


def test_analyses_that_ignore_readings_run_once_for_every_moment(weight_plugin, hall, hall_db):
    times = reading_times(hall_db)
    session = ReviewSession(hall)
    for ts in times[:5]:
        session.set_time(ts)
        session.findings(["weight"])
    assert session.run_counts == {"weight": 1}


def test_overlay_errors_name_the_choices(hall):
    session = ReviewSession(hall)
    with pytest.raises(ValueError, match="choose one of none, .*thermal"):
        session.overlay("sparkle")
    assert session.overlay("none") is None
