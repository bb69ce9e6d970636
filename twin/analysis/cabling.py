"""Cabling check: routed lengths against catalog lengths and reach, connectors, required ports, tray fill.

Why: network reviewers ask whether every link has a cable, whether each cable reaches along
the trays it must follow, whether copper runs are longer than copper goes at their speed,
and whether trays are overfull. The route of each cable is computed at build time and stored
(`cables.route`, `routed_length_m`); this check only measures it, vectorised over cables,
against the cable media table (`twin/model/cable_media.toml`): reach by kind and rate,
connectors each kind mates, and the ports that must carry a cable.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from twin.analysis.findings import Finding
from twin.analysis.overlays import Overlay
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef, register_analysis, register_overlay
from twin.analysis.cable_staleness import stale_route_findings
from twin.analysis.routes import design_routes, port_positions, tray_network
from twin.geometry.routing import NO_PATH, STATUS_CODES
from twin.model import Design, physics
from twin.model.design import Columns, drawable_trays

#: Findings per code listed one by one; beyond this the rest are summed up in one finding.
MAX_PER_CODE = 2000

SETTINGS = {
    "slack_m": 2 * physics.CABLE_SLACK_M,   # extra length a run needs for dressing at both ends
    "fill_warning": 0.8,                     # tray fill share that earns a warning
    "stale_route_m": 0.05,                   # stored route length off the geometry's by more: stale
}


@dataclass
class CablingResult:
    """Per-cable numbers of one check (row order of `design.cables`)."""

    routed_m: np.ndarray       # routed length (NaN: not routed)
    need_m: np.ndarray         # routed + slack
    reach_m: np.ndarray        # reach of the cable's kind at its rate (inf: no limit)
    reach_share: np.ndarray    # max(catalog, need) / reach
    severity: np.ndarray       # 0 fine, 1 warning, 2 critical
    tray_fill: np.ndarray      # cables per tray
    tray_share: np.ndarray     # fill / capacity


def reach_table(design: Design) -> np.ndarray:
    """Reach (m) of every cable's kind at its rate, from the cable media data."""
    c = design.cables
    reach = np.full(len(c), np.inf)
    kinds = physics.cable_media()["kinds"]
    for code, name in enumerate(design.cable_kinds):
        mine = c.kind == code
        steps = sorted(kinds.get(name, {}).get("reach", ()), key=lambda s: -s["min_rate_gbps"])
        for step in reversed(steps):           # lowest threshold first; higher ones overwrite
            reach[mine & (c.rate_gbps >= step["min_rate_gbps"])] = float(step["max_m"])
    return reach


def mating_ok(design: Design) -> np.ndarray:
    """True where both ends' connectors are ones the cable's kind plugs into, and mate."""
    c = design.cables
    media = physics.cable_media()
    port_kinds = list(design.port_kinds)
    n = len(port_kinds)
    if "a_port_kind" not in c or not n:
        return np.ones(len(c), bool)
    same_ok = np.eye(n, dtype=bool)
    for x, y in media.get("mating", {}).get("pairs", ()):
        if x in port_kinds and y in port_kinds:
            same_ok[port_kinds.index(x), port_kinds.index(y)] = same_ok[port_kinds.index(y), port_kinds.index(x)] = True
    allowed = np.zeros((max(len(design.cable_kinds), 1), n), bool)
    for code, name in enumerate(design.cable_kinds):
        spec = media["kinds"].get(name)
        allowed[code] = True if spec is None else np.isin(port_kinds, spec.get("ports", []))
    ka, kb = c.a_port_kind, c.b_port_kind
    known = (ka >= 0) & (kb >= 0) & (c.kind >= 0)
    ka0, kb0, k0 = np.maximum(ka, 0), np.maximum(kb, 0), np.maximum(c.kind, 0)
    ok = allowed[k0, ka0] & allowed[k0, kb0] & same_ok[ka0, kb0]
    return ok | ~known


def unconnected_required_ports(design: Design) -> Columns:
    """Ports that the media table requires to carry a cable (by part kind and port name) but carry none."""
    rules = physics.cable_media().get("required", {})
    patterns = sorted({p for ps in rules.values() for p in ps})
    names = tuple(p for p in patterns if not p.endswith("*"))
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
    ports = design.unconnected_ports(names, prefixes)
    if not len(ports):
        return ports
    part_kind = design.part_kind()[np.maximum(ports.part, 0)]
    keep = np.zeros(len(ports), bool)
    for kind, pats in rules.items():
        of_kind = (part_kind == kind) & (ports.part >= 0)
        for i in np.flatnonzero(of_kind).tolist():
            keep[i] = any(_name_matches(str(ports.name[i]), p) for p in pats)
    rows = np.flatnonzero(keep)
    return Columns(**{k: getattr(ports, k)[rows] for k in ports})


def _name_matches(name: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        base = pattern[:-1]
        return name.startswith(base) and name[len(base):].isdigit()
    return fnmatch.fnmatchcase(name, pattern)


def routed_lengths(design: Design, tolerance_m: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(routed length per cable, stored length, stale mask).

    Each cable is routed from the geometry as it stands (`design_routes`, the rule `twin build`
    stores routes with). A stored route whose length differs from that by more than
    `tolerance_m` is stale: an end is no longer where its port is (a rack moved after the
    routes were written). The routed length is the stored one where it holds, the geometry's
    where the stored one is stale or missing."""
    c = design.cables
    stored = np.asarray(c.routed_m, float).copy() if "routed_m" in c else np.full(len(c), np.nan)
    now = design_routes(design).length if len(c) else np.zeros(0)
    unrouted = (c.route_status == STATUS_CODES.index("unrouted")) if "route_status" in c else np.zeros(len(c), bool)
    missing = np.isnan(stored) & ~unrouted
    stale = np.isfinite(stored) & np.isfinite(now) & (np.abs(now - stored) > tolerance_m)
    routed = np.where(missing | stale, now, stored)
    return routed, stored, stale


def run_cabling(design: Design, snapshot=None, settings: Mapping[str, Any] | None = None) -> AnalysisResult:
    """The cabling check: findings, per-cable reach share and severity, per-tray fill."""
    settings = dict(SETTINGS) | dict(settings or {})
    slack = float(settings["slack_m"])
    c = design.cables
    n = len(c)
    routed, stored, stale = routed_lengths(design, float(settings["stale_route_m"]))
    need = routed + slack
    reach = reach_table(design)
    catalog = np.asarray(c.length_m, float)
    longest = np.fmax(catalog, need)
    share = np.where(np.isfinite(reach), longest / reach, np.nan)
    severity = np.zeros(n, np.int8)
    found: dict[str, tuple[str, np.ndarray, str]] = {}

    missing_port = ~(c.a_port_found & c.b_port_found) if "a_port_found" in c else np.zeros(n, bool)
    missing_port |= (c.a_part < 0) | (c.b_part < 0)
    found["port-missing"] = ("critical", np.flatnonzero(missing_port), "")
    over_reach = ~missing_port & np.isfinite(reach) & (longest > reach + 1e-9)
    found["over-reach"] = ("critical", np.flatnonzero(over_reach), "m")
    short = ~missing_port & np.isfinite(routed) & (catalog < routed - 1e-9)
    found["cable-short"] = ("critical", np.flatnonzero(short), "m")
    no_slack = ~missing_port & ~short & np.isfinite(routed) & (catalog < need - 1e-9)
    found["cable-no-slack"] = ("warning", np.flatnonzero(no_slack), "m")
    mismatch = ~missing_port & ~mating_ok(design)
    found["port-mismatch"] = ("critical", np.flatnonzero(mismatch), "")
    no_path = (c.route_status == NO_PATH) if "route_status" in c else np.zeros(n, bool)
    found["no-tray-path"] = ("warning", np.flatnonzero(no_path & ~missing_port), "")
    for code, (sev, rows, _) in found.items():
        severity[rows] = np.maximum(severity[rows], 2 if sev == "critical" else 1)

    findings = _cable_findings(design, found, routed, need, reach, catalog, slack)
    findings += stale_route_findings(design, stale, stored, routed)
    trays = design.cable_trays
    fill = np.asarray(trays.fill, float) if "fill" in trays else np.zeros(len(trays))
    capacity = np.asarray(trays.capacity, float) if len(trays) else np.zeros(0)
    tray_share = np.where(capacity > 0, fill / np.where(capacity > 0, capacity, 1), np.nan)
    findings += _tray_findings(design, fill, capacity, tray_share, float(settings["fill_warning"]))
    findings += _port_findings(design)
    detail = CablingResult(routed, need, reach, share, severity, fill, tray_share)
    return AnalysisResult("cabling", findings, cable_values={"routed_m": routed, "reach_share": share,
                                                             "severity": severity.astype(float)}, detail=detail)


def _cable_findings(design, found, routed, need, reach, catalog, slack) -> list[Finding]:
    c = design.cables
    listed = {code: rows[:MAX_PER_CODE] for code, (_, rows, _) in found.items()}
    every = np.unique(np.concatenate(list(listed.values()))) if listed else np.zeros(0, np.int64)
    if not len(every):
        return []
    labels = design.cable_labels(every)
    pos = {int(r): i for i, r in enumerate(every.tolist())}
    a, b = port_positions(design)
    kinds = design.cable_kind()
    part_names = design.parts.name
    out: list[Finding] = []
    for code, (sev, rows, unit) in found.items():
        for r in listed[code].tolist():
            i = pos[r]
            name = str(labels.name[i]) or f"cable row {r + 1}"
            ends = f"{_end(part_names, c.a_part[r], labels.a_port_name[i])} → " \
                   f"{_end(part_names, c.b_part[r], labels.b_port_name[i])}"
            kind, rate = kinds[r], c.rate_gbps[r]
            what = f"{kind} {rate:g}G" if rate else str(kind)
            value, limit = np.nan, np.nan
            if code == "over-reach":
                value, limit = max(catalog[r], need[r]), reach[r]
                msg = (f"{what} {ends}: {catalog[r]:g} m cable, route {routed[r]:.2f} m + {slack:g} m slack; "
                       f"{kind} reaches {reach[r]:g} m at {rate:g}G")
            elif code == "cable-short":
                value, limit = catalog[r], routed[r]
                msg = f"{what} {ends}: catalog length {catalog[r]:g} m is shorter than its route {routed[r]:.2f} m"
            elif code == "cable-no-slack":
                value, limit = catalog[r], need[r]
                msg = (f"{what} {ends}: catalog length {catalog[r]:g} m leaves less than {slack:g} m slack "
                       f"over its route {routed[r]:.2f} m")
            elif code == "port-mismatch":
                kinds_ = design.port_kinds
                ka = kinds_[c.a_port_kind[r]] if c.a_port_kind[r] >= 0 else "?"
                kb = kinds_[c.b_port_kind[r]] if c.b_port_kind[r] >= 0 else "?"
                msg = f"{what} {ends}: connectors {ka} and {kb} do not mate with a {kind} cable"
            elif code == "no-tray-path":
                msg = f"{what} {ends}: no tray path between its ends (a gap in the tray network?); drawn as a direct run"
            else:
                which = " and ".join(e for e, ok in (("a_port_id", c.a_port_found[r] and c.a_part[r] >= 0),
                                                     ("b_port_id", c.b_port_found[r] and c.b_part[r] >= 0)) if not ok)
                msg = f"table cables, row id {int(c.id[r])}: {which} points to no port (or its part is missing)"
            loc = a[r] if np.isfinite(a[r]).all() else b[r]
            out.append(Finding(sev, code, msg, part=int(c.a_part[r]), cable=r, value=value, limit=limit, unit=unit,
                               location=tuple(loc) if np.isfinite(loc).all() else None, subject=name,
                               analysis="cabling"))
        more = len(rows) - MAX_PER_CODE
        if more > 0:
            out.append(Finding(sev, code, f"…and {more:,} more cables like this (listed: the first {MAX_PER_CODE:,})",
                               subject="more", analysis="cabling"))
    return out


def _end(part_names, part: int, port: str) -> str:
    return f"{part_names[part] if part >= 0 else '?'}:{port or '?'}"


def _tray_findings(design, fill, capacity, share, warn_share) -> list[Finding]:
    t = design.cable_trays
    out = []
    for r in np.flatnonzero(np.isfinite(share) & (share > warn_share)).tolist():
        sev = "critical" if share[r] > 1.0 else "warning"
        mid = (t.start[r] + t.end[r]) / 2
        out.append(Finding(sev, "tray-fill", f"{int(fill[r]):,} cables in a tray sized for {int(capacity[r]):,} "
                                             f"({share[r]:.0%} full)", value=share[r] * 100, limit=100, unit="%",
                           location=tuple(mid) if np.isfinite(mid).all() else None, subject=str(t.name[r]),
                           analysis="cabling"))
    for r, msg in tray_network(design).problems:
        mid = (t.start[r] + t.end[r]) / 2
        out.append(Finding("warning", "tray-network", f"table cable_trays, row id {int(t.id[r])}: {msg}",
                           location=tuple(mid) if np.isfinite(mid).all() else None,
                           subject=str(t.name[r]) or f"tray {int(t.id[r])}", analysis="cabling"))
    return out


def _port_findings(design) -> list[Finding]:
    ports = unconnected_required_ports(design)
    if not len(ports):
        return []
    out = []
    where = design.local_to_world(np.maximum(ports.part, 0), np.zeros((len(ports), 3)))
    for i in range(min(len(ports), MAX_PER_CODE)):
        p = int(ports.part[i])
        out.append(Finding("warning", "port-unconnected",
                           f"{design.parts.name[p]}:{ports.name[i]} ({ports.kind[i]}) must carry a cable and has none",
                           part=p, rack=int(design.parts.rack[p]), location=tuple(where[i]),
                           subject=f"{design.parts.name[p]}:{ports.name[i]}", analysis="cabling"))
    if len(ports) > MAX_PER_CODE:
        out.append(Finding("warning", "port-unconnected", f"…and {len(ports) - MAX_PER_CODE:,} more ports like this",
                           subject="more", analysis="cabling"))
    return out


def _available(design: Design) -> str | None:
    return None if len(design.cables) else "this design has no cables"


CABLING = register_analysis(Analysis(
    "cabling", "Cabling", _available, run_cabling, settings=SETTINGS, needs_cables=True,
    description="routed lengths against catalog length and reach, connectors, required ports, tray fill"))


# ----------------------------------------------------------------------------- overlays

def _no_parts(design: Design) -> np.ndarray:
    return np.full(len(design.parts), np.nan)


def kind_overlay(design: Design, result: AnalysisResult | None = None) -> Overlay:
    """Cables drawn along their routes, coloured by kind (fiber, DAC, AEC, power, coolant…)."""
    names = tuple(design.cable_kinds)
    return Overlay("cabling", "Cable kind", "", _no_parts(design), 0, max(len(names) - 1, 1),
                   "categorical", names, cable_values=design.cables.kind.astype(float))


def finding_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Cables coloured by their worst cabling finding: fine, warning, critical."""
    return Overlay("cabling-findings", "Cable findings", "finding", _no_parts(design), 0, 2, "categorical",
                   ("fine", "warning", "critical"), category_rgb=((120, 150, 190), (240, 160, 30), (215, 25, 28)),
                   cable_values=result.detail.severity.astype(float), cable_on_top=result.detail.severity > 0,
                   notes=[f"{int((result.detail.severity == 2).sum()):,} cables critical, "
                          f"{int((result.detail.severity == 1).sum()):,} warnings"])


def _tray_pipes(design: Design) -> np.ndarray:
    """Each tray as a 4-point pipe along its top face (drawn over the tray, not hidden inside it);
    a tray without a shape (see drawable_trays: the loader warned) is a zero-length pipe at the origin."""
    t = design.cable_trays
    ok = drawable_trays(t)[:, None]
    start, end = np.where(ok, t.start, 0.0), np.where(ok, t.end, 0.0)
    s = np.linspace(0, 1, 4)[None, :, None]
    lift = np.column_stack([np.zeros((len(t), 2)), np.where(ok[:, 0], t.height_m, 0.0) / 2 + 0.02])[:, None, :]
    return start[:, None, :] + s * (end - start)[:, None, :] + lift


def reach_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Cables coloured by the share of their kind's reach they use; trays by the share of capacity filled."""
    d = result.detail
    return Overlay("cabling-reach", "Share of limit used", "% of limit", _no_parts(design), 0.0, 120.0, "thermal",
                   cable_values=np.nan_to_num(d.reach_share, nan=0.0) * 100,
                   cable_on_top=np.nan_to_num(d.reach_share, nan=0.0) > 1.0,
                   pipes=_tray_pipes(design), pipe_values=np.nan_to_num(d.tray_share, nan=0.0) * 100,
                   notes=["cables: (route + slack or catalog length) / reach; trays: cables / capacity"])


def fill_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Trays coloured by how full they are (cables / capacity), for the hall view."""
    return Overlay("tray-fill", "Tray fill", "% of capacity", _no_parts(design), 0.0, 120.0, "thermal",
                   pipes=_tray_pipes(design), pipe_values=np.nan_to_num(result.detail.tray_share, nan=0.0) * 100)


def _has_trays(design: Design) -> str | None:
    return None if len(design.cable_trays) else "this design has no cable trays"


register_overlay(OverlayDef("cabling", "Cabling", kind_overlay, available=_available, needs_cables=True,
                            description="cables along their routes, coloured by kind"))
register_overlay(OverlayDef("cabling-findings", "Cable findings", finding_overlay, analysis="cabling",
                            description="cables coloured by their worst cabling finding"))
register_overlay(OverlayDef("cabling-reach", "Cable reach used", reach_overlay, analysis="cabling",
                            description="share of reach used per cable, share of capacity per tray"))
register_overlay(OverlayDef("tray-fill", "Tray fill", fill_overlay, analysis="cabling", available=_has_trays,
                            description="cable trays coloured by how full they are"))
