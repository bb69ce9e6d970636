"""A snapshot of sensor readings at one moment, as plain arrays.

It lives in the model (not the store) so that analyses can take one without touching the
database: the store reads it (`twin.store.telemetry.readings_at`), a review session caches
it per timestamp, and every analysis receives it as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class ReadingSnapshot:
    """Every sensor's value at one moment, in sensor-id order (= `design.sensors` row order).

    `sensor_id`: database ids (int64); `value`: float64, NaN where the sensor has no reading at
    or before `ts`; `reading_ts`: when each value was taken ('' where none); `ts`: the moment
    asked for in canonical form, or None when the file holds no readings at all.
    """

    source: Path
    ts: str | None
    sensor_id: np.ndarray
    value: np.ndarray
    reading_ts: np.ndarray

    def __len__(self) -> int:
        return len(self.sensor_id)

    @property
    def has_value(self) -> np.ndarray:
        """True for sensors with a reading at or before `ts`."""
        return np.isfinite(self.value)

    def values_for(self, sensor_ids: np.ndarray) -> np.ndarray:
        """Values for the given sensor ids, in their order (NaN for ids not in the snapshot)."""
        key = np.asarray(sensor_ids, dtype=np.int64)
        out = np.full(key.shape, np.nan)
        if len(self.sensor_id) == 0:
            return out
        order = np.argsort(self.sensor_id, kind="stable")
        sorted_ids = self.sensor_id[order]
        pos = np.minimum(np.searchsorted(sorted_ids, key), len(sorted_ids) - 1)
        hit = sorted_ids[pos] == key
        out[hit] = self.value[order[pos[hit]]]
        return out
