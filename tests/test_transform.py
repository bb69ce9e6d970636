"""The one yaw transform (twin.model.transform) against 4×4 matrices, and its users agreeing with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.geometry import box_mesh
from twin.geometry.instancing import instance, world_boxes
from twin.model.transform import local_to_world, rotate_yaw, yawed_box_half_extent
from twin.store import load_design


def _matrix(position: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The 4×4 rigid transform: rotate about +Z by yaw, then translate."""
    t = np.radians(yaw_deg)
    m = np.eye(4)
    m[:2, :2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    m[:3, 3] = position
    return m


def test_local_to_world_matches_rigid_matrices() -> None:
    rng = np.random.default_rng(3)
    n = 200
    origin = rng.uniform(-50, 50, (n, 3))
    yaw = rng.uniform(-360, 360, n)
    offset = rng.uniform(-2, 2, (n, 3))
    expected = np.array([(_matrix(origin[i], yaw[i]) @ np.r_[offset[i], 1.0])[:3] for i in range(n)])
    np.testing.assert_allclose(local_to_world(origin, yaw, offset), expected, atol=1e-12)
    np.testing.assert_allclose(rotate_yaw(offset, yaw), expected - origin, atol=1e-12)


@pytest.mark.parametrize("yaw,local,world", [
    (0.0, (0.0, -1.0, 0.5), (0.0, -1.0, 0.5)),       # a front at yaw 0 faces -Y
    (180.0, (0.0, -1.0, 0.5), (0.0, 1.0, 0.5)),      # turned round, it faces +Y
    (90.0, (1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),        # counter-clockwise seen from above
    (-90.0, (1.0, 0.0, 2.0), (0.0, -1.0, 2.0)),
])
def test_axes_convention(yaw: float, local: tuple, world: tuple) -> None:
    got = local_to_world(np.zeros((1, 3)), np.array([yaw]), np.array([local]))
    np.testing.assert_allclose(got[0], world, atol=1e-12)


def test_rotate_broadcasts_one_yaw_per_instance() -> None:
    """(k, nv, 3) vertices with a (k, 1) yaw: every vertex of instance i turns by yaw i."""
    verts = np.broadcast_to(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]]), (3, 2, 3))
    out = rotate_yaw(verts, np.array([0.0, 90.0, 180.0]).reshape(3, 1))
    np.testing.assert_allclose(out[1], [[0.0, 1.0, 0.0], [-2.0, 0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(out[2], [[-1.0, 0.0, 0.0], [0.0, -2.0, 1.0]], atol=1e-12)


def test_yawed_box_half_extent_bounds_the_turned_corners() -> None:
    rng = np.random.default_rng(5)
    size = rng.uniform(0.1, 3.0, (50, 2))
    yaw = rng.uniform(0, 360, 50)
    half = yawed_box_half_extent(size, yaw)
    corners = np.array([[sx, sy, 0.0] for sx in (-0.5, 0.5) for sy in (-0.5, 0.5)])
    for i in range(50):
        turned = rotate_yaw(corners * np.r_[size[i], 1.0], yaw[i])
        np.testing.assert_allclose(np.abs(turned[:, :2]).max(axis=0), half[i], atol=1e-12)


def test_mesh_batches_and_part_boxes_use_the_same_frame() -> None:
    """A box mesh instanced at a yaw fills exactly the world box computed for the same part."""
    size = np.array([[0.6, 1.2, 2.3], [0.4, 0.9, 0.05]])
    pos = np.array([[3.0, 4.0, 0.0], [-1.0, 2.0, 1.0]])
    yaw = np.array([30.0, 180.0])
    lo, hi = world_boxes(pos, size, yaw)
    for i in range(2):
        batch = instance(box_mesh(tuple(size[i])), np.array([i]), pos[i:i + 1], yaw[i:i + 1])
        np.testing.assert_allclose(batch.points.min(axis=0), lo[i], atol=1e-5)
        np.testing.assert_allclose(batch.points.max(axis=0), hi[i], atol=1e-5)


def test_cable_ends_sit_on_their_parts(hall_db: Path) -> None:
    """Ports placed by the generator land inside the yawed bounds of the part they belong to."""
    d = load_design(hall_db)
    for ends, part in zip(d.cable_ends(), (d.cables.a_part, d.cables.b_part)):
        lo, hi = world_boxes(d.parts.position[part], d.part_size()[part], d.parts.yaw_deg[part])
        slack = 0.06                                       # ports sit on the faces, rounding aside
        inside = np.all((ends >= lo - slack) & (ends <= hi + slack), axis=1)
        assert len(ends) > 1000 and inside.all(), np.flatnonzero(~inside)[:5]
        assert set(np.unique(d.parts.yaw_deg[part])) >= {0.0, 180.0}   # turned rows are checked too
