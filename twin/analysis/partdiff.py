"""What changed between two designs, part by part (matched by part name).

A part is *added* when only the new design has a part of that name, *removed* when only the
baseline has it, and *changed* when both have it but its catalog type, position (more than
1 mm), yaw or power draw differ. Numpy set operations on the name columns: no loop over parts.
The diff overlay colours each side's parts by what happened to them (unchanged parts stay grey).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.analysis.overlays import Overlay
from twin.model import Design

#: Legend order of the diff overlay (the same on both sides, so colours mean one thing).
DIFF_CATEGORIES = ("added", "removed", "changed")
#: Their colours (Okabe–Ito: bluish green, vermillion, blue), told apart by colour-blind reviewers too.
DIFF_RGB = ((0, 158, 115), (213, 94, 0), (0, 114, 178))
POSITION_TOLERANCE_M = 1e-3


@dataclass
class PartDiff:
    """Row indices: `added` into the new design's parts, `removed` into the baseline's, and
    `changed_new` / `changed_old` (pairs, same order) into each. `reasons[i]` says what changed
    for the i-th changed pair ('type', 'position', 'yaw', 'power', joined by '+')."""

    added: np.ndarray
    removed: np.ndarray
    changed_new: np.ndarray
    changed_old: np.ndarray
    reasons: list[str]
    unchanged: int

    def to_dict(self, old: Design, new: Design, limit: int | None = None) -> dict[str, Any]:
        """Counts and part names (the first `limit` of each list; all when None)."""
        cut = slice(None, limit)
        return {
            "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed_new),
                       "unchanged": self.unchanged},
            "added": new.parts.name[self.added][cut].tolist(),
            "removed": old.parts.name[self.removed][cut].tolist(),
            "changed": [{"part": n, "what": w} for n, w in
                        zip(new.parts.name[self.changed_new][cut].tolist(), self.reasons[cut])],
        }


def diff_parts(old: Design, new: Design) -> PartDiff:
    """Added, removed and changed parts of `new` against the baseline `old`, by part name."""
    old_names = old.parts.name.astype(str)
    new_names = new.parts.name.astype(str)
    common, i_old, i_new = np.intersect1d(old_names, new_names, assume_unique=False, return_indices=True)
    only_new = np.ones(len(new_names), bool)
    only_new[i_new] = False
    only_old = np.ones(len(old_names), bool)
    only_old[i_old] = False
    added, removed = np.flatnonzero(only_new), np.flatnonzero(only_old)
    new_type = {name: i for i, name in enumerate(new.part_types.name.tolist())}      # catalog rows, not parts
    old_to_new = np.array([new_type.get(name, -1) for name in old.part_types.name.tolist()] + [-1], np.int64)
    type_changed = old_to_new[old.parts.type[i_old]] != new.parts.type[i_new]
    moved = np.abs(old.parts.position[i_old] - new.parts.position[i_new]).max(axis=1) > POSITION_TOLERANCE_M \
        if len(common) else np.zeros(0, bool)
    turned = np.abs(((old.parts.yaw_deg[i_old] - new.parts.yaw_deg[i_new]) + 180.0) % 360.0 - 180.0) > 1e-6
    power = ~np.isclose(old.part_power_w()[i_old], new.part_power_w()[i_new], rtol=1e-9, atol=1e-6)
    flags = np.column_stack([type_changed, moved, turned, power]) if len(common) else np.zeros((0, 4), bool)
    changed = flags.any(axis=1)
    words = np.array(["type", "position", "yaw", "power"])
    reasons = ["+".join(words[row]) for row in flags[changed]]      # only the changed pairs
    order = np.argsort(i_new[changed], kind="stable")
    return PartDiff(added=added, removed=removed, changed_new=i_new[changed][order],
                    changed_old=i_old[changed][order], reasons=[reasons[k] for k in order],
                    unchanged=int((~changed).sum()))


def diff_overlay(design: Design, diff: PartDiff, side: str) -> Overlay:
    """Colour `design` by the diff: `side` 'new' shows added and changed parts, 'old' (the
    baseline) removed and changed ones; every other part is drawn neutral grey."""
    if side not in ("new", "old"):
        raise ValueError(f"side must be 'new' or 'old', not {side!r}")
    values = np.full(len(design.parts), np.nan)
    if side == "new":
        values[diff.added] = DIFF_CATEGORIES.index("added")
        values[diff.changed_new] = DIFF_CATEGORIES.index("changed")
        label = f"Changes in {design.source.name}"
    else:
        values[diff.removed] = DIFF_CATEGORIES.index("removed")
        values[diff.changed_old] = DIFF_CATEGORIES.index("changed")
        label = f"Baseline {design.source.name}"
    return Overlay("diff", label, "", values, 0, len(DIFF_CATEGORIES) - 1, "categorical", DIFF_CATEGORIES,
                   category_rgb=DIFF_RGB)
