"""Findings grouped by code with counts, worst first: in `twin check` (a real subprocess), in the
HTML report's first section and in the viewer's Findings dock (real widgets under Xvfb).

The expected groups are counted here from `twin check --json` (every finding, one by one) with
a Counter, and their order from each finding's value and limit by hand: severity first, then
the worst margin past the limit as a share of it.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections import Counter

import pytest

from twin.analysis.findings import SEVERITIES

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@pytest.fixture(scope="module")
def grouped_db(hall_db, tmp_path_factory):
    """ai-hall with the racks of rows A-D budgeted at 60 % of their design: many findings of one
    code (rack-over-budget), so a group has something to count (the sized ai-hall has one of each)."""
    from tests.support import edited
    return edited(hall_db, tmp_path_factory.mktemp("grouped"),
                  "UPDATE racks SET power_budget_w = power_budget_w * 0.6 WHERE substr(name, 1, 1) IN ('A', 'B', 'C', 'D')")


@pytest.fixture(scope="module")
def checked(grouped_db):
    hall_db = grouped_db
    run = [sys.executable, "-m", "twin", "check"]
    as_json = subprocess.run(run + ["--json", str(hall_db)], capture_output=True, text=True, timeout=300)
    text = subprocess.run(run + [str(hall_db)], capture_output=True, text=True, timeout=300)
    assert as_json.returncode in (0, 1) and text.returncode in (0, 1), as_json.stderr + text.stderr
    return json.loads(as_json.stdout)["findings"], text.stdout.splitlines()


def margin_pct(f: dict) -> float:
    if f["value"] is None or f["limit"] is None or f["limit"] == 0:
        return math.nan
    past = f["limit"] - f["value"] if f["code"] == "coolant-flow" else f["value"] - f["limit"]   # a floor
    return 100 * past / abs(f["limit"])


def expected_groups(findings: list[dict]) -> list[tuple[str, str, int]]:
    """(severity, code, count) in the order a reviewer should read them."""
    counts = Counter((f["severity"], f["code"]) for f in findings)
    worst: dict[tuple[str, str], float] = {}
    for f in findings:
        m = margin_pct(f)
        key = (f["severity"], f["code"])
        if math.isfinite(m):
            worst[key] = max(worst.get(key, -math.inf), m)

    def order(key):
        m = worst.get(key, math.nan)
        return SEVERITY_RANK[key[0]], -m if math.isfinite(m) else math.inf, key[1]

    return [(sev, code, counts[(sev, code)]) for sev, code in sorted(counts, key=order)]


def test_twin_check_leads_with_one_line_per_code_worst_first(checked):
    findings, lines = checked
    groups = expected_groups(findings)
    assert any(n > 10 for _, _, n in groups)               # racks over budget: many findings, one line
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("by code"))
    end = next(i for i, ln in enumerate(lines) if ln.strip().startswith("every finding"))
    first_finding = next(i for i, ln in enumerate(lines) if re.match(r"\s+(CRITICAL|WARNING|INFO)\s", ln))
    assert start < end < first_finding
    shown = []
    for line in lines[start + 1:end]:
        m = re.match(r"\s+(critical|warning|info)\s+(\S+)\s+×(\d+)\s", line)
        assert m, line
        shown.append((m.group(1), m.group(2), int(m.group(3))))
    assert shown == groups
    # every finding is still listed below, one line each
    assert sum(1 for ln in lines if re.match(r"\s+(CRITICAL|WARNING|INFO)\s", ln)) == len(findings)


def test_the_report_opens_with_what_to_decide(checked, grouped_db):
    hall_db = grouped_db
    from twin.export.report import report_html
    from twin.session import ReviewSession
    from twin.store import load_design

    findings, _ = checked
    page = report_html(ReviewSession(load_design(hall_db)), [])
    decide, summary, listed = page.index("<h2>To decide</h2>"), page.index("<h2>Summary</h2>"), page.index(
        "<h2>Findings</h2>")
    assert decide < summary < listed
    groups = re.findall(r'<details class="group" data-code="([^"]+)" data-count="(\d+)"><summary><span class="sev '
                        r'(\w+)">', page[decide:summary])
    assert [(sev, code, int(n)) for code, n, sev in groups] == expected_groups(findings)


def test_findings_dock_groups_codes_with_counts(qtbot, tmp_path, grouped_db, checked):
    hall_db = grouped_db
    from tests.support import shown_window

    findings, _ = checked
    win = shown_window(qtbot, tmp_path)
    win.open_file(hall_db)
    qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
    try:
        panel = win.findings
        rows = [panel.list.topLevelItem(i) for i in range(panel.list.topLevelItemCount())]
        shown = [(r.text(0), r.text(1), r.childCount() or 1) for r in rows]
        assert shown == expected_groups(findings)
        for row in rows:
            if row.childCount():
                assert row.text(2).startswith(f"×{row.childCount()}")
                assert not row.isExpanded()                     # closed until the reviewer opens it
        assert len(panel.finding_items()) == len(findings)
        # a group opens to its findings; activating one flies there, a group's own row does not
        group = panel.group_items()[0]
        group.setExpanded(True)
        child = group.child(0)
        got = []
        panel.findingActivated.connect(got.append)
        panel.list.itemActivated.emit(group, 0)
        panel.list.itemActivated.emit(child, 0)
        assert got == [panel.finding(child)]
    finally:
        win.loader.cancel()
        win.loader.wait()
