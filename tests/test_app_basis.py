"""The viewer's power basis (Overlay dock → Basis): every analysis runs on it, as `twin check --basis`.

Expectations: the findings the CLI prints for the same basis (another front end of the same
file), and a rack's IT power on the maximum basis summed by SQL from the catalog.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)

REPO = Path(__file__).resolve().parents[1]


def cli_findings(db: Path, basis: str) -> list[tuple[str, str, str]]:
    done = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--json", "--basis", basis],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    return sorted((f["severity"], f["code"], f["subject"]) for f in json.loads(done.stdout)["findings"])


def shown(window) -> list[tuple[str, str, str]]:  # noqa: F811
    return sorted((f.severity, f.code, f.subject) for f in window.findings.all_findings)


def b04_it_max_kw(db: Path) -> float:
    """B04's IT power on the maximum basis: each IT part's catalog maximum (its nominal where the
    catalog gives none), never below the part's own power_w (the schema's rule)."""
    not_it = ("rack", "power_shelf", "busbar", "busway", "pdu", "ups", "switchboard", "manifold", "cdu", "crah")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT t.power_max_w, t.power_nominal_w, p.power_w FROM parts p JOIN part_types t ON t.id = p.part_type_id "
            f"JOIN racks r ON r.id = p.rack_id WHERE r.name = 'B04' AND t.kind NOT IN ({','.join('?' * len(not_it))})",
            not_it).fetchall()
    total = 0.0
    for cat_max, nominal, own in rows:
        has_own = own is not None and own >= 0
        draw = own if has_own else (nominal or 0.0)             # what the part draws nominally
        most = cat_max if cat_max and cat_max > 0 else draw
        total += max(most, own) if has_own else most
    return total / 1000.0


def test_basis_choice_runs_every_analysis_on_it(qtbot, window, hall_db):  # noqa: F811
    nominal, maximum = cli_findings(hall_db, "nominal"), cli_findings(hall_db, "max")
    assert nominal != maximum                       # the basis changes the verdicts on this design
    open_and_wait(qtbot, window, hall_db)
    panel = window.overlays
    assert panel.basis.currentData() == "nominal" and window.view.basis == "nominal"
    assert shown(window) == nominal

    window.overlays.choose("power")
    qtbot.waitUntil(lambda: window.view.overlay_name == "power", timeout=5000)
    events: list[frozenset] = []
    window.view.changed.connect(events.append)
    panel.basis.setCurrentIndex(panel.basis.findData("max"))
    qtbot.waitUntil(lambda: window.view.basis == "max", timeout=10000)
    assert len(events) == 1 and {"basis", "overlay"} <= events[0]      # one event: drawn once
    assert shown(window) == maximum
    assert all(window.session.settings(n).get("basis") == "max" for n in ("thermal", "power"))
    assert window.view.overlay.name == "power"

    d = window.design
    window.select_parts([int((d.parts.rack == d.rack_index("B04")).nonzero()[0][0])])
    expected = b04_it_max_kw(hall_db)
    assert f"rack IT power / budget: {expected:,.1f} / 132.0 kW" in window.properties.text()
