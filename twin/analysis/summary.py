"""What a design contains, in numbers: the `twin info` report."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from twin.analysis.rack_power import it_parts
from twin.model import Design


def design_summary(design: Design) -> dict[str, Any]:
    """Counts per kind, racks per generation, IT power and cables per kind."""
    kinds = design.part_kind()
    power = design.part_power_w()
    it_kinds = it_parts(design)          # the one IT rule, the rack budgets' too
    rack_gen = design.racks.generation
    gen_names = list(design.generations.name)
    racks_per_gen = Counter(gen_names[g] if g >= 0 else "(none)" for g in rack_gen.tolist())
    cable_kinds = design.cable_kind()
    return {
        "file": str(design.source),
        "design": design.meta.get("design_name", ""),
        "schema_version": design.schema_version,
        "halls": len(design.halls),
        "racks": len(design.racks),
        "parts": len(design.parts),
        "cables": len(design.cables),
        "parts_per_kind": dict(sorted(Counter(kinds.tolist()).items())),
        "racks_per_generation": dict(sorted(racks_per_gen.items())),
        "it_power_kw": round(float(power[it_kinds].sum()) / 1000.0, 1),
        "facility_power_kw": round(float(power[~it_kinds].sum()) / 1000.0, 1),
        "cables_per_kind": dict(sorted(Counter(cable_kinds.tolist()).items())),
        "cable_length_km": round(float(design.cables.length_m.sum()) / 1000.0, 2),
        "cooling_loops": len(design.cooling_loops),
        "power_nodes": len(design.power_nodes),
        "sensors": len(design.sensors),
        "power": _power(design),
        "supply": supply_summary(design),
        "warnings": list(design.warnings),
    }


def _power(design: Design) -> dict[str, Any] | None:
    """Power totals by nominal power (None for a design without a power chain)."""
    if not len(design.power_nodes):
        return None
    from twin.analysis.power import power_totals

    return power_totals(design)
def supply_summary(design: Design) -> dict[str, Any]:
    """Domestic share by cost over every placed part, and the part with the longest lead time."""
    from twin.analysis.supply import analyse_supply, home_country

    s = analyse_supply(design)
    total = float(s.cost_usd.sum())
    lead = np.nan_to_num(s.lead_days, nan=-1.0)
    worst = int(np.argmax(lead)) if len(lead) and lead.max() >= 0 else -1
    return {
        "home_country": home_country(design),
        "cost_usd": round(total, 2),
        "domestic_share": round(float((s.cost_usd * np.nan_to_num(s.domestic)).sum()) / total, 4) if total > 0 else None,
        "longest_lead_days": float(lead[worst]) if worst >= 0 else None,
        "longest_lead_part": str(design.parts.name[worst]) if worst >= 0 else None,
        "longest_lead_type": str(design.part_types.name[design.parts.type[worst]]) if worst >= 0 else None,
        "domestic_by_stored_flag_parts": int(s.flag_used.sum()),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as aligned text for a terminal."""
    lines = [f"{summary['file']}  (design '{summary['design']}', schema v{summary['schema_version']})",
             f"  halls {summary['halls']}   racks {summary['racks']}   parts {summary['parts']:,}   "
             f"cables {summary['cables']:,}",
             f"  IT power {summary['it_power_kw']:,.1f} kW   facility equipment {summary['facility_power_kw']:,.1f} kW",
             "  racks per generation: " + ", ".join(f"{k} {v}" for k, v in summary["racks_per_generation"].items()),
             "  parts per kind:"]
    lines += [f"    {kind:<16} {count:>8,}" for kind, count in summary["parts_per_kind"].items()]
    lines.append(f"  cables per kind ({summary['cable_length_km']:,} km in all):")
    lines += [f"    {kind:<16} {count:>8,}" for kind, count in summary["cables_per_kind"].items()]
    lines.append(f"  cooling loops {summary['cooling_loops']}   power nodes {summary['power_nodes']}   "
                 f"sensors {summary['sensors']}")
    p = summary.get("power")
    if p:
        share = f" ({p['utility_load_kw'] / p['utility_capacity_kw']:.0%})" if p["utility_capacity_kw"] else ""
        lines.append(f"  power ({p['basis']}): utility {p['utility_load_kw']:,.1f} of {p['utility_capacity_kw']:,.1f} kW"
                     f"{share}   IT {p['it_load_kw']:,.1f} kW   losses {p['losses_kw']:,.1f} kW")
        lines.append(f"    nodes over capacity {p['nodes_over_capacity']}   racks over budget {p['racks_over_budget']}   "
                     f"redundancy groups failing {p['redundancy_groups_failing']}")
    sup = summary.get("supply") or {}
    if sup.get("domestic_share") is not None:
        lead = (f"longest lead {sup['longest_lead_days']:.0f} days ({sup['longest_lead_type']}, "
                f"e.g. {sup['longest_lead_part']})" if sup.get("longest_lead_days") is not None
                else "longest lead unknown (no lead_time_days in table part_types)")
        lines.append(f"  supply: {sup['domestic_share']:.0%} domestic ({sup['home_country'] or 'home'}) by cost of "
                     f"${sup['cost_usd']:,.0f}; {lead}")
        if sup.get("domestic_by_stored_flag_parts"):
            lines.append(f"    {sup['domestic_by_stored_flag_parts']:,} parts have no known country: their "
                         "suppliers' stored domestic flag decides")
    lines += [f"  warning: {w}" for w in summary["warnings"]]
    return "\n".join(lines)
