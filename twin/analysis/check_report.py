"""The text `twin check` prints: every finding of the run ranked together, then each
analysis's summary.

Why ranked together: a reviewer reads the top of the report. The findings of all analyses
are sorted as one list (severity, then margin past the limit), so the worst problems of the
site lead whichever analysis found them, and the per-analysis summaries (totals, busiest
loop, utility load) follow below them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from twin.analysis import registry
from twin.analysis.findings import findings_to_lines, summary_line

if TYPE_CHECKING:
    from twin.session import ReviewSession


def check_lines(session: "ReviewSession", names: Iterable[str], basis: str) -> list[str]:
    """Header (file, basis, moment), the ranked findings, then each analysis's summary lines
    (its own report without its finding lines, which are already listed above)."""
    names = list(names)
    results = session.results(names)
    findings = session.findings(names)
    ts = next((r.reading_ts for r in results.values() if r.reading_ts), None)
    when = f"readings at {ts}" if ts else "no readings used"
    lines = [f"twin check of {session.design.source} ({basis} basis, {when})",
             f"  findings: {summary_line(findings)}"]
    lines += ["  " + line for line in findings_to_lines(findings)]
    for name, result in results.items():
        analysis = registry.get_analysis(name)
        listed = {"  " + line for line in findings_to_lines(result.findings)}
        if analysis.report is not None:
            lines += [line for line in analysis.report(session.design, result) if line not in listed]
        else:
            lines += [f"{analysis.label.lower()} check of {session.design.source}",
                      f"  findings: {summary_line(result.findings)}"]
    return lines
