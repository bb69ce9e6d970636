"""Generation compare: how one rack generation (or one design file) differs from another.

Per rack the same figures a design review asks about: power drawn, heat (all of it; and the
part that goes to air), weight, cost, domestic share by cost, the longest lead time, how many
cables end in the rack, and the share of its heat taken by liquid. Racks are grouped into
*rack types*: generation and rack-frame type (`blackwell / orv3-rack-gb200`), so compute and
network racks of a generation are compared apart.

Within one design, each generation's rack types are compared with the baseline generation's
rack type of the same *role* (the kind of part that draws most power in it: compute_tray,
network_switch…). Between two files, rack types of the same key and racks of the same name
are compared, and parts are diffed by name (`twin.analysis.partdiff`). Per rack-type values
are per-rack means (cost-weighted for the domestic share, heat-weighted for the liquid
fraction, the maximum for lead time) plus totals. Numpy bincounts over parts and cables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import numpy as np

from twin.analysis.partdiff import PartDiff, diff_parts
from twin.analysis.supply import analyse_supply
from twin.analysis.thermal import analyse_thermal
from twin.errors import TwinError
from twin.model import Design

#: (key, column title, unit, scale for display); the order of table columns.
METRICS = (("power_w", "power", "kW", 1e-3), ("heat_w", "heat", "kW", 1e-3), ("air_heat_w", "to air", "kW", 1e-3),
           ("weight_kg", "weight", "kg", 1.0), ("cost_usd", "cost", "k$", 1e-3),
           ("domestic_share", "domestic", "%", 100.0), ("lead_days", "lead", "d", 1.0),
           ("cables", "cables", "", 1.0), ("liquid_fraction", "liquid", "%", 100.0))
SUMMED = ("power_w", "heat_w", "air_heat_w", "liquid_heat_w", "weight_kg", "cost_usd", "domestic_cost_usd", "cables")


@dataclass
class RackMetrics:
    """One row per rack of a design: `values[key]` arrays (see METRICS, plus liquid_heat_w and
    domestic_cost_usd), `type_key` per rack, `role` per rack and `lead_part` (part name)."""

    design: Design
    values: dict[str, np.ndarray]
    type_key: np.ndarray
    role: np.ndarray
    lead_part: np.ndarray


def rack_metrics(design: Design) -> RackMetrics:
    """Every rack's power, heat, weight, cost, domestic share, lead time, cables and liquid share."""
    n = len(design.racks)
    rack = design.parts.rack
    inside = rack >= 0
    r = rack[inside]
    thermal = analyse_thermal(design, None)          # design estimates: a compare is about the design
    supply = analyse_supply(design)
    air, liquid = thermal.racks.air_heat_w, thermal.racks.liquid_heat_w
    heat = air + liquid
    mass = np.nan_to_num(design.part_types.mass_kg[design.parts.type].astype(float))
    cables: np.ndarray = np.zeros(n)
    if len(design.cables):
        a = np.where(design.cables.a_part >= 0, rack[np.maximum(design.cables.a_part, 0)], -1)
        b = np.where(design.cables.b_part >= 0, rack[np.maximum(design.cables.b_part, 0)], -1)
        cables = np.bincount(a[a >= 0], minlength=n) + np.bincount(b[(b >= 0) & (b != a)], minlength=n)
    values = {
        "power_w": design.rack_power_w(), "heat_w": heat, "air_heat_w": air, "liquid_heat_w": liquid,
        "weight_kg": np.bincount(r, weights=mass[inside], minlength=n),
        "cost_usd": supply.racks.cost_usd, "domestic_cost_usd": supply.racks.domestic_cost_usd,
        "domestic_share": supply.racks.domestic_share, "lead_days": supply.racks.lead_days,
        "cables": cables.astype(float),
        "liquid_fraction": np.where(heat > 0, liquid / np.where(heat > 0, heat, 1.0), np.nan),
    }
    gen_names = np.append(design.generations.name.astype(object), "(none)")
    frame_types = design.part_types.name[design.racks.type] if n else np.zeros(0, object)
    type_key = np.array([f"{g} / {f}" for g, f in zip(gen_names[design.racks.generation], frame_types)], dtype=object)
    lead_part = np.where(supply.racks.lead_part >= 0, design.parts.name[np.maximum(supply.racks.lead_part, 0)], "")
    return RackMetrics(design, values, type_key, _rack_roles(design), lead_part.astype(object))


def _rack_roles(design: Design) -> np.ndarray:
    """Per rack, the kind of part that draws the most power in it ('' for racks drawing none)."""
    kinds, kind_index = np.unique(design.part_kind().astype(str), return_inverse=True)
    rack = design.parts.rack
    inside = rack >= 0
    n = len(design.racks)
    power = np.bincount(rack[inside] * len(kinds) + kind_index[inside], weights=design.part_power_w()[inside],
                        minlength=n * len(kinds)).reshape(n, len(kinds))
    return np.where(power.max(axis=1) > 0, kinds[power.argmax(axis=1)], "").astype(object)


@dataclass
class TypeSummary:
    """One rack type: how many racks, per-rack `mean` values, `total` values, its role, the
    part type that sets its longest lead time."""

    key: str
    source: str
    racks: int
    role: str
    mean: dict[str, float]
    total: dict[str, float]
    lead_part_type: str


def summarise_types(m: RackMetrics, source: str, racks: np.ndarray | None = None) -> list[TypeSummary]:
    """Rack types of `m` (only rows `racks` when given), in order of first appearance."""
    rows = np.arange(len(m.type_key)) if racks is None else np.asarray(racks)
    out = []
    keys = list(dict.fromkeys(m.type_key[rows].tolist()))
    for key in keys:
        sel = rows[m.type_key[rows] == key]
        total = {k: float(np.nansum(m.values[k][sel])) for k in SUMMED}
        count = len(sel)
        mean = {k: total[k] / count for k in SUMMED}
        mean["domestic_share"] = total["domestic_cost_usd"] / total["cost_usd"] if total["cost_usd"] > 0 else float("nan")
        mean["liquid_fraction"] = total["liquid_heat_w"] / total["heat_w"] if total["heat_w"] > 0 else float("nan")
        lead = m.values["lead_days"][sel]
        worst = int(sel[np.nanargmax(lead)]) if np.isfinite(lead).any() else -1
        mean["lead_days"] = float(m.values["lead_days"][worst]) if worst >= 0 else float("nan")
        lead_type = ""
        if worst >= 0 and m.lead_part[worst]:
            d = m.design
            part = int(np.flatnonzero(d.parts.name == m.lead_part[worst])[0])
            lead_type = str(d.part_types.name[d.parts.type[part]])
        out.append(TypeSummary(key, source, count, str(m.role[sel[0]]), mean, total, lead_type))
    return out


@dataclass
class Comparison:
    """A comparison of `new` rack types and racks against the `baseline`'s.

    `pairs`: (baseline TypeSummary, new TypeSummary, delta of the means). `racks`: per rack,
    name, type, source, values and the delta against its baseline (the same-named rack in the
    baseline file; within one design, the mean rack of the baseline type of the same role).
    `parts`: the part diff between two files (None within one design)."""

    mode: str
    baseline: str
    new: str
    types: list[TypeSummary]
    pairs: list[tuple[TypeSummary, TypeSummary, dict[str, float]]]
    racks: list[dict]
    added_racks: list[str] = field(default_factory=list)
    removed_racks: list[str] = field(default_factory=list)
    parts: PartDiff | None = None
    parts_dict: dict | None = None

    def to_dict(self) -> dict:
        """JSON-able: NaN becomes None."""
        return _clean({
            "mode": self.mode, "baseline": self.baseline, "new": self.new,
            "metrics": {k: {"label": t, "unit": u} for k, t, u, _ in METRICS},
            "rack_types": [vars(t) for t in self.types],
            "deltas": [{"baseline": a.key, "new": b.key, "role": b.role, "delta": d} for a, b, d in self.pairs],
            "racks": self.racks, "added_racks": self.added_racks, "removed_racks": self.removed_racks,
            "parts": self.parts_dict,
        })


def _clean(value):
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _delta(new: dict[str, float], old: dict[str, float]) -> dict[str, float]:
    return {k: float(new[k] - old[k]) for k, *_ in METRICS}


def _rack_row(m: RackMetrics, i: int, source: str, base: dict[str, float] | None) -> dict:
    values = {k: float(m.values[k][i]) for k, *_ in METRICS}
    return {"rack": str(m.design.racks.name[i]), "type": str(m.type_key[i]), "source": source, "values": values,
            "lead_part": str(m.lead_part[i]), "delta": _delta(values, base) if base is not None else None}


def compare_generations(design: Design, base: str | None = None) -> Comparison:
    """Each generation of `design` against the baseline generation (`base`, default the first)."""
    names = design.generations.name.tolist()
    if len(names) < 2:
        raise TwinError(design.source, f"has {len(names)} generation(s); a generation compare needs two "
                                       "(or give a second design file)", where="generations")
    base = base or names[0]
    if base not in names:
        raise TwinError(design.source, f"no generation called {base!r}; it has {', '.join(names)}", where="--base")
    m = rack_metrics(design)
    gen = design.racks.generation
    base_index = names.index(base)
    base_types = summarise_types(m, base, np.flatnonzero(gen == base_index))
    by_role = {t.role: t for t in base_types}
    types, pairs = list(base_types), []
    for g, name in enumerate(names):
        if g == base_index:
            continue
        for t in summarise_types(m, name, np.flatnonzero(gen == g)):
            types.append(t)
            if t.role in by_role:
                pairs.append((by_role[t.role], t, _delta(t.mean, by_role[t.role].mean)))
    racks = []
    for i in np.flatnonzero(gen >= 0):
        ref = by_role.get(str(m.role[i]))
        racks.append(_rack_row(m, int(i), names[gen[i]], ref.mean if ref else None))
    return Comparison("generations", base, ", ".join(n for n in names if n != base), types, pairs, racks)


def compare_designs(old: Design, new: Design) -> Comparison:
    """`new` against the baseline `old`: rack types by key, racks by name, parts by name."""
    mo, mn = rack_metrics(old), rack_metrics(new)
    old_types = summarise_types(mo, str(old.source))
    new_types = summarise_types(mn, str(new.source))
    by_key = {t.key: t for t in old_types}
    pairs = [(by_key[t.key], t, _delta(t.mean, by_key[t.key].mean)) for t in new_types if t.key in by_key]
    old_names = {n: i for i, n in enumerate(old.racks.name.tolist())}
    new_names = set(new.racks.name.tolist())
    racks = []
    for i, name in enumerate(new.racks.name.tolist()):
        j = old_names.get(name)
        base = {k: float(mo.values[k][j]) for k, *_ in METRICS} if j is not None else None
        racks.append(_rack_row(mn, i, str(new.source), base))
    diff = diff_parts(old, new)
    return Comparison("designs", str(old.source), str(new.source), old_types + new_types, pairs, racks,
                      added_racks=sorted(new_names - set(old_names)), removed_racks=sorted(set(old_names) - new_names),
                      parts=diff, parts_dict=diff.to_dict(old, new))


def format_value(key: str, value: float, signed: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    scale = next(s for k, _, _, s in METRICS if k == key)
    digits = 1 if key in ("power_w", "heat_w", "air_heat_w") else 0
    v = round(value * scale, digits) + 0.0          # + 0.0 turns -0.0 into 0.0
    if signed:
        return "0" if v == 0 else f"{v:+,.{digits}f}"
    return f"{v:,.{digits}f}"


def type_label(c: Comparison, t: TypeSummary) -> str:
    """A rack type's row label; between two files, which file it is from."""
    if c.mode != "designs":
        return t.key
    return f"{t.key} ({'baseline' if t.source == c.baseline else 'new'})"


def format_comparison(c: Comparison, per_rack: bool = False) -> str:
    """The comparison as aligned terminal tables: rack types, deltas, then (optionally) racks."""
    head = [f"{t} {u}".strip() for _, t, u, _ in METRICS]
    width = [max(9, len(h) + 1) for h in head]
    name_w = max([30] + [len(type_label(c, t)) + 2 for t in c.types])

    def line(label: str, cells: list[str]) -> str:
        return f"{label:<{name_w}}" + "".join(f"{cell:>{w}}" for cell, w in zip(cells, width))

    title = (f"generations: {c.new} against {c.baseline}" if c.mode == "generations"
             else f"{c.new} against baseline {c.baseline}")
    out = [title, "", line("rack type (mean rack)", head) + "   racks  longest lead set by"]
    for t in c.types:
        out.append(line(type_label(c, t), [format_value(k, t.mean[k]) for k, *_ in METRICS])
                   + f"   {t.racks:>5}  {t.lead_part_type}")
    out += ["", line("Δ new − baseline", head) + "   racks"]
    for a, b, d in c.pairs:
        out.append(line(f"{b.key}", [format_value(k, d[k], signed=True) for k, *_ in METRICS])
                   + f"   {b.racks - a.racks:>+5}  vs {a.key}")
    if not c.pairs:
        out.append("  (no rack types to pair)")
    if c.mode == "designs":
        out += ["", f"racks added: {', '.join(c.added_racks) or 'none'}; removed: {', '.join(c.removed_racks) or 'none'}"]
        parts = c.parts_dict or {"counts": {}, "changed": []}
        p = parts["counts"]
        out.append(f"parts: {p['added']} added, {p['removed']} removed, {p['changed']} changed, {p['unchanged']} unchanged")
        for item in parts["changed"][:20]:
            out.append(f"  changed {item['part']}: {item['what']}")
        if p["changed"] > 20:
            out.append(f"  … and {p['changed'] - 20} more (--json lists all)")
    if per_rack:
        out += ["", line("rack (Δ against baseline)", head)]
        for r in c.racks:
            out.append(line(r["rack"], [format_value(k, r["values"][k]) for k, *_ in METRICS]))
            if r["delta"] is not None and any(abs(v) > 1e-9 for v in r["delta"].values() if np.isfinite(v)):
                out.append(line("   Δ", [format_value(k, r["delta"][k], signed=True) for k, *_ in METRICS]))
    return "\n".join(out)
