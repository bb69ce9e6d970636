"""A rack's IT power, the one figure its power budget is judged against.

Why one home: `racks.power_budget_w` is "IT power the rack is designed for" (docs/schema.md).
The power check, `twin info`, the power overlay and Properties all compare a rack with its
budget, and they must compare the same thing. IT power is what the rack's computing and
networking gear draws; what its power shelves, busbar and busway tap draw is the loss of
converting and carrying that power, shown beside the IT figure and never counted against the
budget (it does count upstream, on the busway and UPS).
"""

from __future__ import annotations

import numpy as np

from twin.model import Design

#: Part kinds that frame, convert or carry a rack's power rather than use it.
NOT_IT_KINDS = ("rack", "power_shelf", "busbar", "busway", "pdu", "ups", "switchboard", "manifold", "cdu", "crah")


def it_parts(design: Design) -> np.ndarray:
    """True for every part that counts as IT: in a rack, and not of a NOT_IT_KINDS kind."""
    return (design.parts.rack >= 0) & ~np.isin(design.part_kind(), NOT_IT_KINDS)


def rack_it_and_losses(design: Design, part_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per rack: (IT power, conversion losses) in W, given what every part draws (`part_w`,
    one per part; a 2-D array gives one column per basis)."""
    part_w = np.asarray(part_w, float)
    rack, n = design.parts.rack, len(design.racks)
    it = it_parts(design)
    other = (rack >= 0) & ~it
    cols = part_w.reshape(len(part_w), -1)

    def per_rack(mask: np.ndarray) -> np.ndarray:
        return np.column_stack([np.bincount(rack[mask], weights=c[mask], minlength=n) for c in cols.T]) \
            if cols.shape[1] else np.zeros((n, 0))

    it_w, loss_w = per_rack(it), per_rack(other)
    if part_w.ndim == 1:
        return it_w[:, 0], loss_w[:, 0]
    return it_w, loss_w


def max_power_w(design: Design, nominal_w: np.ndarray) -> np.ndarray:
    """Each part's draw on the 'max' basis: the catalog `power_max_w`, its nominal where the
    catalog gives none, and never below the part's own `power_w` override."""
    parts = design.parts
    cat_max = np.nan_to_num(np.asarray(design.part_types.power_max_w, float)[parts.type]).clip(min=0.0) \
        if len(parts) else np.zeros(0)
    maximum = np.where(cat_max > 0, cat_max, nominal_w)
    return np.where(parts.power_w >= 0, np.maximum(maximum, parts.power_w), maximum)
