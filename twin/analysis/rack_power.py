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


def measured_rack_power(design: Design, values: np.ndarray, usable: np.ndarray,
                        estimate_w: np.ndarray) -> np.ndarray:
    """Per rack, the power its meters say it draws, in W (NaN where no power sensor of the rack
    has a usable reading), by one rule for every analysis that reads rack power.

    Why: a rack can be metered at two levels at once, a rack or power-shelf meter (the site's
    PDU or shelf BMC) and part meters (a DCGM exporter's GPU power bound to compute trays).
    Summing both counts the trays twice; taking a part meter as the rack's power drops the rest.
    - A **whole-rack meter** is a power sensor on no part, on the rack's frame or on gear that
      carries the rack's power (a power shelf, busbar, PDU: not IT, see `it_parts`). Where a
      rack has one, its whole-rack meters are summed (an A and a B feed are two meters).
    - Otherwise its **part meters** are summed per part, and the parts of the rack without a
      meter count at their estimate (`estimate_w`, one per part), so a rack whose GPU trays are
      metered still carries its switches.

    `values`: one per sensor (design.sensors order); `usable`: which of them are power
    readings to use (kind `power`, in a rack, finite, not negative)."""
    sensors, n_racks = design.sensors, len(design.racks)
    out = np.full(n_racks, np.nan)
    rows = np.flatnonzero(np.asarray(usable, bool))
    if not len(rows):
        return out
    rack = np.asarray(sensors.rack, np.int64)[rows]
    part = np.asarray(sensors.part, np.int64)[rows]
    v = np.asarray(values, float)[rows]
    it = it_parts(design)
    on_part = (part >= 0) & (part < len(it))
    whole = ~on_part | ~it[np.where(on_part, part, 0)]
    whole_w = np.bincount(rack[whole], weights=v[whole], minlength=n_racks)
    has_whole = np.bincount(rack[whole], minlength=n_racks) > 0
    out[has_whole] = whole_w[has_whole]

    metered = ~whole & ~has_whole[rack]                 # part meters of racks without a whole meter
    if metered.any():
        parts_rack = np.asarray(design.parts.rack, np.int64)
        has_meter = np.zeros(len(parts_rack), bool)
        has_meter[part[metered]] = True
        racks = np.unique(rack[metered])
        part_w = np.bincount(rack[metered], weights=v[metered], minlength=n_racks)
        rest = it & ~has_meter & (parts_rack >= 0)
        rest_w = np.bincount(parts_rack[rest], weights=np.asarray(estimate_w, float)[rest], minlength=n_racks)
        out[racks] = part_w[racks] + rest_w[racks]
    return out
