"""The HTML report's N-1 section: which single failures cause a critical finding, and a verdict per kind.

The same sweep and words as `twin contingency` (twin.analysis.contingency and
contingency_report), laid out as a table for the review meeting.
"""

from __future__ import annotations

import html
from typing import Any, Callable

from twin.analysis.contingency import DEFAULT_KINDS, elements, sweep
from twin.analysis.contingency_report import KIND_LABELS, baseline_outcome, causes, new_only
from twin.session import ReviewSession


def contingency_html(session: ReviewSession, table: Callable[..., str]) -> str:
    """The section as HTML (`table`: the report's escaping table builder)."""
    out = ["<h2>N-1 contingency</h2>"]
    available = session.available()
    missing = [f"{n}: {available[n]}" for n in ("power", "thermal") if available.get(n)]
    if missing:
        return out[0] + f'<p class="muted">Not run: {html.escape("; ".join(missing))}</p>'
    design = session.design
    power, thermal = session.result("power", scenario=None).detail, session.result("thermal", scenario=None).detail
    base = baseline_outcome(design, power, thermal)
    outcomes = [new_only(o, base) for o in sweep(design, power, thermal, DEFAULT_KINDS)]
    rows: list[dict[str, Any]] = []
    verdict = []
    for kind in DEFAULT_KINDS:
        n = len(elements(design, kind)[0])
        bad = [o for o in outcomes if o.kind == kind and o.critical]
        label = KIND_LABELS[kind]
        if not n:
            continue
        verdict.append({"kind": label, "elements": n, "single points of failure": len(bad),
                        "verdict": "concurrently maintainable" if not bad else
                        "not: " + ", ".join(o.element for o in bad[:12]) + (" …" if len(bad) > 12 else "")})
        rows += [{"severity": "critical", "element": o.element, "kind": label, "its failure causes": causes(o)}
                 for o in bad]
    out.append("<p>Every element of each kind failed in turn (or taken out for maintenance): concurrently "
               "maintainable when no single one causes a critical finding.</p>")
    out.append(table(("kind", "elements", "single points of failure", "verdict"), verdict,
                     numeric=("elements", "single points of failure")))
    if rows:
        out.append(table(("severity", "element", "kind", "its failure causes"), rows))
    return "\n".join(out)
