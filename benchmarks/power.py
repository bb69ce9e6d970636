"""Power analysis speed: the vectorised roll-up against a per-node Python roll-up, and the trace.

For each sample scene: the whole power analysis (roll-up on three bases, redundancy,
findings, drawable places) and, as the baseline in the same run, the way a typical DCIM
script adds loads up a tree: a dict of children and a recursive sum per node over Python
lists of parts (numbers only, no findings), so the ratio is baseline / twin. Then the trace
of one compute tray to the utility (the pure function), and the trace shown in the 3D scene
(highlight when the scene has one, else a selection) plus one frame at 1280x720.
Targets (hall-2000): analysis ≤ 50 ms; trace ≤ 20 ms + one frame. The whole analysis is also
given as process CPU time: on a busy shared machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SCENES, median_cpu_time, median_time, print_table, scene_db  # noqa: E402


def python_roll_up(design, loads) -> list[dict[int, float]]:
    """The baseline: per-node recursion over Python lists, as scripts over DCIM exports do,
    once per basis (nominal, max, measured) like the analysis."""
    return [_python_roll_up(design, loads[:, j].tolist()) for j in range(loads.shape[1])]


def _python_roll_up(design, power: list[float]) -> dict[int, float]:
    nodes, parts = design.power_nodes, design.parts
    feed = parts.power_node.tolist()
    direct: dict[int, float] = {}
    for p, node in enumerate(feed):
        if node >= 0:
            direct[node] = direct.get(node, 0.0) + power[p]
    children: dict[int, list[int]] = {}
    for i, parent in enumerate(nodes.parent.tolist()):
        children.setdefault(parent, []).append(i)
    sys.setrecursionlimit(10_000)

    def load(i: int) -> float:
        return direct.get(i, 0.0) + sum(load(c) for c in children.get(i, []))

    return {i: load(i) for i in range(len(nodes))}


def measure(name: str) -> list[str]:
    """One table row: the analysis, its roll-up against the baseline, and the trace of one tray."""
    import numpy as np

    from twin.analysis import power_tree
    from twin.analysis.power import analyse_power, part_loads
    from twin.analysis.power_overlay import power_overlay
    from twin.analysis.registry import AnalysisResult
    from twin.scene import Scene
    from twin.store import load_design

    design = load_design(scene_db(name))
    result = analyse_power(design)
    twin_s = median_time(lambda: analyse_power(design), 7)
    twin_cpu = median_cpu_time(lambda: analyse_power(design), 7)
    loads = part_loads(design, None)[0]

    def roll_up() -> None:
        tree = power_tree.build_tree(design)
        power_tree.roll_up(tree, power_tree.direct_loads(design, part_loads(design, None)[0]),
                           np.full(len(design.power_nodes), np.nan))
    roll_s = median_time(roll_up, 7)
    base_s = median_time(lambda: python_roll_up(design, loads), 3)
    tray = int(np.flatnonzero(design.part_kind() == "compute_tray")[len(design.racks) // 2])
    trace_s = median_time(lambda: result.trace(design, part=tray), 7)
    scene = Scene(design, size=(1280, 720))
    scene.set_overlay(power_overlay(design, AnalysisResult("power", detail=result)))
    scene.lod.update(force=True)
    scene.render()
    trace = result.trace(design, part=tray)
    via = "highlight" if hasattr(scene, "highlight") else "select"

    def show() -> None:
        t = result.trace(design, part=tray)
        if via == "highlight":
            scene.state.clear_highlight()
            scene.state.highlight(parts=t.parts, cables=t.cables)
        else:
            scene.state.select(t.parts)
        scene.render()
    shown_s = median_time(show, 5)
    frame_s = median_time(scene.render, 5)
    scene.detach()
    return [name, f"{len(design.power_nodes):,}", f"{len(design.parts):,}", f"{len(result.findings):,}",
            f"{twin_s * 1000:.1f} ms", f"{twin_cpu * 1000:.1f} ms", f"{roll_s * 1000:.1f} ms",
            f"{base_s * 1000:.1f} ms", f"{base_s / roll_s:.1f}x",
            f"{trace_s * 1000:.2f} ms ({len(trace.nodes)} nodes, {len(trace.parts)} parts)",
            f"{shown_s * 1000:.0f} ms (frame {frame_s * 1000:.0f} ms)", via]


def main() -> None:
    import os

    rows = [measure(name) for name in SCENES]
    print_table("Power analysis (medians; roll-up: tree + loads on three bases; baseline: the same roll-up as "
                "per-node Python recursion)",
                ["scene", "nodes", "parts", "findings", "whole analysis", "(CPU time)", "roll-up", "baseline roll-up",
                 "speed-up", "trace", "trace shown + frame", "3D via"], rows)
    print(f"load average during the run: {', '.join(f'{v:.1f}' for v in os.getloadavg())} (2 cores)")
    print("targets (hall-2000): analysis ≤ 50 ms; trace ≤ 20 ms + one frame")


if __name__ == "__main__":
    main()
