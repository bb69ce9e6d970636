"""Plausible sensor readings for a generated design (seeded, physics-consistent).

Rack inlet follows its hall's supply air plus a recirculation term and a daily swing; rack
power follows a daily load curve; outlet is inlet plus the air-side ΔT of what the rack
actually rejects to air; each CDU loop's return is its supply plus the liquid-side ΔT of
the heat it carries. The `hot_spot` fault lifts one rack's inlet to the spec's figure.

Real sensors are not that tidy, so with `telemetry.noise` (default on) each sensor reads
through `sensor_realism`: a fixed calibration bias and random noise per reading, outlet and
return temperatures lagging the heat behind them (first order, 10 min), and readings lost
at random (`gap_share`). A spec may also name one stuck sensor (its value freezes half-way
through the span), one dead sensor (it stops reporting after 60 % of the span) and one rack
whose clock runs `clock_offset_min` ahead (its sensors' timestamps shifted). The energy
balance of the readings then holds only to within noise, bias and lag, as on a real floor.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from twin.errors import TwinError
from twin.model import physics
from twin.specs.draft import DesignDraft, Table

#: Per sensor kind: (calibration bias σ, noise σ per reading), in the sensor's unit; power
#: and flow as shares of the value.
SENSOR_ERROR = {"inlet_temp": (0.2, 0.15), "outlet_temp": (0.3, 0.25), "supply_temp": (0.1, 0.08),
                "return_temp": (0.15, 0.1), "power": (0.01, 0.01), "flow": (0.01, 0.008)}
RELATIVE_KINDS = ("power", "flow")
#: Sensors that see the result of the heat behind them settle with this time constant, min.
LAG_KINDS, LAG_MIN = ("outlet_temp", "return_temp"), 10.0


def make_telemetry(draft: DesignDraft) -> dict[str, Table]:
    """Sensors and their readings for `draft` (needs placement, cooling and faults done); uses `draft.rng`."""
    spec, p, rng, catalog = draft.spec, draft.parts, draft.rng, draft.catalog
    tel = spec["telemetry"]
    start = datetime.fromisoformat(tel["start"].replace("Z", "+00:00")).astimezone(timezone.utc)
    steps = tel["hours"] * 60 // tel["interval_min"]
    times = [start + timedelta(minutes=tel["interval_min"] * i) for i in range(steps)]
    stamps = [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in times]
    hour = np.array([t.hour + t.minute / 60 for t in times])
    daily = np.sin(2 * np.pi * (hour - 9.0) / 24.0)          # peaks mid-afternoon

    nominal = catalog.attr("power_nominal_w")[p.type]
    power = np.where(draft.part_power >= 0, draft.part_power, nominal)
    liquid_fraction = catalog.attr("liquid_fraction")[p.type]
    cfm = catalog.attr("airflow_cfm")[p.type]
    hot = {f["rack"]: f["inlet_c"] for f in spec["faults"] if f["kind"] == "hot_spot"}

    sensors: dict[str, list] = {k: [] for k in ("id", "name", "kind", "unit", "part_id", "rack_id", "cooling_loop_id")}
    series: list[np.ndarray] = []

    def sensor(name, kind, unit, part, rack, loop, values) -> None:
        sensors["id"].append(len(sensors["id"]) + 1)
        for key, value in zip(("name", "kind", "unit", "part_id", "rack_id", "cooling_loop_id"),
                              (name, kind, unit, part, rack, loop)):
            sensors[key].append(value)
        series.append(np.round(values, 2))

    hall_supply = [h["supply_air_c"] for h in spec["halls"]]
    hall_recirc = [h["recirculation_c"] for h in spec["halls"]]
    loop_heat = np.zeros((len(draft.tables["cooling_loops"]["id"]) + 1, steps))
    for r, rack in enumerate(draft.racks.plans):
        members = draft.racks.members[r]
        frame = members[p.role[members] == "frame"][0]
        load = np.clip(0.82 + 0.10 * daily + rng.normal(0, 0.02, steps), 0.3, 1.0)
        rack_w = power[members].sum() * load
        air_w = (power[members] * (1 - liquid_fraction[members])).sum() * load
        airflow = max(cfm[members].sum(), 1.0)
        supply_air, recirc = hall_supply[rack.hall], hall_recirc[rack.hall]
        inlet = supply_air + recirc * rng.uniform(0.5, 1.5) + 0.8 * daily + rng.normal(0, 0.15, steps)
        if rack.name in hot:
            inlet = hot[rack.name] + 0.6 * daily + rng.normal(0, 0.15, steps)
        outlet = inlet + physics.air_delta_t_c(air_w, airflow)
        rid, fid = r + 1, frame + 1
        sensor(f"{rack.name}-inlet", "inlet_temp", "degC", fid, rid, None, inlet)
        sensor(f"{rack.name}-outlet", "outlet_temp", "degC", fid, rid, None, outlet)
        sensor(f"{rack.name}-power", "power", "W", fid, rid, None, rack_w)
        loop = draft.tables["racks"]["cooling_loop_id"][r]
        if loop > 0:
            loop_heat[loop] += (power[members] * liquid_fraction[members]).sum() * load
    loops = draft.tables["cooling_loops"]
    for i, lid in enumerate(loops["id"]):
        if loops["medium"][i] != "liquid":
            continue
        cdu = int(draft.gear.cdu_parts[draft.part_loop[draft.gear.cdu_parts] == lid][0])
        flow = loops["flow_lpm"][i] * (0.9 + rng.normal(0, 0.005, steps))
        supply = loops["supply_c"][i] + rng.normal(0, 0.1, steps)
        ret = supply + physics.liquid_delta_t_c(loop_heat[lid], flow)
        name = loops["name"][i]
        sensor(f"{name}-supply", "supply_temp", "degC", cdu + 1, None, lid, supply)
        sensor(f"{name}-return", "return_temp", "degC", cdu + 1, None, lid, ret)
        sensor(f"{name}-flow", "flow", "L/min", cdu + 1, None, lid, flow)
    readings = sensor_realism(draft, sensors, series, times) if tel["noise"] else _tidy(series, stamps)
    return {"sensors": sensors, "readings": readings}


def _tidy(series: list[np.ndarray], stamps: list[str]) -> Table:
    n, steps = len(series), len(stamps)
    return {"sensor_id": np.repeat(np.arange(1, n + 1), steps), "ts": stamps * n,
            "value": np.concatenate(series) if series else np.zeros(0)}


def sensor_realism(draft: DesignDraft, sensors: dict[str, list], series: list[np.ndarray],
                   times: list[datetime]) -> Table:
    """Readings as real sensors give them (see the module doc); uses `draft.rng`."""
    tel, rng = draft.spec["telemetry"], draft.rng
    names = sensors["name"]
    index = {name: i for i, name in enumerate(names)}
    for key in ("stuck_sensor", "dead_sensor"):
        if tel[key] and tel[key] not in index:
            raise TwinError(draft.source, f"no sensor called {tel[key]!r} (sensors are named like "
                            f"{names[0] if names else 'A01-inlet'})", where=f"telemetry.{key}")
    rack_names = [plan.name for plan in draft.racks.plans]
    offset_rack = tel["clock_offset_rack"]
    if offset_rack and offset_rack not in rack_names:
        raise TwinError(draft.source, f"no rack called {offset_rack!r}", where="telemetry.clock_offset_rack")
    steps = len(times)
    step_min = tel["interval_min"]
    alpha = 1.0 - np.exp(-step_min / LAG_MIN)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    grid = np.array([t.strftime(fmt) for t in times], dtype=object)
    shifted = np.array([(t + timedelta(minutes=tel["clock_offset_min"])).strftime(fmt) for t in times], dtype=object)
    offset_id = rack_names.index(offset_rack) + 1 if offset_rack else -1
    ids, stamps_out, values = [], [], []
    for i, clean in enumerate(series):
        kind = sensors["kind"][i]
        bias_sd, noise_sd = SENSOR_ERROR.get(kind, (0.0, 0.0))
        v = np.asarray(clean, float).copy()
        if kind in LAG_KINDS and steps:
            lagged = np.empty_like(v)
            lagged[0] = v[0]
            for k in range(1, steps):        # a day is 96 steps per sensor
                lagged[k] = lagged[k - 1] + alpha * (v[k] - lagged[k - 1])
            v = lagged
        if kind in RELATIVE_KINDS:
            v = v * (1.0 + rng.normal(0, bias_sd) + rng.normal(0, noise_sd, steps))
        else:
            v = v + rng.normal(0, bias_sd) + rng.normal(0, noise_sd, steps)
        keep = rng.random(steps) >= tel["gap_share"]
        if names[i] == tel["stuck_sensor"]:
            v[steps // 2:] = v[steps // 2]
        if names[i] == tel["dead_sensor"]:
            keep[int(steps * 0.6):] = False
        rows = np.flatnonzero(keep)
        ids.append(np.full(len(rows), i + 1, np.int64))
        stamps_out.append((shifted if sensors["rack_id"][i] == offset_id else grid)[rows])
        values.append(np.round(v[rows], 2))
    return {"sensor_id": np.concatenate(ids) if ids else np.zeros(0, np.int64),
            "ts": np.concatenate(stamps_out).tolist() if stamps_out else [],
            "value": np.concatenate(values) if values else np.zeros(0)}
