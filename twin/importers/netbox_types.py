"""One NetBox device type → one twin part type (the catalog entry a spec or an import uses).

NetBox knows a device's vendor, model, height in U (half-U allowed), whether it is full
depth, weight, airflow direction, power inlets with their draw, and every connector by
type. It does not know width, depth in metres, heat, air volume or coolant: those are
filled from rack standards and physics (docs/netbox-mapping.md lists each rule) and every
fill is counted in the import report.

`part_type_from_netbox` takes a device type in the library's YAML shape (component lists
under `interfaces`, `power-ports`…), which is also what the dump reader produces from
NetBox's template tables, so both importers share this one mapping.
"""

from __future__ import annotations

import math
import re
from typing import Any

from twin.importers.port_kinds import VIRTUAL_INTERFACES, connector_kind, interface_kind
from twin.importers.report import ImportReport
from twin.model import physics

EIA_U_M = 0.04445
RACK_BODY_WIDTH_M = 0.440        # a 19-inch device between the rails
FULL_DEPTH_M = 0.750
HALF_DEPTH_M = 0.400
SEAM_M = 0.0015                  # a hairline between stacked devices so each reads on its own
DESIGN_AIR_RISE_K = physics.DEFAULT_IT_AIR_RISE_K   # airflow from power where NetBox gives none
DEFAULT_LIQUID_FRACTION = 0.8
#: Typical draw per U of powered gear whose power ports state none (catalog default, not NetBox's).
DRAW_PER_U_W = {"network_switch": 150.0, "compute_tray": 250.0, "switch_tray": 800.0, "device": 50.0}
KG_PER = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "oz": 0.028349523125}
ZERO_U_SIZES = {"pdu": (0.055, 0.055, 1.60)}
ZERO_U_DEFAULT = (0.20, 0.10, 0.30)

#: Component lists and the face of the device their connectors sit on.
COMPONENTS = (("interfaces", "front"), ("console-ports", "front"), ("console-server-ports", "front"),
              ("front-ports", "front"), ("power-outlets", "front"), ("rear-ports", "rear"), ("power-ports", "rear"))

#: Words in model, comments or role that name what a device is, most specific first; the
#: generic words (switch, server) only count after the connectors had their say.
_SPECIFIC_WORDS = (("cdu", r"\bcdu\b|coolant distribution"), ("power_shelf", r"power shelf"),
                   ("switch_tray", r"switch tray|nvlink[- ]?\d* switch"), ("compute_tray", r"compute tray"),
                   ("ups", r"\bups\b|uninterruptible|battery (pack|module)|\bebm\b"),
                   ("pdu", r"\bpdu\b|power distribution|transfer switch|\bats\b"),
                   ("patch_panel", r"patch panel|fiber panel|fibre panel|cable management"))
_GENERIC_WORDS = (("network_switch", r"switch|router|firewall|gateway"),
                  ("compute_tray", r"server|\bgpu\b|compute|storage|\bdgx\b|\bhgx\b"))
#: Interface names a network OS gives its ports (Cisco, Juniper, Arista, MikroTik, Cumulus…), not a host's.
_NETWORK_PORT_NAME = re.compile(r"(?i)^(ethernet|gigabitethernet|tengigabitethernet|fastethernet|twentyfivegige|"
                                r"fortygige|hundredgige|fourhundredgige|gi|te|fa|hu|ether|sfp-?sfpplus|sfp|qsfp|"
                                r"combo|swp|ge-|xe-|et-|port|p)\s?-?\d+([/:.]\d+)*$")
#: Host-side management ports, which a server has and which say nothing about switching.
_MANAGEMENT_NAME = re.compile(r"(?i)mgmt|manage|ipmi|bmc|ilo|idrac|xcc|console|oob")
#: Makers of network gear only: a type of theirs with ports and no other clue is a switch or router.
_NETWORK_VENDORS = re.compile(r"(?i)\b(arista|juniper|mikrotik|ubiquiti|edge-?core|fortinet|palo alto|extreme "
                              r"networks|aruba|netgear|ruckus|brocade|cumulus|allied telesis|zyxel|mellanox|"
                              r"nokia)\b")
SWITCH_MIN_PORTS = 16             # data interfaces that make a device a switch whatever their names
NAMED_SWITCH_MIN_PORTS = 8        # ... or this many, most named as a network OS names its ports


def infer_kind(dt: dict[str, Any], role: str = "") -> tuple[str, str]:
    """(twin kind, why): the device role, specific words in the type, its connectors, generic words,
    then its interfaces (how many data ports, how they are named) and its maker.

    A router is a `network_switch` (twin's kind for switches and routers), never a server: a
    48-port access switch whose model says only "2930F 48G" is known by its 48 ports, a
    MikroTik router by its `ether1…` ports or its maker.
    """
    text = " ".join(str(dt.get(k) or "") for k in ("model", "slug", "description", "comments")).lower()
    role = role.lower()
    for kind, pattern in _SPECIFIC_WORDS + _GENERIC_WORDS:
        if role and re.search(pattern, role):
            return kind, f"role says {kind}"
    for kind, pattern in _SPECIFIC_WORDS:
        if re.search(pattern, text):
            return kind, f"model text says {kind}"
    if dt.get("power-outlets"):
        return "pdu", "it has power outlets"
    if (dt.get("front-ports") or dt.get("rear-ports")) and not dt.get("interfaces"):
        return "patch_panel", "it has only front/rear ports"
    for kind, pattern in _GENERIC_WORDS:
        if re.search(pattern, text):
            return kind, f"model text says {kind}"
    data = [str(i.get("name") or "") for i in dt.get("interfaces") or []
            if str(i.get("type") or "") not in VIRTUAL_INTERFACES and not i.get("mgmt_only")
            and not _MANAGEMENT_NAME.search(str(i.get("name") or ""))]
    named = sum(bool(_NETWORK_PORT_NAME.match(n)) for n in data)
    if len(data) >= SWITCH_MIN_PORTS:
        return "network_switch", f"{SWITCH_MIN_PORTS} or more data interfaces: a switch or router"
    if len(data) >= NAMED_SWITCH_MIN_PORTS and 2 * named > len(data):
        return "network_switch", "data interfaces named as a network OS names its ports: a switch or router"
    if _NETWORK_VENDORS.search(str(dt.get("manufacturer") or "")):
        return "network_switch", "a maker of network gear only: a switch or router"
    if dt.get("interfaces") and (dt.get("power-ports") or dt.get("is_full_depth")):
        return "compute_tray", "a full-depth or powered device with a few interfaces: a server"
    return "device", "nothing says what it is"


def mass_kg(weight: Any, unit: str, where: str, report: ImportReport) -> float:
    """Weight in kilograms from NetBox's weight and weight_unit (kg, g, lb, oz); 0 when unknown."""
    if weight in (None, ""):
        report.default("mass_kg 0 (no weight)")
        return 0.0
    factor = KG_PER.get((unit or "").lower())
    if factor is None:
        report.warn("weight-unit", where, f"weight_unit {unit!r} is not kg, g, lb or oz; weight taken as kg")
        factor = 1.0
    try:
        return round(float(weight) * factor, 3)
    except (TypeError, ValueError):
        report.warn("weight", where, f"weight {weight!r} is not a number; mass left at 0")
        return 0.0


def u_height_of(value: Any, where: str, report: ImportReport) -> float:
    """NetBox u_height as a number of U (half-U allowed); 1 U when missing or unreadable."""
    try:
        u = float(value)
    except (TypeError, ValueError):
        report.warn("u-height", where, f"u_height {value!r} is not a number; taken as 1 U")
        return 1.0
    if u < 0 or not math.isfinite(u):
        report.warn("u-height", where, f"u_height {value!r} is negative; taken as 1 U")
        return 1.0
    if isinstance(value, float) and value.is_integer():
        report.default("u_height written as a decimal (7.0) read as whole U")
    if u != int(u):
        report.warn("half-u", where, f"u_height {u:g} is not a whole U: stored as {math.ceil(u)} U slots "
                                     f"with its own height of {body_height_m(u):.4f} m")
    return u


def body_height_m(u: float) -> float:
    """The height a device of `u` U is drawn and stored at: its U less a hairline seam (4 decimals)."""
    return round(u * EIA_U_M - SEAM_M, 4)


def part_type_from_netbox(dt: dict[str, Any], where: str, report: ImportReport, role: str = "",
                          images: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """(catalog name, twin part-type entry in the spec's `[part_types.NAME]` shape) for one device type.

    `where` names the source (a file, or `dcim.devicetype pk 7`) in every issue raised.
    """
    vendor = str(dt.get("manufacturer") or "")
    model = str(dt.get("model") or "")
    name = str(dt.get("slug") or re.sub(r"[^a-z0-9]+", "-", f"{vendor} {model}".lower()).strip("-"))
    kind, why = infer_kind(dt, role)
    report.default(f"kind inferred ({why})")
    u = u_height_of(dt.get("u_height", 1), f"{where}: u_height", report)
    full_depth = dt.get("is_full_depth")
    if full_depth is None:
        report.default(f"depth {FULL_DEPTH_M} m (is_full_depth missing)")
    depth = HALF_DEPTH_M if full_depth is False else FULL_DEPTH_M
    if u > 0:
        size = [RACK_BODY_WIDTH_M, depth, body_height_m(u)]
    else:
        size = list(ZERO_U_SIZES.get(kind, ZERO_U_DEFAULT))
        report.default(f"0 U size {size} m for a {kind}")
    power_ports = dt.get("power-ports") or []
    maximum = sum(int(p.get("maximum_draw") or 0) for p in power_ports)
    allocated = sum(int(p.get("allocated_draw") or 0) for p in power_ports)
    if dt.get("is_powered") is False:
        report.warn("unpowered", f"{where}: is_powered", "is_powered is false: no power inlet of its own (fed from "
                                                           "the rack busbar or its parent); draw left at 0 W")
    elif power_ports and not allocated and maximum:
        report.default("typical draw = maximum_draw (no allocated_draw)")
    elif power_ports and not maximum and DRAW_PER_U_W.get(kind):
        maximum = round(DRAW_PER_U_W[kind] * max(u, 1))
        report.default(f"draw {DRAW_PER_U_W[kind]} W per U for a {kind} (power ports give no draw)")
    nominal = float(allocated or maximum)
    airflow = str(dt.get("airflow") or "")
    text = f"{model} {dt.get('comments') or ''} {dt.get('description') or ''}".lower()
    liquid = bool(re.search(r"liquid[- ]cooled|cold[- ]plate|direct[- ]to[- ]chip|\blcc\b", text))
    cooling = "none" if airflow == "passive" or (not nominal and not liquid) else "hybrid" if liquid else "air"
    entry: dict[str, Any] = {
        "kind": kind, "vendor": vendor, "model": model, "u_height": math.ceil(u), "size": size,
        "u_pitch_m": EIA_U_M, "mass_kg": mass_kg(dt.get("weight"), str(dt.get("weight_unit") or ""), where, report),
        "power_nominal_w": nominal, "power_max_w": float(maximum or allocated), "cooling_mode": cooling,
        "airflow_cfm": round(physics.airflow_cfm(float(maximum or nominal), DESIGN_AIR_RISE_K), 1) if cooling != "none" else 0.0,
        "liquid_fraction": DEFAULT_LIQUID_FRACTION if liquid else 0.0, "supplier": _key(vendor) or "unknown",
        "airflow": airflow, "ports": []}
    if cooling != "none":
        report.default(f"airflow_cfm from the maximum draw at a {DESIGN_AIR_RISE_K:g} K air rise")
    if liquid:
        report.default(f"liquid_fraction {DEFAULT_LIQUID_FRACTION} (the type's text says liquid-cooled)")
    if kind == "cdu":
        capacity = re.search(r"(\d+(?:\.\d+)?)\s*kw", text)
        entry["cooling_capacity_w"] = float(capacity.group(1)) * 1000.0 if capacity else 0.0
        report.default("CDU cooling capacity read from the type's text" if capacity else "CDU cooling capacity 0")
    for face in ("front", "rear"):
        if images and images.get(face):
            entry[f"{face}_image"] = images[face]
    entry["ports"] = [{"name": n, "kind": k, "offset": list(o)}
                      for n, k, o, _, _ in port_rows(dt, size, where, report)]
    check_numbering(dt.get("interfaces") or [], f"{where}: interfaces", report)
    return name, entry


def port_rows(components: dict[str, Any], size: list[float] | tuple[float, ...], where: str,
              report: ImportReport) -> list[tuple[str, str, tuple[float, float, float], float, tuple[str, Any]]]:
    """Every physical connector as (unique name, twin kind, offset, Gb/s, (component list, index or pk)).

    Connectors of a face are laid out in a grid across it (NetBox has no positions);
    virtual interfaces get no port; a repeated name gets ` (2)` appended, with a warning.
    """
    rows: list[tuple[str, str, float, str, tuple[str, Any]]] = []
    seen: dict[str, str] = {}
    for key, face in COMPONENTS:
        for i, comp in enumerate(components.get(key) or []):
            label = f"{key}[{comp.get('pk', i)}]" if "pk" in comp else f"{key}[{i}]"
            ntype = str(comp.get("type") or "")
            rate = 0.0
            if key == "interfaces":
                if ntype in VIRTUAL_INTERFACES:
                    report.default(f"no port for {ntype} interfaces (not a connector)")
                    continue
                known = interface_kind(ntype)
                if known is None:
                    report.warn("interface-type", f"{where}: {label}.type",
                                f"unknown interface type {ntype!r} on {comp.get('name')!r}; made a port of kind "
                                "'generic'")
                    known = ("generic", 0.0)
                kind, rate = known
            else:
                kind = connector_kind(ntype)
                if key.startswith("console"):
                    kind = f"console-{kind}"
            name = str(comp.get("name") or f"{key}-{i + 1}")
            if name in seen and seen[name] == key:
                new = _unique(name, seen)
                report.warn("duplicate-name", f"{where}: {label}.name",
                            f"{key[:-1]} name {name!r} is used twice; the second is renamed {new!r}")
                name = new
            elif name in seen:            # NetBox names are unique per component kind: a patch panel's
                name = f"{name} ({key[:-1]})"       # front and rear "Port 1" are two ports
                report.default("port name suffixed with its kind (same name on another kind of port)")
            seen[name] = key
            rows.append((name, kind, rate, face, (key, comp.get("pk", i))))
    out = []
    for face in ("front", "rear"):
        mine = [r for r in rows if r[3] == face]
        for (name, kind, rate, _, src), offset in zip(mine, face_grid(len(mine), size, face)):
            out.append((name, kind, offset, rate, src))
    return out


def face_grid(n: int, size: list[float] | tuple[float, ...], face: str) -> list[tuple[float, float, float]]:
    """n connector positions in rows across a device's front (−Y) or rear (+Y) face."""
    if n == 0:
        return []
    w, d, h = (float(v) for v in size)
    per_row = max(1, min(n, int((w - 0.04) / 0.0125)))
    rows = math.ceil(n / per_row)
    y = (-d / 2 if face == "front" else d / 2)
    out = []
    for k in range(n):
        r, c = divmod(k, per_row)
        in_row = min(per_row, n - r * per_row)
        x = 0.0 if in_row == 1 else -(w / 2 - 0.02) + c * (w - 0.04) / (in_row - 1)
        z = h * (r + 0.5) / rows
        out.append((round(x, 4), round(y, 4), round(z, 4)))
    return out


def check_numbering(interfaces: list[dict], where: str, report: ImportReport) -> None:
    """Warn when a numbered family of interfaces (Ethernet1/1…, P0.0…) has holes, e.g. 62 ports of 64."""
    families: dict[str, list[tuple[int, ...]]] = {}
    for comp in interfaces:
        name = str(comp.get("name") or "")
        numbers = tuple(int(v) for v in re.findall(r"\d+", name))
        if numbers:
            families.setdefault(re.sub(r"\d+", "#", name), []).append(numbers)
    for pattern, present in families.items():
        if len(present) < 8:
            continue
        spans = [range(min(p[i] for p in present), max(p[i] for p in present) + 1) for i in range(len(present[0]))]
        grid = math.prod(len(s) for s in spans)
        have = set(present)
        if 0 < grid - len(have) <= max(2, grid // 16):         # a hole or two in a full set, not a sparse naming
            missing = [n for n in _product(spans) if n not in have]
            names = [_fill(pattern, n) for n in missing[:6]]
            report.warn("numbering-gap", where,
                        f"{len(have)} of {grid} '{pattern}' interfaces (missing {', '.join(names)}"
                        f"{'…' if len(missing) > 6 else ''}); imported as listed")


def _product(spans: list[range]) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [()]
    for span in spans:
        out = [o + (v,) for o in out for v in span]
    return out


def _fill(pattern: str, numbers: tuple[int, ...]) -> str:
    it = iter(numbers)
    return re.sub("#", lambda _m: str(next(it)), pattern)


def _unique(name: str, seen: dict[str, str]) -> str:
    k = 2
    while f"{name} ({k})" in seen:
        k += 1
    return f"{name} ({k})"


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def supplier_key(vendor: str) -> str:
    """The catalog supplier key made for a manufacturer."""
    return _key(vendor) or "unknown"
