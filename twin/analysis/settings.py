"""Analysis settings from the command line, one way: `--set ANALYSIS.SETTING=VALUE`, and one
power basis for every analysis of a run (`--basis`).

Why: each analysis declares its settings and their defaults once (`Analysis.settings`);
the command line reaches all of them through one spelling instead of a flag per setting,
and a run judges every analysis on the same basis, so thermal and power never mix measured
and nominal power in one report.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from twin.analysis import registry
from twin.errors import TwinError

#: The bases a run can take: catalog nominal power, catalog maximum power, or the readings
#: (fresh sensor values where there are, nominal estimates elsewhere).
BASES = ("nominal", "max", "measured")
#: The default: the design's own figures. Rack power from sensors is the load of one moment
#: (a night's dip reads as spare capacity); `--basis measured` asks for it.
DEFAULT_BASIS = "nominal"


def parse_value(text: str) -> Any:
    """'0.85' → 0.85, '3' → 3, 'true' → True, 'none' → None, anything else the text itself."""
    low = text.strip().lower()
    if low in ("none", "null", ""):
        return None
    if low in ("true", "false"):
        return low == "true"
    try:
        value = json.loads(text)
    except ValueError:
        return text.strip()
    return value if isinstance(value, (int, float)) else text.strip()


def parse_settings(items: Iterable[str]) -> dict[str, dict[str, Any]]:
    """`['power.warn_utilization=0.85', 'thermal.ashrae_class=A2']` → {analysis: {setting: value}}.

    TwinError naming the item for a malformed one, an unknown analysis or an unknown setting
    (with the known ones)."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        name, dot, setting = key.strip().partition(".")
        if not sep or not dot or not name or not setting:
            raise TwinError(None, f"{item!r}: write ANALYSIS.SETTING=VALUE, e.g. power.warn_utilization=0.85",
                            where="--set")
        try:
            known = registry.get_analysis(name).settings
        except ValueError as exc:
            raise TwinError(None, f"{item!r}: {exc}", where="--set") from None
        if setting not in known:
            raise TwinError(None, f"{item!r}: {name} has no setting {setting!r}; known: "
                                  f"{', '.join(known) or 'none'}", where="--set")
        if setting == "basis":
            raise TwinError(None, f"{item!r}: the basis is one per run: use --basis", where="--set")
        out.setdefault(name, {})[setting] = parse_value(text)
    return out


def run_settings(basis: str, items: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Settings for every registered analysis: `basis` on each that takes one, then `items`."""
    if basis not in BASES:
        raise TwinError(None, f"unknown basis {basis!r}: choose one of {', '.join(BASES)}", where="--basis")
    out = {a.name: {"basis": basis} for a in registry.analyses() if "basis" in a.settings}
    for name, values in parse_settings(items).items():
        out.setdefault(name, {}).update(values)
    return out
