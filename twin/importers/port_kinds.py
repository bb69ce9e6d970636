"""NetBox connector types → twin port kinds and line rates, cable types → twin cable kinds.

twin names a port by its connector and rate (`osfp-800g`, `qsfp-dd-400g`, `rj45`, `c19`),
which is what the cabling checks need: the rate sets a cable's reach, the connector tells
copper from optics. NetBox's interface types (`800gbase-x-osfp`, `infiniband-ndr`…) carry
both, so most are parsed by rule; the rest are listed by family, one twin kind per family
whatever the cage (`fibre-channel`, `pon`, `sonet`, `telco`, `dsl`, `coax`, `stacking`,
`radio`), with the line rate kept beside it. NetBox's own `other` is a `generic` port; a
type outside every rule and family (a newer NetBox's, a typo) is `None`, and the caller
warns and makes a `generic` port of it.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Interfaces that are not physical connectors: no port is made for them.
VIRTUAL_INTERFACES = frozenset({"virtual", "bridge", "lag"})

#: NetBox optical/copper cage names → twin connector prefix.
_CAGES = {"sfp": "sfp", "sfpp": "sfp-plus", "sfp28": "sfp28", "sfp56": "sfp56", "sfpdd": "sfp-dd", "dsfp": "dsfp",
          "qsfpp": "qsfp-plus", "qsfp28": "qsfp28", "qsfp56": "qsfp56", "qsfp112": "qsfp112", "qsfpdd": "qsfp-dd",
          "osfp": "osfp", "osfp-rhs": "osfp-rhs", "cfp": "cfp", "cfp2": "cfp2", "cfp4": "cfp4", "cfp8": "cfp8",
          "cxp": "cxp", "cpak": "cpak", "cdfp": "cdfp", "xfp": "xfp", "gbic": "gbic", "xenpak": "xenpak", "x2": "x2"}
_ETHERNET = re.compile(r"^(?P<rate>\d+(?:\.\d+)?)(?P<unit>g|t)?base-(?P<media>[a-z0-9]+)(?:-(?P<cage>[a-z0-9-]+))?$")
#: InfiniBand generation → (cage, Gb/s per port) as deployed (NDR/XDR on OSFP, HDR on QSFP56…).
_INFINIBAND = {"sdr": ("qsfp", 10), "ddr": ("qsfp", 20), "qdr": ("qsfp", 40), "fdr10": ("qsfp-plus", 40),
               "fdr": ("qsfp-plus", 56), "edr": ("qsfp28", 100), "hdr": ("qsfp56", 200), "ndr": ("osfp", 400),
               "xdr": ("osfp", 800)}
#: Interfaces twin knows but that take no cable it draws (radios, stacking links).
_NAMED = {"cisco-stackwise": ("stacking", 0.0), "cisco-stackwise-plus": ("stacking", 0.0),
          "cisco-flexstack": ("stacking", 0.0), "cisco-flexstack-plus": ("stacking", 0.0),
          "cisco-stackwise-80": ("stacking", 80.0), "cisco-stackwise-160": ("stacking", 160.0),
          "cisco-stackwise-320": ("stacking", 320.0), "cisco-stackwise-480": ("stacking", 480.0),
          "cisco-stackwise-1t": ("stacking", 1000.0), "juniper-vcp": ("stacking", 0.0)}
_RADIO = re.compile(r"^(ieee802\.1[15].*|other-wireless|gsm|cdma|lte|4g|5g)$")
#: Fibre Channel: `32gfc-sfp28` is 32GFC in an SFP28 cage. One kind for every FC speed and cage.
_FIBRE_CHANNEL = re.compile(r"^(?P<rate>\d+)gfc-[a-z0-9]+$")
#: Passive optical networks → downstream Gb/s (ITU-T G.983/G.984/G.987/G.9807/G.989, IEEE 802.3ah/av/ca).
_PON = {"bpon": 0.622, "epon": 1.25, "10g-epon": 10.0, "gpon": 2.488, "xg-pon": 10.0, "xgs-pon": 10.0,
        "ng-pon2": 40.0, "25g-pon": 25.0, "50g-pon": 50.0}
#: SONET OC-n runs at n x 51.84 Mb/s; telco copper T/E carriers at their line rates.
_SONET = re.compile(r"^sonet-oc(?P<n>\d+)$")
_TELCO = {"t1": 0.001544, "e1": 0.002048, "t3": 0.044736, "e3": 0.034368}
#: Other families of the schema's enum: DSL and cable-TV coax links (rate set by the line, not the port).
_FAMILIES = {"xdsl": ("dsl", 0.0), "docsis": ("coax", 0.0), "moca": ("coax", 0.0), "other": ("generic", 0.0)}
_STACKING = re.compile(r"^extreme-summitstack(?:-(?P<rate>\d+))?$")


@lru_cache(maxsize=1024)                     # a site repeats a few dozen types over and over
def interface_kind(netbox_type: str) -> tuple[str, float] | None:
    """(twin port kind, Gb/s) of a NetBox interface type; None when twin does not know it.

    `800gbase-x-osfp` → (`osfp-800g`, 800); `1000base-t` → (`rj45`, 1); `infiniband-ndr` →
    (`osfp-ib-400g`, 400). Virtual interfaces are the caller's to skip (`VIRTUAL_INTERFACES`).
    """
    t = (netbox_type or "").strip().lower()
    if t in _NAMED:
        return _NAMED[t]
    if _RADIO.match(t):
        return "radio", 0.0
    family = _family(t)
    if family is not None:
        return family
    if t.startswith("infiniband-"):
        gen = _INFINIBAND.get(t.removeprefix("infiniband-"))
        return (f"{gen[0]}-ib-{gen[1]}g", float(gen[1])) if gen else None
    m = _ETHERNET.match(t)
    if not m:
        return None
    rate = float(m["rate"]) * (1000.0 if m["unit"] == "t" else 1.0 if m["unit"] == "g" else 0.001)
    label = f"{m['rate']}{m['unit'] or 'm'}".replace("1000m", "1g").replace("100m", "100m")
    if m["cage"]:
        cage = _CAGES.get(m["cage"])
        return (f"{cage}-{label}", rate) if cage else None
    if m["media"] in ("t", "tx", "t1"):
        return "rj45", rate
    if m["media"] in ("fx", "lfx", "sx", "lx"):
        return "fiber", rate
    if m["media"].startswith(("k", "cx")):        # backplane and CX4 copper: no field cable
        return "backplane", rate
    return None


def _family(t: str) -> tuple[str, float] | None:
    """(family kind, Gb/s) for the schema's non-Ethernet families, or None."""
    if t in _FAMILIES:
        return _FAMILIES[t]
    if t in _PON:
        return "pon", _PON[t]
    if t in _TELCO:
        return "telco", _TELCO[t]
    m = _FIBRE_CHANNEL.match(t)
    if m:
        return "fibre-channel", float(m["rate"])
    m = _SONET.match(t)
    if m:
        return "sonet", round(int(m["n"]) * 0.05184, 5)
    m = _STACKING.match(t)
    if m:
        return "stacking", float(m["rate"] or 0)
    return None


@lru_cache(maxsize=1024)
def connector_kind(netbox_type: str) -> str:
    """twin kind of a front/rear (patch) port, console port, power port or outlet type.

    Power connectors keep their IEC/NEMA name (`iec-60320-c19` → `c19`, `nema-5-20r`);
    8P8C is `rj45`; fibre connectors keep their family (`lc`, `sc`, `mpo`). An empty type
    is `unknown`: NetBox allows it and says nothing more.
    """
    t = (netbox_type or "").strip().lower()
    if not t:
        return "unknown"
    if t.startswith("iec-60320-"):
        return t.removeprefix("iec-60320-")
    if t in ("8p8c", "rj-45", "gg45", "tera-4p"):
        return "rj45"
    for family in ("lc", "sc", "st", "fc", "mpo", "mtrj", "lsh", "urm-p"):
        if t == family or t.startswith(family + "-"):
            return family
    return t.replace("rj-", "rj")


#: NetBox cable type → twin cable kind (empty or unknown types are decided by the ends).
CABLE_KINDS = {"cat3": "utp", "cat5": "utp", "cat5e": "utp", "cat6": "utp", "cat6a": "utp", "cat7": "utp",
               "cat7a": "utp", "cat8": "utp", "dac-passive": "dac", "dac-active": "aec", "mrj21-trunk": "utp",
               "coaxial": "coax", "mmf": "fiber", "mmf-om1": "fiber", "mmf-om2": "fiber", "mmf-om3": "fiber",
               "mmf-om4": "fiber", "mmf-om5": "fiber", "smf": "smf", "smf-os1": "smf", "smf-os2": "smf",
               "aoc": "fiber", "power": "power", "usb": "usb"}
_OPTICAL = ("sfp", "qsfp", "osfp", "cfp", "cxp", "cpak", "cdfp", "xfp", "gbic", "xenpak", "x2", "dsfp", "fiber",
            "lc", "sc", "st", "fc", "mpo", "splice", "fibre-channel", "pon", "sonet")


def is_power_kind(kind: str) -> bool:
    return bool(re.match(r"^(c\d+|nema-|iec-60309|cs\d|ita-|dc-|hardwired|saf-d|neutrik|eaton-|molex|l\d)", kind))


def cable_kind(netbox_type: str, a_kind: str, b_kind: str) -> tuple[str, bool]:
    """(twin cable kind, whether it was inferred from the ends rather than given by NetBox)."""
    given = CABLE_KINDS.get((netbox_type or "").strip().lower())
    if given:
        return given, False
    if is_power_kind(a_kind) or is_power_kind(b_kind):
        return "power", True
    if any(a_kind.startswith(p) or b_kind.startswith(p) for p in _OPTICAL):
        return "fiber", True
    return "utp", True
