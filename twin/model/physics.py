"""Physical constants and engineering limits the whole project agrees on (DESIGN.md §4).

One place for each figure, so the generator that seeds faults and the analysis that finds
them use the same numbers.
"""

from __future__ import annotations

AIR_DENSITY_KG_M3 = 1.2
AIR_CP_J_KGK = 1005.0
CFM_TO_M3_S = 0.000471947
WATER_CP_J_KGK = 4186.0
WATER_KG_PER_L = 1.0

#: ASHRAE TC 9.9 air-inlet envelopes in °C: recommended for all classes, allowable per class.
ASHRAE_RECOMMENDED_C = (18.0, 27.0)
ASHRAE_ALLOWABLE_C = {"A1": (15.0, 32.0), "A2": (10.0, 35.0), "A3": (5.0, 40.0), "A4": (5.0, 45.0)}

#: Liquid-cooling rule of thumb: at least this much coolant flow per kW of heat.
MIN_COOLANT_LPM_PER_KW = 1.0

#: Longest run each cable kind reaches, by line rate in Gb/s (None: any rate).
#: Passive copper DAC: 2 m at 800G and above, 3 m below; active copper 7 m;
#: multimode optics 100 m; single-mode 2 km. Power and coolant runs are not rate-bound.
CABLE_REACH_M = {
    "dac": ((800, 2.0), (0, 3.0)),
    "aec": ((0, 7.0),),
    "fiber": ((0, 100.0),),
    "smf": ((0, 2000.0),),
    "utp": ((0, 100.0),),
    "power": ((0, 30.0),),
    "coolant": ((0, 10.0),),
}

#: Lengths a cable or hose is bought in, metres.
STANDARD_LENGTHS_M = (0.5, 0.6, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0,
                      25.0, 30.0, 40.0, 50.0, 75.0, 100.0)

#: Extra length every routed cable needs at each end for dressing and service loops.
CABLE_SLACK_M = 0.3


def cable_reach_m(kind: str, rate_gbps: float) -> float:
    """How far a cable of `kind` at `rate_gbps` can run; infinity for kinds with no limit."""
    for min_rate, reach in CABLE_REACH_M.get(kind, ()):
        if rate_gbps >= min_rate:
            return reach
    return float("inf")


def air_delta_t_c(power_w: float, airflow_cfm: float) -> float:
    """Air temperature rise across a part: ΔT = P / (ρ·cp·V̇)."""
    return power_w / (AIR_DENSITY_KG_M3 * AIR_CP_J_KGK * airflow_cfm * CFM_TO_M3_S)


def liquid_delta_t_c(power_w: float, flow_lpm: float) -> float:
    """Water temperature rise across a loop: ΔT = P / (ṁ·cp)."""
    return power_w / (flow_lpm / 60.0 * WATER_KG_PER_L * WATER_CP_J_KGK)
