"""Supply chain: where each part is made, how long it takes to get, and what share is domestic.

A part is *domestic* when its country is the design's home country (meta `home_country`):
its catalog country of origin, else its supplier's country. Only where neither is known
does the supplier's stored `domestic` flag decide, and the result says so (`flag_used`, a
line in the report and in Properties): a flag written when the file was made goes stale
when a supplier moves, a country does not. Per rack: the domestic content share by cost (Σ cost of domestic parts / Σ cost of
all its parts, the rack frame included) and the longest lead time with the part that sets it
(the critical path of ordering that rack). Numpy only: one gather per part, one sort per
design, no loop over parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef, register_analysis, register_overlay
from twin.model import Design
from twin.model.design import Columns


def home_country(design: Design) -> str:
    """The ISO code that counts as domestic ('' when the design does not say)."""
    return design.meta.get("home_country", "")


def part_country(design: Design) -> np.ndarray:
    """Country of origin of every part (object array; '' where unknown)."""
    return _type_country(design)[design.parts.type]


def type_domestic(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """Per part type: 1.0 domestic, 0.0 imported, NaN unknown; and True where the supplier's
    stored `domestic` flag decided (no country of origin, no supplier country, or no home
    country to compare with)."""
    types = design.part_types
    home = home_country(design)
    supplier = types.supplier
    flag = np.full(len(types), np.nan)
    if len(design.suppliers):
        has = supplier >= 0
        flag[has] = np.asarray(design.suppliers.domestic, float)[supplier[has]]
    country = _type_country(design)
    known = (country != "") & bool(home)
    out = np.where(known, (country == home).astype(float), flag)
    return out, ~known & np.isfinite(flag)


def _type_country(design: Design) -> np.ndarray:
    """Country of each part type: its origin, else its supplier's country ('' where neither)."""
    types = design.part_types
    sup_country = np.full(len(types), "", dtype=object)
    if len(design.suppliers):
        has = types.supplier >= 0
        sup_country[has] = design.suppliers.country[types.supplier[has]]
    return np.where(types.country_of_origin != "", types.country_of_origin, sup_country).astype(object)


def part_domestic(design: Design) -> np.ndarray:
    """1.0 for a domestic part, 0.0 for an imported one, NaN where nothing says (see module doc)."""
    return type_domestic(design)[0][design.parts.type]


def part_lead_days(design: Design) -> np.ndarray:
    """Order lead time of every part, days (NaN where the catalog gives none)."""
    lead = design.part_types.lead_time_days[design.parts.type].astype(float)
    return np.where(lead > 0, lead, np.nan)


def part_cost_usd(design: Design) -> np.ndarray:
    return np.nan_to_num(design.part_types.unit_cost_usd[design.parts.type].astype(float))


@dataclass
class SupplyResult:
    """Per part: `country`, `domestic` (1/0/NaN), `lead_days`, `cost_usd`, `flag_used` (the
    supplier's stored flag decided). `racks` (Columns, one row per rack): cost_usd,
    domestic_cost_usd, domestic_share (NaN without cost), lead_days (NaN without lead times),
    lead_part (part row setting it, -1 none)."""

    country: np.ndarray
    domestic: np.ndarray
    lead_days: np.ndarray
    cost_usd: np.ndarray
    racks: Columns
    flag_used: np.ndarray


def analyse_supply(design: Design) -> SupplyResult:
    """Per-part origin and lead time, and per-rack domestic share and critical lead time."""
    n_racks = len(design.racks)
    rack = design.parts.rack
    inside = np.flatnonzero(rack >= 0)
    by_type, flag_type = type_domestic(design)
    domestic, flag_used = by_type[design.parts.type], flag_type[design.parts.type]
    lead, cost = part_lead_days(design), part_cost_usd(design)
    r = rack[inside]
    total = np.bincount(r, weights=cost[inside], minlength=n_racks)
    home_cost = np.bincount(r, weights=cost[inside] * np.nan_to_num(domestic[inside]), minlength=n_racks)
    share = np.where(total > 0, home_cost / np.where(total > 0, total, 1.0), np.nan)
    # longest lead per rack: sort the rack's parts by lead time; the last of each run sets it
    lead_in = np.nan_to_num(lead[inside], nan=-1.0)
    order = np.lexsort((lead_in, r))
    last = np.flatnonzero(np.append(r[order][1:] != r[order][:-1], True)) if len(order) else np.zeros(0, int)
    lead_part = np.full(n_racks, -1, np.int64)
    rack_lead = np.full(n_racks, np.nan)
    chosen = order[last]
    valid = lead_in[chosen] >= 0
    lead_part[r[chosen][valid]] = inside[chosen][valid]
    rack_lead[r[chosen][valid]] = lead_in[chosen][valid]
    racks = Columns(cost_usd=total, domestic_cost_usd=home_cost, domestic_share=share, lead_days=rack_lead,
                    lead_part=lead_part)
    return SupplyResult(part_country(design), domestic, lead, cost, racks, flag_used)


def rack_supply_rows(design: Design, result: SupplyResult, rack: int) -> list[tuple[str, str]]:
    """Property rows about one rack's supply (for the Properties panel and reports)."""
    R = result.racks
    rows = [("rack cost", f"${R.cost_usd[rack]:,.0f}")]
    share = R.domestic_share[rack]
    rows.append((f"domestic share ({home_country(design) or 'home'}, by cost)",
                 f"{share:.0%}" if np.isfinite(share) else "unknown"))
    part = int(R.lead_part[rack])
    if part >= 0:
        ptype = design.part_types.name[design.parts.type[part]]
        rows.append(("longest lead time", f"{R.lead_days[rack]:.0f} days: {design.parts.name[part]} ({ptype}, "
                                          f"{result.country[part] or 'origin unknown'})"))
    return rows


def supply_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Where each part comes from: domestic or imported (against the design's home country)."""
    domestic = result.detail.domestic
    home = home_country(design) or "home"
    return Overlay("supply", f"Domestic vs imported ({home})", "", np.where(np.isnan(domestic), np.nan, 1.0 - domestic),
                   0, 1, "categorical", (f"domestic ({home})", "imported"))


def country_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Each part coloured by its country of origin; the home country first in the legend."""
    country = result.detail.country.astype(str)
    home = home_country(design)
    unique, inverse = np.unique(country, return_inverse=True)
    names = sorted((c for c in unique.tolist() if c), key=lambda c: (c != home, c))
    code = {c: float(i) for i, c in enumerate(names)}
    values = np.array([code.get(c, np.nan) for c in unique.tolist()], float)[inverse]
    labels = tuple(f"{c} (home)" if c == home else c for c in names)
    return Overlay("supply-country", "Country of origin", "", values, 0, max(len(names) - 1, 1), "categorical", labels)


def lead_time_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Order lead time of every part, days; a rack drawn as one box shows its longest."""
    lead = result.detail.lead_days
    top = float(np.nanmax(lead)) if np.isfinite(lead).any() else 1.0
    return Overlay("lead-time", "Lead time", "days", lead, 0.0, max(30.0, np.ceil(top / 30.0) * 30.0), "viridis")


def _available(design: Design) -> str | None:
    return None if len(design.suppliers) or (design.part_types.country_of_origin != "").any() \
        else "no suppliers or countries of origin in the catalog"


def _run(design: Design, _snapshot, _settings) -> AnalysisResult:
    result = analyse_supply(design)
    return AnalysisResult("supply", findings=[], detail=result,
                          part_values={"domestic": result.domestic, "lead_days": result.lead_days,
                                       "cost_usd": result.cost_usd})


def _lead_available(design: Design) -> str | None:
    return None if (design.part_types.lead_time_days > 0).any() else "no lead times in the catalog"


def part_supply_rows(design: Design, result: AnalysisResult, part: int) -> list[tuple[str, str]]:
    """Properties rows: where the part comes from and how long it takes, then its rack's figures."""
    s: SupplyResult = result.detail
    domestic = s.domestic[part]
    rows = [("country of origin", s.country[part] or "unknown"),
            ("domestic", ("unknown" if np.isnan(domestic) else ("yes" if domestic else "no"))
             + (" (supplier's stored flag: no country known)" if s.flag_used[part] else "")),
            ("lead time", f"{s.lead_days[part]:.0f} days" if np.isfinite(s.lead_days[part]) else "unknown")]
    rack = int(design.parts.rack[part])
    return rows + (rack_supply_rows(design, s, rack) if rack >= 0 else [])


def supply_report(design: Design, result: AnalysisResult) -> list[str]:
    """`twin check` lines: the design's domestic share by cost and its longest lead time."""
    s: SupplyResult = result.detail
    total = float(s.cost_usd.sum())
    lines = [f"supply chain of {design.source}"]
    if total > 0:
        share = float((s.cost_usd * np.nan_to_num(s.domestic)).sum()) / total
        lines.append(f"  domestic ({home_country(design) or 'home'}) {share:.0%} of ${total:,.0f} by cost")
    if np.isfinite(s.lead_days).any():
        worst = int(np.nanargmax(s.lead_days))
        lines.append(f"  longest lead time {s.lead_days[worst]:.0f} days: "
                     f"{design.part_types.name[design.parts.type[worst]]} (e.g. {design.parts.name[worst]})")
    if s.flag_used.any():
        names = np.unique(design.part_types.name[design.parts.type[s.flag_used]]).tolist()
        lines.append(f"  {int(s.flag_used.sum()):,} parts of {len(names)} type{'' if len(names) == 1 else 's'} have no known country "
                     f"({', '.join(names[:5])}{'…' if len(names) > 5 else ''}): their suppliers' stored domestic "
                     "flag decides")
    lines.append(f"  findings: {len(result.findings)}")
    return lines


SUPPLY = register_analysis(Analysis("supply", "Supply chain", _available, _run,
                                    description="origin, domestic share by cost and longest lead time per rack",
                                    report=supply_report, part_rows=part_supply_rows))
register_overlay(OverlayDef("supply", "Supply: domestic vs imported", supply_overlay, analysis="supply",
                            description="domestic or imported, by each part's country of origin"))
register_overlay(OverlayDef("supply-country", "Supply: country of origin", country_overlay, analysis="supply",
                            description="each part's country of origin"))
register_overlay(OverlayDef("lead-time", "Supply: lead time", lead_time_overlay, analysis="supply",
                            available=_lead_available, description="order lead time per part, days"))
