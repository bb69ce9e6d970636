"""Findings: what an analysis tells a reviewer, shared by every analysis (thermal, power, cabling…).

A `Finding` is one problem (or note) with a severity, a stable machine code, a one-line
message with numbers and units, and where it is: the part / rack / cooling loop / cable it is
about (row indices into the design's tables, -1 for none) and a world xyz point the viewer
can fly to. `value` and `limit` carry the measured figure and the limit it broke (NaN where
there is no single figure), so exports and panels can sort and chart without parsing text.

Margin: how far a finding is past its limit, in its unit (`margin`) and as a share of the
limit (`margin_pct`), positive when past it. Most limits are ceilings; a finding whose limit
is a floor (inlet air below the allowable range, coolant flow below what the heat needs)
says so with `below=True`. Findings sort by severity, then by margin % (largest first), so
the rack 8 % over its budget stands above the busbars 3 % over their warning line. Which
severity each check gives when is one table: docs/severity.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Iterable, Sequence

import numpy as np

#: Severities, most severe first.
SEVERITIES = ("critical", "warning", "info")
_RANK = {name: i for i, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One finding. `severity` is 'critical', 'warning' or 'info'; `code` a short kebab-case id
    such as 'inlet-allowable' or 'cdu-capacity'; `message` one line a reviewer understands.

    `subject` names the thing the finding is about (a rack, loop or cable name) for lists and
    filters; `analysis` says which analysis produced it ('thermal', 'power', …).
    """

    severity: str
    code: str
    message: str
    part: int = -1
    rack: int = -1
    loop: int = -1
    cable: int = -1
    location: tuple[float, float, float] | None = None
    value: float = math.nan
    limit: float = math.nan
    unit: str = ""
    subject: str = ""
    analysis: str = ""
    below: bool = False

    def __post_init__(self) -> None:
        if self.severity not in _RANK:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {self.severity!r}")
        # conversions only where needed: analyses make thousands of findings on a big hall
        loc = self.location
        if loc is not None and not (type(loc) is tuple and len(loc) == 3 and all(type(v) is float for v in loc)):
            object.__setattr__(self, "location", tuple(float(v) for v in loc))
        for name in ("part", "rack", "loop", "cable"):
            if type(getattr(self, name)) is not int:
                object.__setattr__(self, name, int(getattr(self, name)))
        for name in ("value", "limit"):
            if type(getattr(self, name)) is not float:
                object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def margin(self) -> float:
        """How far past its limit, in `unit` (positive: past it); NaN without value and limit."""
        if not (math.isfinite(self.value) and math.isfinite(self.limit)):
            return math.nan
        return self.limit - self.value if self.below else self.value - self.limit

    @property
    def margin_pct(self) -> float:
        """`margin` as a percentage of the limit; NaN without a non-zero limit."""
        m = self.margin
        return math.nan if not math.isfinite(m) or self.limit == 0 else 100.0 * m / abs(self.limit)

    @property
    def rank(self) -> int:
        """0 for critical, 1 for warning, 2 for info (sort key: lower is more severe)."""
        return _RANK[self.severity]

    def to_text(self) -> str:
        """One terminal line: ``CRITICAL  inlet-allowable  A06: …``."""
        subject = f"{self.subject}: " if self.subject else ""
        return f"{self.severity.upper():<8}  {self.code:<18} {subject}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN becomes None; location a list or None)."""
        return {
            "severity": self.severity, "code": self.code, "analysis": self.analysis, "subject": self.subject,
            "message": self.message, "part": self.part, "rack": self.rack, "loop": self.loop,
            "cable": self.cable, "location": list(self.location) if self.location is not None else None,
            "value": _json_number(self.value), "limit": _json_number(self.limit), "unit": self.unit,
            "margin": _json_number(self.margin), "margin_pct": _json_number(self.margin_pct),
        }


def _json_number(x: float) -> float | None:
    return None if not math.isfinite(x) else x


def findings_from_columns(severity: str, code: str, messages: Sequence[str], subjects: Sequence[str], *,
                          analysis: str = "", unit: str = "", **columns: Any) -> list[Finding]:
    """Many findings of one severity and code at once, from equal-length columns (numpy arrays
    or lists) for `part`, `rack`, `loop`, `cable` (ints), `value`, `limit` (floats) and
    `location` ((n, 3) floats or None per row); missing columns take the defaults.

    Why: an analysis of a 2,000-rack hall can emit thousands of findings; validating and
    converting whole columns once, then filling each frozen instance directly, costs a
    fraction of building them one by one. The result equals `Finding(...)` row by row.
    """
    if severity not in _RANK:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    n = len(messages)
    unknown = set(columns) - {"part", "rack", "loop", "cable", "value", "limit", "location"}
    if unknown:
        raise TypeError(f"unknown finding columns: {', '.join(sorted(unknown))}")
    cols: dict[str, list[Any]] = {}
    for name in ("part", "rack", "loop", "cable"):
        if name in columns:
            cols[name] = np.asarray(columns[name]).astype(np.int64).tolist()      # Python ints
    for name in ("value", "limit"):
        if name in columns:
            cols[name] = np.asarray(columns[name], dtype=np.float64).tolist()
    if columns.get("location") is not None:
        loc = columns["location"]
        if isinstance(loc, list):
            cols["location"] = [None if v is None else tuple(float(x) for x in v) for v in loc]
        else:                                                                # (n, 3) array: Python floats
            cols["location"] = list(map(tuple, np.asarray(loc, dtype=np.float64).reshape(-1, 3).tolist()))
    if any(len(c) != n for c in cols.values()) or len(subjects) != n:
        raise ValueError("finding columns of unequal length")
    base = {f.name: f.default for f in fields(Finding)}
    base.update(severity=severity, code=code, unit=unit, analysis=analysis)
    keys = ("message", "subject", *cols)
    out = []
    new, setattr_ = object.__new__, object.__setattr__
    for row in zip(messages, [str(s) for s in subjects], *cols.values()):
        f = new(Finding)
        d = base.copy()
        d.update(zip(keys, row))
        setattr_(f, "__dict__", d)
        out.append(f)
    return out


def _sort_key(f: Finding) -> tuple[Any, ...]:
    pct = f.margin_pct
    return f.rank, -pct if math.isfinite(pct) else math.inf, f.code, f.subject


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; within a severity the largest margin % first (findings without a
    margin after those with one), then by code and subject."""
    return sorted(findings, key=_sort_key)


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """{'critical': n, 'warning': n, 'info': n} (every severity present, zero where none)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def worst_severity(findings: Iterable[Finding]) -> str | None:
    """The most severe severity among `findings`, or None when there are none."""
    ranks = [f.rank for f in findings]
    return SEVERITIES[min(ranks)] if ranks else None


def summary_line(findings: Iterable[Finding]) -> str:
    """'2 critical, 3 warnings, 0 info' style count line."""
    c = count_by_severity(findings)
    warn = "warning" if c["warning"] == 1 else "warnings"
    return f"{c['critical']} critical, {c['warning']} {warn}, {c['info']} info"


def findings_to_lines(findings: Iterable[Finding]) -> list[str]:
    """Sorted findings as terminal lines."""
    return [f.to_text() for f in sort_findings(findings)]


def findings_to_dicts(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Sorted findings as JSON-able dicts (for `json.dumps`, CSV writers, HTML reports)."""
    return [f.to_dict() for f in sort_findings(findings)]
