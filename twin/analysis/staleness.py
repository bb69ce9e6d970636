"""Readings too old to trust at the moment asked for.

Why: a snapshot holds each sensor's latest reading at or before the moment asked for. Ask
ten hours after the last reading and every sensor still has a value, the 23:45 one, and an
analysis would use it as if it were current. A reading older than the staleness limit is
dropped (the analysis falls back to its estimate, as for a sensor with no reading) and a
finding says how old each sensor's last reading is. A dead sensor shows the same way.
Numpy only: one datetime parse per snapshot.

A stuck sensor is the other way a reading lies: it keeps reporting, fresh, the same value. A
sensor whose readings over the last `stuck_after_min` minutes are all one value, while most
sensors of its kind varied over the same window (so the plant itself was not still, nor the
telemetry noiseless), is a `sensor-stuck` warning saying since when and for how long.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from twin.analysis.findings import Finding
from twin.model import Design
from twin.model.readings import ReadingSnapshot

#: Default staleness limit, minutes: four 15-minute telemetry steps.
STALE_AFTER_MIN = 60.0
#: Default stuck-sensor window, minutes: sixteen 15-minute steps of one value (noise alone moves a
#: live sensor's second decimal every step).
STUCK_AFTER_MIN = 240.0
#: Readings a window must hold before its sameness means anything.
STUCK_MIN_READINGS = 3


def _seconds(text: np.ndarray) -> np.ndarray:
    """UTC ISO-8601 texts ('…Z') as float seconds since the epoch; NaN where empty or not a time."""
    out = np.full(len(text), np.nan)
    s = np.asarray(text, dtype=object).astype(str)
    ok = np.char.str_len(s) >= 19
    if ok.any():
        stamps = np.char.rstrip(s[ok], "Z")
        try:
            out[ok] = np.asarray(stamps, dtype="datetime64[s]").astype(np.int64).astype(float)
        except ValueError:
            for i, t in zip(np.flatnonzero(ok).tolist(), stamps.tolist()):
                try:
                    out[i] = float(np.datetime64(t, "s").astype(np.int64))
                except ValueError:
                    pass
    return out


def reading_ages_s(snapshot: ReadingSnapshot | None, sensor_ids: np.ndarray) -> np.ndarray:
    """Age in seconds of each sensor's reading at the snapshot's moment (NaN: no reading)."""
    ids = np.asarray(sensor_ids, np.int64)
    if snapshot is None or snapshot.ts is None or not len(snapshot.sensor_id):
        return np.full(len(ids), np.nan)
    taken = _seconds(snapshot.reading_ts)
    now = _seconds(np.array([snapshot.ts], dtype=object))[0]
    order = np.argsort(snapshot.sensor_id, kind="stable")
    pos = np.minimum(np.searchsorted(snapshot.sensor_id[order], ids), len(order) - 1)
    hit = snapshot.sensor_id[order][pos] == ids
    ages = np.full(len(ids), np.nan)
    ages[hit] = now - taken[order[pos[hit]]]
    ages[hit & ~np.isfinite(snapshot.value[order[pos]])] = np.nan
    return ages


def fresh_values(snapshot: ReadingSnapshot | None, sensor_ids: np.ndarray,
                 stale_after_min: float) -> tuple[np.ndarray, np.ndarray]:
    """(values with readings older than `stale_after_min` set to NaN, ages in seconds)."""
    ids = np.asarray(sensor_ids, np.int64)
    if snapshot is None:
        return np.full(len(ids), np.nan), np.full(len(ids), np.nan)
    values = snapshot.values_for(ids)
    ages = reading_ages_s(snapshot, ids)
    stale = np.isfinite(ages) & (ages > float(stale_after_min) * 60.0)
    return np.where(stale, np.nan, values), ages




def source_label(source: str, uri: str) -> str:
    """A sensor's source URI: its URI in the source, qualified by the service's scheme and host
    where the URI is a path on a Redfish service (two BMCs both have /redfish/v1/Chassis/1)."""
    uri, source = str(uri or "").strip(), str(source or "").strip()
    if uri.startswith("/") and source.startswith(("http://", "https://")):
        parts = urlsplit(source)
        return f"{parts.scheme}://{parts.netloc}{uri}"
    return uri or source


def sensor_label(design: Design, row: int) -> str:
    """How findings name a sensor: its source URI where it has one, else its name. One home,
    so a stale, silent or out-of-range sensor reads the same in every finding."""
    sensors = design.sensors
    uri = str(sensors.source_uri[row] or "") if "source_uri" in sensors else ""
    source = str(sensors.source[row] or "") if "source" in sensors else ""
    return source_label(source, uri) if uri.strip() else str(sensors.name[row])


def age_text(seconds: float) -> str:
    """'10 h 05 min', '45 min', '2 d 3 h'."""
    minutes = int(round(seconds / 60.0))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def stale_findings(design: Design, ages: np.ndarray, stale_after_min: float, at: str | None,
                   where_rack: np.ndarray, where_loop: list[Any], analysis: str) -> list[Finding]:
    """One warning per rack or loop (or loose sensor) whose readings are older than the limit,
    naming each sensor with how old its last reading is. `where_rack`: (n_racks, 3) fly-to;
    `where_loop`: fly-to per loop."""
    sensors = design.sensors
    limit_s = float(stale_after_min) * 60.0
    stale = np.flatnonzero(np.isfinite(ages) & (ages > limit_s))
    if not len(stale):
        return []
    groups: dict[tuple[str, int], list[int]] = {}
    for s in stale.tolist():
        r, lp = int(sensors.rack[s]), int(sensors.cooling_loop[s])
        key = ("rack", r) if r >= 0 else (("loop", lp) if lp >= 0 else ("sensor", s))
        groups.setdefault(key, []).append(s)
    out = []
    for (what, i), rows in groups.items():
        rows.sort(key=lambda s: -ages[s])
        listed = ", ".join(f"{sensor_label(design, s)} {age_text(ages[s])} old" for s in rows)
        worst = float(ages[rows[0]]) / 60.0
        common: dict[str, Any] = dict(value=worst, limit=float(stale_after_min), unit="min", analysis=analysis)
        msg = (f"{len(rows)} reading{'s' if len(rows) > 1 else ''} older than the {age_text(limit_s)} limit at "
               f"{at}: {listed}; estimates used instead")
        out.append(_sensor_warning(design, "reading-stale", msg, what, i, where_rack, where_loop, common))
    return out


def _sensor_warning(design: Design, code: str, msg: str, what: str, i: int, where_rack: np.ndarray,
                    where_loop: list[Any], common: dict[str, Any]) -> Finding:
    """A warning about sensors grouped by what they watch (`what`: "rack", "loop" or a loose
    "sensor", row `i`), placed and named as that subject: the one shape of the stale and stuck
    findings."""
    if what == "rack":
        return Finding("warning", code, msg, rack=i, location=tuple(where_rack[i]),
                       subject=str(design.racks.name[i]), **common)
    if what == "loop":
        return Finding("warning", code, msg, loop=i, location=where_loop[i],
                       subject=str(design.cooling_loops.name[i]), **common)
    sensors = design.sensors
    part = int(sensors.part[i]) if "part" in sensors else -1
    return Finding("warning", code, msg, part=part, subject=str(sensors.name[i]), **common)


#: Sensors a silent finding lists by name before it gives a count of the rest.
SILENT_LISTED = 8


def silent_findings(design: Design, snapshot: ReadingSnapshot | None, where_rack: np.ndarray,
                    analysis: str) -> list[Finding]:
    """Sensors with no reading at all at or before the snapshot's moment, while the file has
    readings: one warning per rack (or one for the sensors outside racks), naming them. A
    sensor installed and bound but never heard from is as blind as a dead one."""
    sensors = design.sensors
    if snapshot is None or snapshot.ts is None or not len(sensors):
        return []
    silent = np.flatnonzero(~np.isfinite(snapshot.values_for(sensors.id)))
    if not len(silent):
        return []
    rack = np.asarray(sensors.rack, np.int64)[silent]
    out = []
    for r in np.unique(rack).tolist():
        rows = silent[rack == r]
        names = [sensor_label(design, int(s)) for s in rows[:SILENT_LISTED]]
        more = f" and {len(rows) - SILENT_LISTED} more" if len(rows) > SILENT_LISTED else ""
        msg = (f"{len(rows)} sensor{'s' if len(rows) > 1 else ''} never read at or before {snapshot.ts}: "
               f"{', '.join(names)}{more}")
        if r >= 0:
            out.append(Finding("warning", "sensor-silent", msg, rack=r, location=tuple(where_rack[r]),
                               value=float(len(rows)), unit="sensors", subject=str(design.racks.name[r]),
                               analysis=analysis))
        else:
            first = int(rows[0])
            out.append(Finding("warning", "sensor-silent", msg, part=int(sensors.part[first]),
                               loop=int(sensors.cooling_loop[first]), value=float(len(rows)), unit="sensors",
                               subject=str(sensors.name[first]) if len(rows) == 1 else "sensors outside racks",
                               analysis=analysis))
    return out


def stuck_findings(design: Design, snapshot: ReadingSnapshot | None, stuck_after_min: float,
                   where_rack: np.ndarray, where_loop: list[Any], analysis: str) -> list[Finding]:
    """One warning per rack or loop (or loose sensor) with a sensor stuck at one value over the
    `stuck_after_min` minutes up to the snapshot's moment while most of its kind varied (module doc).
    Reads the window from the design file (the snapshot holds one reading per sensor)."""
    sensors = design.sensors
    if snapshot is None or snapshot.ts is None or not len(sensors) or not Path(snapshot.source).is_file() \
            or stuck_after_min <= 0:
        return []
    from twin.store.telemetry import steady_readings

    stats = steady_readings(snapshot.source, snapshot.ts, float(stuck_after_min))
    ids = np.asarray(sensors.id, np.int64).tolist()
    n = np.array([stats.get(i, (0, 0.0, 0.0, ""))[0] for i in ids])
    spread = np.array([stats[i][2] - stats[i][1] if i in stats else np.nan for i in ids])
    enough = n >= STUCK_MIN_READINGS
    flat, varied = enough & (spread == 0), enough & (spread > 0)
    kinds = np.asarray(sensors.kind, object).astype(str)
    now = _seconds(np.array([snapshot.ts], dtype=object))[0]
    groups: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for s in np.flatnonzero(flat).tolist():
        peers = (kinds == kinds[s]) & enough
        peers[s] = False
        moving = int((varied & peers).sum())
        if not peers.any() or moving * 2 < int(peers.sum()):
            continue                        # its kind was still too: the plant, not the sensor
        r, lp = int(sensors.rack[s]), int(sensors.cooling_loop[s])
        key = ("rack", r) if r >= 0 else (("loop", lp) if lp >= 0 else ("sensor", s))
        groups.setdefault(key, []).append((s, f"{moving} of {int(peers.sum())} other {kinds[s]} sensors"))
    out = []
    for (what, i), rows in groups.items():
        began = _seconds(np.array([stats[ids[s]][3] for s, _ in rows], dtype=object))
        steady = np.where(np.isfinite(began), now - began, float(stuck_after_min) * 60.0)
        listed = "; ".join(f"{sensors.name[s]} has read {stats[ids[s]][1]:g} unchanged for {age_text(steady[k])} "
                           f"(since {stats[ids[s]][3] or 'before the window'}) while {peers} varied"
                           for k, (s, peers) in enumerate(rows))
        msg = f"{listed}: a stuck sensor? its readings are still used"
        common: dict[str, Any] = dict(value=float(steady.max()) / 60.0, limit=float(stuck_after_min), unit="min",
                                      analysis=analysis)
        out.append(_sensor_warning(design, "sensor-stuck", msg, what, i, where_rack, where_loop, common))
    return out
