"""Read a CSV of readings, as a building management system exports them.

Columns (a header row names them, in any order; others are ignored):

| column | required | meaning |
|---|---|---|
| `ts` | yes | ISO-8601 time (`2026-11-24T13:45:00Z`; no zone means UTC) |
| `sensor` | yes | the BMS's name of the point; identifies the sensor within this file's source |
| `value` | yes | a number |
| `unit` | yes | its unit (`degC`, `°F`, `kW`, `W`, `L/min`, `gpm`, `kPa`, …) |
| `quantity` | no | the sensor kind (`inlet_temp`, `supply_temp`, `flow`, `power`…) |
| `part`, `rack`, `loop` | no | what it measures, by name in the design |
| `serial` | no | the serial of the part it is on |

A row that cannot be read (a missing column, a value that is not a number, a time that is
not a time, an unknown unit, a sensor whose unit changes family) makes the file fail as a
whole, naming the first bad lines: a half-imported export would look complete.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from twin.errors import TwinError
from twin.geometry.assetpath import AssetRefused, read_regular
from twin.importers.telemetry.model import Harvest, Observed
from twin.importers.telemetry.units import convert
from twin.store.telemetry import canonical_ts

MAX_BYTES = 256 * 1024 * 1024
REQUIRED = ("ts", "sensor", "value", "unit")
OPTIONAL = ("quantity", "part", "rack", "loop", "serial")
SHOWN_BAD = 5


def read_csv(path: Path) -> Harvest:
    """Every reading of the CSV at `path` (module docstring)."""
    try:
        body = read_regular(path.resolve(), MAX_BYTES)
    except AssetRefused:
        raise TwinError(path, f"not a regular file of at most {MAX_BYTES:,} bytes") from None
    text = body.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise TwinError(path, "empty: a CSV of readings starts with a header row (ts,sensor,value,unit)") from None
    except csv.Error as exc:
        raise TwinError(path, f"line 1: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TwinError(path, f"line 1: no {', '.join(missing)} column (needs ts, sensor, value, unit)")
    col = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    harvest = Harvest(source=str(path.resolve()), kind="csv")
    sensors: dict[str, Observed] = {}
    bad: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            problem = _row(row, col, sensors, harvest, path)
            if problem:
                bad.append(f"line {line}: {problem}")
    except csv.Error as exc:
        bad.append(f"line {reader.line_num}: {exc}")
    if bad:
        more = f" (and {len(bad) - SHOWN_BAD} more bad rows)" if len(bad) > SHOWN_BAD else ""
        raise TwinError(path, "; ".join(bad[:SHOWN_BAD]) + more + "; nothing imported")
    if not sensors:
        raise TwinError(path, "no readings after the header")
    return harvest


def _row(row: list[str], col: dict[str, int], sensors: dict[str, Observed], harvest: Harvest, path: Path) -> str:
    def cell(name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    name, raw, unit, when = cell("sensor"), cell("value"), cell("unit"), cell("ts")
    if not name:
        return "no sensor name"
    try:
        value = float(raw)
    except ValueError:
        return f"value {raw[:40]!r} is not a number"
    if not math.isfinite(value):
        return f"value {raw[:40]!r} is not a finite number"
    got = convert(value, unit)
    if got is None:
        return f"unknown unit {unit[:40]!r} for sensor {name[:80]!r}"
    try:
        ts = canonical_ts(path, when)
    except TwinError:
        return f"ts {when[:40]!r} is not an ISO-8601 time"
    obs = sensors.get(name)
    if obs is None:
        explicit = {k: cell(k) for k in ("part", "rack", "loop") if cell(k)}
        serial = cell("serial")
        obs = Observed(uri=name, name=name, kind=cell("quantity") or "reading", unit=got[1], serial=serial,
                       serial_keys=(serial,) if serial else (), explicit=explicit, reading_type="csv")
        sensors[name] = obs
        harvest.sensors.append(obs)
    elif obs.unit != got[1]:
        return f"sensor {name[:80]!r} was in {obs.unit} and is now in {got[1]}"
    obs.readings.append((ts, got[0]))
    return ""
