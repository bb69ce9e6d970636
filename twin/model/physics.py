"""Physical constants, engineering limits and defaults the whole project agrees on (DESIGN.md §4).

One place for each figure, so the generator that seeds faults, the importers that fill in
what their source does not say, and the analyses that find the faults use the same numbers.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

#: A float, or a numpy array of them: the formulas below work element-wise on whole columns.
Quantity = TypeVar("Quantity", float, np.ndarray)

AIR_DENSITY_KG_M3 = 1.2
AIR_CP_J_KGK = 1005.0
CFM_TO_M3_S = 0.000471947
WATER_CP_J_KGK = 4186.0
WATER_KG_PER_L = 1.0

#: ASHRAE TC 9.9 air-inlet envelopes in °C: recommended for all classes, allowable per class.
ASHRAE_RECOMMENDED_C = (18.0, 27.0)
ASHRAE_ALLOWABLE_C = {"A1": (15.0, 32.0), "A2": (10.0, 35.0), "A3": (5.0, 40.0), "A4": (5.0, 45.0)}

# -- defaults where a design file says nothing -------------------------------------------------
# The spec reader writes them into generated designs, the NetBox importer into imported ones,
# and the analyses use them where a file's column is missing or NULL: one table, one figure each.

#: Supply air of a hall, °C (mid ASHRAE recommended).
DEFAULT_SUPPLY_AIR_C = 22.0
#: Hot-aisle air that mixes into a hall's cold aisle (added to the supply air at a rack's inlet), K.
DEFAULT_RECIRCULATION_C = 1.0
#: ASHRAE class of a hall that names none (or one twin does not know).
DEFAULT_ASHRAE_CLASS = "A1"
#: Liquid-cooling supply of a generation, °C (W32: today's warm-water cold plates).
DEFAULT_LIQUID_SUPPLY_C = 32.0
#: A liquid loop's design temperature rise, K (DESIGN.md §4: 8–12 K, OCP ≈ 10 K).
DEFAULT_LIQUID_DESIGN_DT_K = 10.0
#: Front-to-back air rise of IT gear, K: airflow from power where a catalog gives no CFM.
DEFAULT_IT_AIR_RISE_K = 12.0

#: How units stored in design files are shown: one spelling of each, ° everywhere.
UNIT_DISPLAY = {"degC": "°C", "degc": "°C", "deg C": "°C", "C": "°C", "degF": "°F", "lpm": "L/min", "l/min": "L/min"}

#: Liquid-cooling rule of thumb: at least this much coolant flow per kW of heat.
MIN_COOLANT_LPM_PER_KW = 1.0

#: Cable media (reach by kind and rate, connectors, required ports) live as data in
#: cable_media.toml beside this module; `cable_media()` reads it once.
CABLE_MEDIA_FILE = Path(__file__).with_name("cable_media.toml")


@lru_cache(maxsize=None)
def cable_media(path: str | None = None) -> dict[str, Any]:
    """The cable media table (see cable_media.toml): {'kinds': {...}, 'mating': {...}, 'required': {...}}."""
    with open(path or CABLE_MEDIA_FILE, "rb") as fh:
        return tomllib.load(fh)


#: Lengths a cable or hose is bought in, metres.
STANDARD_LENGTHS_M = (0.5, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0,
                      25.0, 30.0, 40.0, 50.0, 75.0, 100.0)

#: Extra length every routed cable needs at each end for dressing and service loops.
CABLE_SLACK_M = 0.3


def cable_reach_m(kind: str, rate_gbps: float) -> float:
    """How far a cable of `kind` at `rate_gbps` can run; infinity for kinds with no limit."""
    for step in cable_media()["kinds"].get(kind, {}).get("reach", ()):
        if rate_gbps >= step["min_rate_gbps"]:
            return float(step["max_m"])
    return float("inf")


def air_delta_t_c(power_w: Quantity, airflow_cfm: Quantity | float) -> Quantity:
    """Air temperature rise across a part: ΔT = P / (ρ·cp·V̇)."""
    return power_w / (AIR_DENSITY_KG_M3 * AIR_CP_J_KGK * airflow_cfm * CFM_TO_M3_S)


def airflow_cfm(power_w: Quantity, delta_t_k: Quantity | float) -> Quantity:
    """Airflow that carries `power_w` away at a `delta_t_k` rise: V̇ = P / (ρ·cp·ΔT), in CFM
    (≈ 1.76 · P / ΔT; the inverse of `air_delta_t_c`)."""
    return power_w / (AIR_DENSITY_KG_M3 * AIR_CP_J_KGK * delta_t_k) / CFM_TO_M3_S


def liquid_delta_t_c(power_w: Quantity, flow_lpm: Quantity | float) -> Quantity:
    """Water temperature rise across a loop: ΔT = P / (ṁ·cp)."""
    return power_w / (flow_lpm / 60.0 * WATER_KG_PER_L * WATER_CP_J_KGK)
