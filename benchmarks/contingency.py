"""N-1 sweep speed: the vectorised sweep against the naive loop of full scenario analyses.

For each scene: every UPS module, busway, CDU and CRAH failed in turn, (a) by
`twin.analysis.contingency.sweep` (one set of matrix steps per kind) and (b), as the baseline
in the same run, the naive way: apply the failure as a scenario and re-run the power, thermal
and what-if analyses through the review session, element by element. On hall-2000 the naive
loop runs over a sample of elements of each kind and is scaled to all of them (running every
one would take many minutes); the sample's outcomes are checked equal to the sweep's.
Target (hall-2000, 2 cores): the sweep ≤ 10 s. Wall and process CPU time are both given, with
the load average: on a shared machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table, scene_db  # noqa: E402

KINDS = ("ups", "busway", "cdu", "crah")
#: Elements per kind the naive loop runs on a big scene (all of them on the small ones).
SAMPLE = {"ai-hall": None, "hall-2000": 4}


def measure(name: str) -> list[str]:
    import numpy as np

    from twin.analysis.contingency import elements, sweep
    from twin.analysis.contingency_report import baseline_outcome, naive_sweep, new_only
    from twin.session import ReviewSession
    from twin.store import load_design

    design = load_design(scene_db(name))
    session = ReviewSession(design)
    power, thermal = session.result("power").detail, session.result("thermal").detail
    counts = {k: len(elements(design, k)[0]) for k in KINDS}
    total = sum(counts.values())
    wall, cpu = time.perf_counter(), time.process_time()
    fast = sweep(design, power, thermal, KINDS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sample = SAMPLE[name]
    only = None
    if sample is not None:
        only = set()
        for k in KINDS:
            nodes, parts = elements(design, k)
            names = (np.asarray(design.power_nodes.name, object)[nodes] if k in ("ups", "busway")
                     else np.asarray(design.parts.name, object)[parts])
            only |= {str(n) for n in names[np.linspace(0, len(names) - 1, min(sample, len(names))).astype(int)]}
    n_wall, n_cpu = time.perf_counter(), time.process_time()
    slow = naive_sweep(session, KINDS, only=only)
    n_wall, n_cpu = time.perf_counter() - n_wall, time.process_time() - n_cpu
    by = {o.element: o.to_dict() for o in fast}
    same = all(by[o.element] == o.to_dict() for o in slow)
    scale = total / max(len(slow), 1)
    return [name, ", ".join(f"{counts[k]} {k}" for k in KINDS), f"{wall:.2f} s", f"{cpu:.2f} s",
            f"{n_wall * scale:.1f} s" + ("" if sample is None else f" (×{scale:.0f} of {len(slow)})"),
            f"{n_cpu * scale:.1f} s", f"{n_wall * scale / wall:.0f}×", "yes" if same else "NO",
            f"{sum(new_only(o, baseline_outcome(design, power, thermal)).critical for o in fast)}"]


def main() -> None:
    load = os.getloadavg()
    rows = [measure(name) for name in ("ai-hall", "hall-2000")]
    print_table(f"N-1 sweep (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; target hall-2000 ≤ 10 s)",
                ["scene", "elements", "sweep wall", "sweep CPU", "naive wall", "naive CPU", "ratio", "equal",
                 "critical (new)"], rows)


if __name__ == "__main__":
    main()
