"""What a scenario changes against the design as it is: findings that appear, worsen or go,
and the figures that move most (power-node and loop utilisation, rack inlet air).

Why its own module: `twin compare FILE --scenario NAME` and the report ask the same question
of two sets of analysis results, the baseline's and the scenario's; the comparison is plain
arithmetic on those results, so it lives beside the scenario rules and knows no session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from twin.analysis.findings import Finding, sort_findings
from twin.analysis.registry import AnalysisResult
from twin.model import Design

#: Figures listed per table, largest change first.
TOP = 10


def finding_key(f: Finding) -> tuple[str, str, str]:
    """What makes two findings the same problem in two runs: analysis, code and subject."""
    return f.analysis, f.code, f.subject


@dataclass
class ScenarioDelta:
    """`added`: findings only under the scenario (or now more severe); `gone`: only in the
    baseline; `worse`: present in both but further past the limit. `figures`: name →
    rows of (subject, baseline, scenario, unit)."""

    scenario: str
    added: list[Finding] = field(default_factory=list)
    gone: list[Finding] = field(default_factory=list)
    worse: list[tuple[Finding, Finding]] = field(default_factory=list)
    figures: dict[str, list[tuple[str, float, float, str]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def f(x: Finding) -> dict[str, Any]:
            return {"severity": x.severity, "code": x.code, "subject": x.subject, "message": x.message,
                    "analysis": x.analysis}
        return {"scenario": self.scenario, "added": [f(x) for x in self.added], "gone": [f(x) for x in self.gone],
                "worse": [{"baseline": f(a), "scenario": f(b)} for a, b in self.worse],
                "figures": {k: [{"subject": s, "baseline": _num(a), "scenario": _num(b), "unit": u} for s, a, b, u in v]
                            for k, v in self.figures.items()}}


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def compare_results(design: Design, scenario: str, base: Mapping[str, AnalysisResult],
                    under: Mapping[str, AnalysisResult]) -> ScenarioDelta:
    """The delta of the module doc between baseline results `base` and scenario results `under`."""
    out = ScenarioDelta(scenario)
    before = {finding_key(f): f for r in base.values() for f in r.findings}
    after = {finding_key(f): f for r in under.values() for f in r.findings}
    for key, f in after.items():
        old = before.get(key)
        if old is None or f.rank < old.rank:
            out.added.append(f)
        elif math.isfinite(f.margin) and math.isfinite(old.margin) and f.margin > old.margin + 1e-9:
            out.worse.append((old, f))
    out.gone = sort_findings(f for key, f in before.items() if key not in after)
    out.added = sort_findings(out.added)
    if "power" in base and "power" in under:
        a, b = base["power"].detail.nodes, under["power"].detail.nodes
        out.figures["power node utilisation"] = _top(design.power_nodes.name, a.utilization * 100,
                                                     b.utilization * 100, "%")
    if "thermal" in base and "thermal" in under:
        a, b = base["thermal"].detail, under["thermal"].detail
        out.figures["loop utilisation"] = _top(design.cooling_loops.name, a.loops.utilisation * 100,
                                               b.loops.utilisation * 100, "%")
        out.figures["rack outlet air"] = _top(design.racks.name, a.racks.outlet_c, b.racks.outlet_c, "°C")
    return out


def _top(names: np.ndarray, a: np.ndarray, b: np.ndarray, unit: str) -> list[tuple[str, float, float, str]]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    change = np.abs(np.nan_to_num(b, nan=0.0) - np.nan_to_num(a, nan=0.0))
    moved = np.flatnonzero(change > 1e-6)
    order = moved[np.argsort(-change[moved], kind="stable")][:TOP]
    return [(str(names[i]), float(a[i]), float(b[i]), unit) for i in order]


def delta_lines(delta: ScenarioDelta) -> list[str]:
    """`twin compare FILE --scenario NAME` as text."""
    lines = [f"scenario {delta.scenario!r} against the design as it is",
             f"  {len(delta.added)} findings appear or grow more severe, {len(delta.worse)} worsen, "
             f"{len(delta.gone)} go away"]
    for f in delta.added:
        lines.append(f"  + {f.severity.upper():8}  {f.code:18} {f.subject}: {f.message}")
    for old, f in delta.worse:
        lines.append(f"  ~ {f.severity.upper():8}  {f.code:18} {f.subject}: {f.message} (was: {old.message})")
    for f in delta.gone:
        lines.append(f"  - {f.severity.upper():8}  {f.code:18} {f.subject}: {f.message}")
    for title, rows in delta.figures.items():
        if rows:
            lines.append(f"  {title} (largest changes):")
            for subject, a, b, unit in rows:
                lines.append(f"    {subject:24} {a:10.1f} → {b:10.1f} {unit}  ({b - a:+.1f})")
    return lines
