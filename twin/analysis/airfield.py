"""A synthetic air-temperature field for a hall, from the thermal analysis (numpy only).

This is not CFD: it is a smooth, plausible stand-in (cold aisles at each rack's inlet
temperature, warm plumes behind racks rising with their outlet temperature, light
stratification under the ceiling) so the demo hall has a field to slice and contour, and
so the field import path is exercised end to end. Real CFD results load the same way.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.thermal import ThermalResult
from twin.model import Design
from twin.model.transform import front_direction


def synthesize_air_field(design: Design, result: ThermalResult, spacing: float = 0.4,
                         height: float = 3.2, hall: int = 0) -> tuple[np.ndarray, tuple[float, float, float], float]:
    """(nz, ny, nx) temperatures in °C over hall `hall` (row index), the grid origin and its spacing in metres."""
    w, d, _ = (float(v) for v in design.halls.size[hall])
    ox, oy = (float(v) for v in design.hall_origin()[hall])
    xs = ox + np.arange(0.0, w + 1e-9, spacing)
    ys = oy + np.arange(0.0, d + 1e-9, spacing)
    zs = np.arange(0.0, height + 1e-9, spacing)
    z, y, x = np.meshgrid(zs, ys, xs, indexing="ij")
    pts = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    supply = float(design.hall_supply_air_c()[hall])
    recirc = float(design.hall_recirculation_c()[hall])
    temp = supply + recirc + 0.6 * np.clip(pts[:, 2] - 2.4, 0, None)
    racks = design.racks
    front = front_direction(racks.yaw_deg)[:, :2]
    depth = design.part_types.size[racks.type, 1]
    centre = racks.position
    inlet = np.asarray(result.racks.inlet_c, float)
    outlet = np.asarray(result.racks.outlet_c, float)
    for r in np.flatnonzero(racks.hall == hall):
        f = centre[r] + front[r] * (depth[r] / 2 + 0.4)
        b = centre[r] - front[r] * (depth[r] / 2 + 0.5)
        zf = np.clip(pts[:, 2], 0, 2.2)
        dist_f = np.hypot(pts[:, 0] - f[0], pts[:, 1] - f[1]) ** 2 + (pts[:, 2] - zf) ** 2
        w_front = np.exp(-dist_f / 0.5)
        temp = temp * (1 - w_front) + inlet[r] * w_front
        dist_b = np.hypot(pts[:, 0] - b[0], pts[:, 1] - b[1]) ** 2 + (np.clip(1.4 - pts[:, 2], 0, None)) ** 2
        plume = (outlet[r] - temp) * np.exp(-dist_b / 0.9)
        temp = temp + np.clip(plume, 0, None)
    return temp.reshape(z.shape).astype(np.float32), (ox, oy, 0.0), spacing
