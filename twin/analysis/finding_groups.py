"""Findings grouped by code, with counts: what a reviewer decides on first.

Why: a hall of 64 racks gives 80 busbars at 83 % of their rating, one warning each; listed one
by one they bury the rack 4.5 % over its budget. Grouped by (severity, code), the groups
ranked by severity and then by their worst margin, a reviewer reads twenty lines, one per
kind of problem, each with its count and its worst case, and expands a group to see each.
One home: the viewer's Findings dock, `twin check` and the HTML report all group here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from twin.analysis.findings import Finding, sort_findings


@dataclass(frozen=True)
class FindingGroup:
    """The findings of one severity and code, worst first (`findings[0]` is the worst)."""

    severity: str
    code: str
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def worst(self) -> Finding:
        return self.findings[0]

    @property
    def rank(self) -> int:
        return self.worst.rank

    def subjects(self, limit: int = 4) -> str:
        """The first `limit` subjects, worst first, and how many more: 'B04, B05 +3'."""
        names = [f.subject for f in self.findings if f.subject]
        head = ", ".join(names[:limit])
        return head + (f" +{len(names) - limit}" if len(names) > limit else "")

    def margin_text(self) -> str:
        """The worst margin past the limit as text ('+4.5 %'), '' where the findings carry none."""
        pct = self.worst.margin_pct
        return f"{pct:+.1f} %" if math.isfinite(pct) else ""

    def to_text(self, width: int = 90) -> str:
        """One terminal line: severity, code, count, worst margin and the worst finding's message
        (cut at `width`); no CAPS severity: the finding lines below it are the ones in capitals."""
        worst = self.worst
        subject = f"{worst.subject}: " if worst.subject else ""
        text = subject + worst.message
        text = text if len(text) <= width else text[:width - 1] + "…"
        more = f"  (+{self.count - 1} more)" if self.count > 1 else ""
        return f"{self.severity:<8}  {self.code:<18} ×{self.count:<4} {self.margin_text():>9}  {text}{more}"


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Findings grouped by (severity, code), each group worst first, the groups ordered by
    severity, then by their worst finding's margin % (largest first; none last), then code."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in sort_findings(findings):
        groups.setdefault((f.severity, f.code), []).append(f)
    out = [FindingGroup(sev, code, tuple(members)) for (sev, code), members in groups.items()]

    def key(g: FindingGroup) -> tuple[int, float, str]:
        pct = g.worst.margin_pct
        return g.rank, -pct if math.isfinite(pct) else math.inf, g.code

    return sorted(out, key=key)


def group_lines(findings: Iterable[Finding]) -> list[str]:
    """The grouped findings as terminal lines, one per group."""
    return [g.to_text() for g in group_findings(findings)]
