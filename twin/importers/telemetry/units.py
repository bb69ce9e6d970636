"""Units of imported readings converted to the design's units (docs/schema.md), one table.

Redfish writes units in UCUM (`Cel`, `[degF]`, `kW.h`, `L/min`, `[gal_us]/min`, `kPa`);
exporters and BMS exports write them loosely (`°F`, `gpm`, `kW`). Every unit twin accepts is
listed here with the stored unit it becomes and how; anything else is refused by the caller,
naming the resource, because a value in a unit twin does not know cannot be compared with
the design.
"""

from __future__ import annotations

from typing import Callable

#: stored unit of each quantity family
CELSIUS, WATT, LPM, KPA, KWH, AMP, VOLT, HZ, PERCENT, RPM, CFM, STATE = (
    "degC", "W", "L/min", "kPa", "kWh", "A", "V", "Hz", "%", "RPM", "CFM", "state")

_GALLON_L = 3.785411784


def _scale(factor: float) -> Callable[[float], float]:
    return lambda v: v * factor


#: accepted unit (exactly as written, spaces removed) -> (stored unit, conversion)
_UNITS: dict[str, tuple[str, Callable[[float], float]]] = {}
#: the same, lower-cased, for names whose lower case is not shared by two units (mW and MW are)
_LOWER: dict[str, tuple[str, Callable[[float], float]] | None] = {}


def _add(stored: str, names: tuple[str, ...], convert: Callable[[float], float]) -> None:
    for name in names:
        _UNITS[name.replace(" ", "")] = (stored, convert)
        low = name.lower().replace(" ", "")
        _LOWER[low] = None if low in _LOWER and _LOWER[low] is not None and _LOWER[low][1] is not convert \
            else (stored, convert)


_add(CELSIUS, ("Cel", "degC", "°C", "C", "celsius", "deg_c"), _scale(1.0))
_add(CELSIUS, ("[degF]", "degF", "°F", "F", "fahrenheit", "deg_f"), lambda v: (v - 32.0) * 5.0 / 9.0)
_add(CELSIUS, ("K", "kelvin"), lambda v: v - 273.15)
_add(WATT, ("W", "watt", "watts"), _scale(1.0))
_add(WATT, ("kW", "kilowatt", "kilowatts"), _scale(1e3))
_add(WATT, ("MW",), _scale(1e6))
_add(WATT, ("mW",), _scale(1e-3))
_add(LPM, ("L/min", "l/min", "lpm", "litres/min", "liters/min"), _scale(1.0))
_add(LPM, ("L/s", "l/s"), _scale(60.0))
_add(LPM, ("L/h", "l/h"), _scale(1.0 / 60.0))
_add(LPM, ("m3/h", "m3/hr", "[m3]/h"), _scale(1000.0 / 60.0))
_add(LPM, ("[gal_us]/min", "gpm", "gal/min", "usgpm"), _scale(_GALLON_L))
_add(KPA, ("kPa",), _scale(1.0))
_add(KPA, ("Pa",), _scale(1e-3))
_add(KPA, ("MPa",), _scale(1e3))
_add(KPA, ("bar",), _scale(100.0))
_add(KPA, ("mbar",), _scale(0.1))
_add(KPA, ("[psi]", "psi"), _scale(6.894757293168))
_add(KWH, ("kW.h", "kWh", "kW·h"), _scale(1.0))
_add(KWH, ("W.h", "Wh"), _scale(1e-3))
_add(KWH, ("MW.h", "MWh"), _scale(1e3))
_add(KWH, ("J",), _scale(1.0 / 3.6e6))
_add(KWH, ("mJ",), _scale(1.0 / 3.6e9))
_add(KWH, ("kJ",), _scale(1.0 / 3.6e3))
_add(AMP, ("A", "amp", "amps"), _scale(1.0))
_add(AMP, ("mA",), _scale(1e-3))
_add(VOLT, ("V", "volt", "volts"), _scale(1.0))
_add(VOLT, ("mV",), _scale(1e-3))
_add(VOLT, ("kV",), _scale(1e3))
_add(HZ, ("Hz",), _scale(1.0))
_add(HZ, ("MHz",), _scale(1e6))
_add(PERCENT, ("%", "percent", "pct"), _scale(1.0))
_add(RPM, ("RPM", "{rev}/min", "rev/min", "1/min"), _scale(1.0))
_add(CFM, ("[ft_i]3/min", "cfm", "ft3/min"), _scale(1.0))
_add(CFM, ("m3/min",), _scale(35.3146667))
_add(STATE, ("state",), _scale(1.0))


def convert(value: float, unit: str) -> tuple[float, str] | None:
    """(value in the stored unit, the stored unit), or None when `unit` is not one twin knows."""
    hit = _lookup(unit)
    if hit is None:
        return None
    stored, fn = hit
    return float(fn(float(value))), stored


def known(unit: str) -> bool:
    """Whether `unit` converts."""
    return _lookup(unit) is not None


def _lookup(unit: str) -> tuple[str, Callable[[float], float]] | None:
    text = str(unit).strip().replace(" ", "")
    return _UNITS.get(text) or _LOWER.get(text.lower())
