"""NetBox 4.7 cooling objects → twin cooling loops.

NetBox 4.7 models facility cooling as it models power: a `CoolingSource` (chiller, cooling
tower, dry cooler, CRAC/CRAH) at a site feeds `CoolingFeed`s, each a whole loop (supply and
return) to one rack or CDU, with a capacity in kW, a rated flow and design temperatures.
Each feed becomes one twin cooling loop in its site's hall; its rack points to that loop,
and so do the rack's liquid- and hybrid-cooled parts. A feed without its own temperatures
takes its source's. Before 4.7 (or with no feeds) nothing changes: the hall's air loop only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twin.importers.netbox_site import SiteMapper

#: flow_rate_unit → litres per minute (NetBox offers L/min, m³/h and US GPM).
LPM_PER = {"l/min": 1.0, "lpm": 1.0, "l-min": 1.0, "m3/h": 1000.0 / 60.0, "m³/h": 1000.0 / 60.0, "m3-h": 1000.0 / 60.0,
           "gpm": 3.785411784, "gal/min": 3.785411784}
AIR_SOURCES = ("crac", "crah")


def cooling_loops(m: SiteMapper) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """(loops made from cooling feeds, rack index -> loop index among them) for the imported halls."""
    rec, report = m.rec, m.report
    hall_of_site = {h["site"]: k for k, h in enumerate(m.halls)}
    loops: list[dict[str, Any]] = []
    rack_loop: dict[int, int] = {}
    for pk, feed in sorted(rec.cooling_feeds.items()):
        label = f"dcim.coolingfeed pk {pk}" + (f" {feed['name']!r}" if feed.get("name") else "")
        source = rec.cooling_sources.get(feed.get("cooling_source"))
        if source is None:
            report.warn("cooling-source", label, f"cooling_source {feed.get('cooling_source')} is not in the data; "
                                                 "feed left out")
            continue
        hall = hall_of_site.get(source.get("site"))
        if hall is None:
            continue                                        # a site that was not imported
        supply, ret = _temperatures(feed) if _has_temperature(feed) else _temperatures(source)
        medium = "air" if str(source.get("type") or "").lower() in AIR_SOURCES or \
            str(feed.get("fluid_type") or "").lower() == "air" else "liquid"
        flow = _number(feed.get("flow_rate"))
        unit = str(feed.get("flow_rate_unit") or "l/min").lower()
        if flow and unit not in LPM_PER:
            report.warn("cooling-unit", label, f"flow_rate_unit {unit!r} not understood; flow taken as L/min")
        loops.append({"name": f"{source.get('name') or 'source'} / {feed.get('name') or pk}", "hall": hall,
                      "medium": medium, "supply_c": supply if supply is not None else 0.0,
                      "design_dt_k": (ret - supply) if supply is not None and ret is not None else 0.0,
                      "capacity_w": _number(feed.get("cooling_capacity")) * 1000.0,
                      "flow_lpm": flow * LPM_PER.get(unit, 1.0)})
        if supply is None:
            report.default("cooling loop supply temperature unknown (neither the feed nor its source gives one)")
        rack = m.rack_index.get(feed.get("rack"))
        if rack is not None:
            if rack in rack_loop:
                report.warn("cooling-feeds", label, f"rack {m.racks[rack]['name']} has more than one cooling feed; "
                                                    "its parts use the first")
            else:
                rack_loop[rack] = len(loops) - 1
    return loops, rack_loop


def _has_temperature(obj: dict[str, Any]) -> bool:
    return obj.get("supply_temperature") not in (None, "") or obj.get("return_temperature") not in (None, "")


def _temperatures(obj: dict[str, Any]) -> tuple[float | None, float | None]:
    """Supply and return in °C (NetBox stores them in the object's temperature_unit)."""
    fahrenheit = str(obj.get("temperature_unit") or "c").lower().startswith("f")

    def c(value: Any) -> float | None:
        if value in (None, ""):
            return None
        v = _number(value)
        return round((v - 32.0) * 5.0 / 9.0, 3) if fahrenheit else v

    return c(obj.get("supply_temperature")), c(obj.get("return_temperature"))


def _number(value: Any) -> float:
    try:
        return float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0
