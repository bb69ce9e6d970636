"""The power roll-up under a scenario: a failed node's load moves to its redundancy partners.

Why here and not in `power_tree.roll_up`: which nodes are off and who carries them is the
scenario's rule (`twin.analysis.scenario.energise`, `transfers`); the power analysis only
asks this module to roll loads up, and outside a scenario gets the plain roll-up.

A carried node still collects what its subtree draws, but draws nothing from its own parent;
that load is added, share by share, to what its partners deliver, and rolls up from there.
Partners never sit under the node they carry, so a second pass is exact for one failure; a
few more settle chains of carried nodes.
"""

from __future__ import annotations

import numpy as np

from twin.analysis import power_tree
from twin.model import Design


def roll_up(design: Design, tree: power_tree.PowerTree, direct: np.ndarray,
            efficiency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(output, input) per node as `power_tree.roll_up`, with a scenario's transfers applied."""
    from twin.analysis.scenario import effect_of

    effect = effect_of(design)
    if effect is None or not len(effect.transfer[0]):
        return power_tree.roll_up(tree, direct, efficiency)
    src, dst, share = effect.transfer
    cut = np.zeros(tree.n, bool)
    cut[src] = True
    extra = np.zeros_like(np.asarray(direct, float))
    out, inp = power_tree.roll_up(tree, direct, efficiency, cut)
    for _ in range(len(src) + 1):
        moved = np.zeros_like(extra)
        np.add.at(moved, dst, out[src] * share[:, None])
        if np.allclose(moved, extra):
            break
        extra = moved
        out, inp = power_tree.roll_up(tree, direct + extra, efficiency, cut)
    out, inp = out.copy(), inp.copy()
    out[cut] = 0.0
    inp[cut] = 0.0
    return out, inp
