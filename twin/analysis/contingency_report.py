"""`twin contingency`: the N-1 table, a verdict per kind, and the naive loop it is checked against.

The verdict follows Uptime's two questions (DESIGN.md §4): an element is concurrently
maintainable when taking it out (failed or in maintenance, the same thing to the design)
causes no critical consequence; a kind passes when every element of it does.

`naive_sweep` applies each failure as a full scenario and runs every analysis (the session's
path), reading the same consequences from their results. It is the reference the vectorised
`contingency.sweep` is tested against, and the baseline of the benchmark.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from twin.analysis.contingency import DEFAULT_KINDS, KINDS, Outcome, elements
from twin.analysis.findings import SEVERITIES
from twin.analysis.registry import AnalysisResult
from twin.analysis.scenario import effect_of
from twin.model import Design
from twin.model.scenario import failure

#: How each kind is named in a verdict.
KIND_LABELS = {"ups": "UPS module", "busway": "busway", "switchboard": "switchboard", "cdu": "CDU",
               "crah": "CRAH", "switch": "network switch"}


def outcome_from_results(design: Design, kind: str, name: str, under: dict[str, AnalysisResult]) -> Outcome:
    """The consequences of one failure, read from the full analyses run under it."""
    d = under["power"].detail.nodes if "power" in under else None
    thermal = under["thermal"].detail if "thermal" in under else None
    whatif = under["whatif"]
    effect = effect_of_result(whatif)
    racks = np.asarray(design.racks.name, object)
    loops = np.asarray(design.cooling_loops.name, object)
    with np.errstate(invalid="ignore"):
        over_nodes = np.asarray(d.utilization > 1.0) if d is not None else np.zeros(len(design.power_nodes), bool)
    if thermal is not None:
        L = thermal.loops
        over_loops = (np.asarray(L.capacity_w) > 1e-9) & (np.asarray(L.heat_w) > np.asarray(L.capacity_w) * (1 + 1e-12))
    else:
        over_loops = np.zeros(len(loops), bool)
    lost_loops = {f.subject for f in whatif.findings if f.code == "cooling-lost"}
    over_inlet = _over_inlet(thermal, len(racks)) & ~effect.lost_power
    return Outcome(name, kind, [str(v) for v in racks[effect.lost_power]],
                   [str(v) for v in np.asarray(design.power_nodes.name, object)[over_nodes]],
                   [str(v) for v in loops[over_loops]], [str(v) for v in loops if v in lost_loops],
                   [str(v) for v in racks[effect.isolated]], [str(v) for v in racks[over_inlet]])


def _over_inlet(thermal: Any, n_racks: int) -> np.ndarray:
    """Racks whose inlet is above their allowable limit (the thermal result's own figures)."""
    if thermal is None:
        return np.zeros(n_racks, bool)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.asarray(thermal.racks.inlet_c) > np.asarray(thermal.racks.allowable_high_c))


def effect_of_result(result: AnalysisResult) -> Any:
    return result.detail


def naive_sweep(session: Any, kinds: Iterable[str] = DEFAULT_KINDS, only: set[str] | None = None) -> list[Outcome]:
    """Each element failed as a full scenario, every analysis re-run (slow; the reference);
    `only`: just the elements of these names."""
    design = session.design
    out = []
    before = session.scenario
    try:
        for kind in kinds:
            nodes, parts = elements(design, kind)
            names = (np.asarray(design.power_nodes.name, object)[nodes] if KINDS[kind][0] == "node"
                     else np.asarray(design.parts.name, object)[parts])
            for name in names.tolist():
                if only is not None and name not in only:
                    continue
                session.set_scenario(failure(str(name)))
                under = {n: session.result(n) for n in ("power", "thermal", "whatif")
                         if session.available().get(n) is None}
                assert effect_of(session.analysis_design()) is not None
                out.append(outcome_from_results(design, kind, str(name), under))
    finally:
        session.set_scenario(before)
    return out


def baseline_outcome(design: Design, power: Any, thermal: Any) -> Outcome:
    """What is over capacity before anything fails (a consequence already there is not the failure's)."""
    with np.errstate(invalid="ignore"):
        over_nodes = np.asarray(power.nodes.utilization > 1.0)
    L = thermal.loops
    over_loops = (np.asarray(L.capacity_w) > 1e-9) & (np.asarray(L.heat_w) > np.asarray(L.capacity_w) * (1 + 1e-12))
    return Outcome("baseline", "", [], [str(v) for v in np.asarray(design.power_nodes.name, object)[over_nodes]],
                   [str(v) for v in np.asarray(design.cooling_loops.name, object)[over_loops]],
                   over_inlet=[str(v) for v in np.asarray(design.racks.name, object)[_over_inlet(thermal, len(design.racks))]])


def new_only(outcome: Outcome, baseline: Outcome) -> Outcome:
    """`outcome` without what the baseline already suffers (nodes and loops over capacity as built)."""
    return Outcome(outcome.element, outcome.kind, outcome.lost_power,
                   [n for n in outcome.over_nodes if n not in baseline.over_nodes],
                   [n for n in outcome.over_loops if n not in baseline.over_loops], outcome.lost_loops,
                   outcome.isolated, [n for n in outcome.over_inlet if n not in baseline.over_inlet])


def verdicts(outcomes: list[Outcome], kinds: Iterable[str]) -> dict[str, list[str]]:
    """Per kind, the elements whose single failure causes a critical consequence (empty: every one survives)."""
    return {k: [o.element for o in outcomes if o.kind == k and o.critical] for k in kinds}


def _few(names: list[str], n: int = 4) -> str:
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")


def causes(o: Outcome) -> str:
    parts = []
    if o.lost_power:
        parts.append(f"{len(o.lost_power)} racks lose power ({_few(o.lost_power)})")
    if o.over_nodes:
        parts.append(f"over capacity: {_few(o.over_nodes)}")
    if o.over_loops:
        parts.append(f"loops over capacity: {_few(o.over_loops)}")
    if o.lost_loops:
        parts.append(f"loops lose cooling: {_few(o.lost_loops)}")
    if o.isolated:
        parts.append(f"{len(o.isolated)} racks cut off the network ({_few(o.isolated)})")
    if o.over_inlet:
        parts.append(f"{len(o.over_inlet)} racks over their inlet limit ({_few(o.over_inlet)})")
    return "; ".join(parts)


def report_lines(source: Any, outcomes: list[Outcome], kinds: Iterable[str], counts: dict[str, int]) -> list[str]:
    """The table of single points of failure, then the verdicts."""
    kinds = list(kinds)
    bad = [o for o in outcomes if o.critical]
    lines = [f"twin contingency of {source}: N-1 over {', '.join(f'{counts[k]} {k}' for k in kinds)}",
             f"  {len(bad)} of {len(outcomes)} single failures cause a critical finding"]
    width = max([len(o.element) for o in bad] + [7])
    for o in bad:
        lines.append(f"  CRITICAL  {o.element:{width}}  {causes(o)}")
    ok = [k for k in kinds if counts[k] and not any(o.kind == k and o.critical for o in outcomes)]
    labels = ", ".join(f"every {KIND_LABELS[k]}" for k in ok) or "none of the kinds swept"
    not_ok = []
    for k in kinds:
        names = [o.element for o in bad if o.kind == k]
        if names:
            how = "every" if len(names) == counts[k] else f"{len(names)} of {counts[k]}"
            label = KIND_LABELS[k] + ("s" if how != "every" and counts[k] > 1 else "")
            not_ok.append(f"{how} {label} ({_few(names, 6)})")
    lines.append(f"  concurrently maintainable: {labels}" + (f"; not: {'; '.join(not_ok)}" if not_ok else ""))
    for k in kinds:
        if not counts[k]:
            lines.append(f"  ({KIND_LABELS[k]}: none in this design)")
    return lines


def exit_code(outcomes: list[Outcome], fail_on: str) -> int:
    """1 when a single failure causes a finding at least `fail_on` severe (every consequence here is critical)."""
    if fail_on == "never":
        return 0
    return 1 if any(o.critical for o in outcomes) and SEVERITIES.index(fail_on) >= 0 else 0
