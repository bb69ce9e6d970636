"""Read a captured Prometheus `/metrics` page (text format), such as NVIDIA's DCGM exporter writes.

Parsed with `prometheus_client`'s own text parser (the reference implementation of the
format: escapes, HELP/TYPE lines, timestamps). Each sample of a metric twin knows becomes one
sensor, identified by the metric and the labels that name the device (`UUID`, else `Hostname`
and `gpu`, else every label), so the next capture of the same GPU lands on the same sensor.
Binding looks for a part whose serial is the GPU's `UUID` or its node's `Hostname`, then the
map (labels → part). A sample's own timestamp (milliseconds) is its time; without one, the
time of the import.

Metrics of other exporters are refused once per metric name: their units are not known.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

from twin.errors import TwinError
from twin.geometry.assetpath import AssetRefused, read_regular
from twin.importers.telemetry.model import Harvest, Observed
from twin.importers.telemetry.units import convert
from twin.store.telemetry import TS_FORMAT

MAX_BYTES = 64 * 1024 * 1024
MAX_SAMPLES = 1_000_000
#: metric -> (sensor kind, unit the exporter writes)
METRICS = {
    "DCGM_FI_DEV_POWER_USAGE": ("power", "W"),
    "DCGM_FI_DEV_POWER_MGMT_LIMIT": ("power_limit", "W"),
    "DCGM_FI_DEV_GPU_TEMP": ("gpu_temp", "Cel"),
    "DCGM_FI_DEV_MEMORY_TEMP": ("memory_temp", "Cel"),
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": ("energy", "mJ"),
    "DCGM_FI_DEV_GPU_UTIL": ("gpu_util", "%"),
    "DCGM_FI_DEV_MEM_COPY_UTIL": ("mem_copy_util", "%"),
    "DCGM_FI_DEV_FAN_SPEED": ("fan_speed", "%"),
    "DCGM_FI_DEV_SM_CLOCK": ("sm_clock", "MHz"),
    "DCGM_FI_DEV_MEM_CLOCK": ("mem_clock", "MHz"),
}
ID_LABELS = ("UUID", "Hostname", "gpu")


def read_prometheus(path: Path) -> Harvest:
    """Every known sample of the capture at `path` (module docstring); TwinError when it is not one."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        body = read_regular(path.resolve(), MAX_BYTES)
    except AssetRefused:
        raise TwinError(path, f"not a regular file of at most {MAX_BYTES:,} bytes") from None
    text = body.decode("utf-8", errors="replace")
    harvest = Harvest(source=str(path.resolve()), kind="prometheus")
    now = datetime.now(timezone.utc).strftime(TS_FORMAT)
    refused: set[str] = set()
    seen: dict[str, Observed] = {}
    count = 0
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                count += 1
                if count > MAX_SAMPLES:
                    raise TwinError(path, f"over {MAX_SAMPLES:,} samples; refused")
                known = METRICS.get(sample.name)
                if known is None:
                    if sample.name not in refused:
                        refused.add(sample.name)
                        harvest.refuse(sample.name, "not a metric twin reads (DCGM exporter GPU metrics); its unit is "
                                                    "unknown")
                    continue
                labels = {str(k): str(v) for k, v in sample.labels.items()}
                ident = [k for k in ("UUID",) if labels.get(k)] or [k for k in ("Hostname", "gpu") if labels.get(k)] \
                    or sorted(labels)
                uri = sample.name + "{" + ",".join(f'{k}="{labels[k]}"' for k in ident) + "}"
                value = float(sample.value)
                if not math.isfinite(value):
                    harvest.notes.append(f"{uri}: value {sample.value} is not a number; skipped")
                    continue
                got = convert(value, known[1])
                assert got is not None
                ts = now
                if sample.timestamp is not None:
                    stamp = float(sample.timestamp)
                    if not math.isfinite(stamp) or not 0 < stamp < 32503680000:
                        harvest.notes.append(f"{uri}: timestamp {sample.timestamp} is not a time; the import time is used")
                    else:
                        ts = datetime.fromtimestamp(stamp, timezone.utc).strftime(TS_FORMAT)
                obs = seen.get(uri)
                if obs is None:
                    name = f"GPU{labels['gpu']}-{known[0]}" if labels.get("gpu") else f"{sample.name}"
                    keys = tuple(labels[k] for k in ("UUID", "Hostname") if labels.get(k))
                    obs = Observed(uri=uri, name=name, kind=known[0], unit=got[1], serial=keys[0] if keys else "",
                                   serial_keys=keys, labels={**labels, "__name__": sample.name},
                                   reading_type=sample.name)
                    seen[uri] = obs
                    harvest.sensors.append(obs)
                obs.readings.append((ts, got[0]))
    except TwinError:
        raise
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise TwinError(path, f"not Prometheus text format ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__})") from None
    if count == 0:
        raise TwinError(path, "no samples: not a Prometheus text-format capture")
    return harvest
