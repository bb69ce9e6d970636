"""Power in pictures: the banded overlay exported headlessly, and a trace lit up in the 3D scene."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from test_power import independent_groups, independent_node_loads
from twin.analysis.power import analyse_power
from twin.export.image import read_png, render_design
from twin.analysis import colouring
from twin.store import load_design


def _roof_colour(design, scene, image, rack: str, toward_front: float = 0.15) -> np.ndarray:
    """Mean colour of a 3×3 patch on a rack's roof, between the strips drawn over it."""
    r = design.rack_index(rack)
    frame = scene.geometry.frame_of_rack[r]
    yaw = np.radians(design.parts.yaw_deg[frame])
    ly = -toward_front * design.part_size()[frame][1]
    point = scene.geometry.rack_centre[r] + np.array([-np.sin(yaw) * ly, np.cos(yaw) * ly, 1.2])
    x, y = scene.camera.project(point)[0].round().astype(int)
    return image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)


def is_red(c) -> bool:
    return c[0] > 150 and c[1] < 110 and c[2] < 110


def is_amber(c) -> bool:
    return c[0] > 150 and c[1] > 130 and c[2] < 110


def is_green(c) -> bool:
    return c[1] > 120 and c[1] > c[0] + 30


def test_utilization_bands_are_exact_at_80_and_100_percent() -> None:
    rgb = colouring.map_values(np.array([0.0, 79.9, 80.0, 80.1, 99.9, 100.0, 100.1, 150.0, np.nan]),
                              "utilization", 0.0, 120.0)
    green, amber, red = (np.array(c, np.uint8) for _, c in colouring.UTILIZATION_BANDS)
    expected = [green, green, green, amber, amber, amber, red, red, np.array(colouring.NO_VALUE, np.uint8)]
    assert (rgb == np.array(expected)).all()
    table = colouring.lookup_table("utilization", 120)          # the legend's table: bands at 80 and 100
    assert (table[79] == green).all() and (table[81] == amber).all() and (table[101] == red).all()


def test_cli_power_export_shows_b04_red_among_amber_neighbours(hall_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "power.png"
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    result = subprocess.run([sys.executable, "-m", "twin", "export", "image", str(hall_db), "-o", str(out), "--view",
                             "top", "--overlay", "power", "--size", "1920x1080"], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    image = read_png(out)
    design = load_design(hall_db)
    # 1920x1080: racks wide enough on screen that a 3x3 patch lands on the roof between its strips
    _, scene = render_design(design, view="top", size=(1920, 1080), overlay="power")
    assert is_red(_roof_colour(design, scene, image, "B04"))
    for neighbour in ("B03", "B05", "A04", "C04"):
        assert is_amber(_roof_colour(design, scene, image, neighbour)), neighbour
    # the UPSs of SWB-2's group, which lost N+1 with its third module left out, are red although each is under
    # capacity; SWB-1's group holds with room (its UPS-1A green), and so is SWB-2 itself: the figures by SQL
    truth = independent_node_loads(hall_db)
    groups = independent_groups(hall_db, truth)
    assert groups["SWB-2 UPS N+1"][1] > groups["SWB-2 UPS N+1"][2]
    assert groups["SWB-1 UPS N+1"][1] < 0.8 * groups["SWB-1 UPS N+1"][2]
    assert truth["SWB-2"][0] < 0.8 * truth["SWB-2"][1] and truth["UPS-1A"][0] < 0.8 * truth["UPS-1A"][1]
    for name, test in (("UPS-2A", is_red), ("UPS-2B", is_red), ("UPS-1A", is_green), ("SWB-2", is_green)):
        part = int(np.flatnonzero(design.parts.name == name)[0])
        top = scene.geometry.centre[part] + np.array([0, 0, design.part_size()[part][2] / 2])
        x, y = scene.camera.project(top)[0].round().astype(int)
        colour = image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)
        assert test(colour), (name, colour)
    # busway runs are drawn along their taps: F-busway2 (installed at 480 kW) red, E-busway2 beside it green
    assert truth["F-busway2"][0] > truth["F-busway2"][1] and truth["E-busway2"][0] < 0.8 * truth["E-busway2"][1]
    nodes = analyse_power(design).nodes
    for name, test in (("F-busway2", is_red), ("E-busway2", is_green)):
        i = int(np.flatnonzero(design.power_nodes.name == name)[0])
        x, y = scene.camera.project(np.array([*nodes.centre[i, :2], nodes.hi[i, 2] + 0.15]))[0].round().astype(int)
        colour = image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)
        assert test(colour), (name, colour)


def test_trace_of_a_tray_lights_up_its_chain_in_3d(hall_db: Path) -> None:
    design = load_design(hall_db)
    result = analyse_power(design)
    tray = int(np.flatnonzero((design.part_kind() == "compute_tray") & (design.parts.rack == design.rack_index("A06")))[0])
    trace = result.trace(design, part=tray)
    image, scene = render_design(design, view="top", size=(1280, 720))
    scene.state.highlight(parts=trace.parts, cables=trace.cables)
    scene.lod.update(force=True)
    lit = scene.screenshot()

    def colour(name: str) -> np.ndarray:
        part = int(np.flatnonzero(design.parts.name == name)[0])
        top = scene.geometry.centre[part] + np.array([0, 0, design.part_size()[part][2] / 2])
        x, y = scene.camera.project(top)[0].round().astype(int)
        return lit[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int).mean(axis=0)

    def traced(c) -> bool:                  # leaning to the trace orange
        return c[0] > 150 and c[0] - c[2] > 100

    def dimmed(c) -> bool:                  # faded towards the floor's light grey
        return abs(c[0] - c[2]) < 45 and c.mean() > 150

    for name in ("UPS-1A", "SWB-1", "A06-busway-tap"):
        assert traced(colour(name)), (name, colour(name))
    for name in ("UPS-1B", "SWB-2", "UPS-2A", "A05-busway-tap", "B06-busway-tap"):
        assert dimmed(colour(name)), (name, colour(name))


def test_rack_boxes_take_the_rack_frame_colour_under_the_power_overlay(hall_db: Path) -> None:
    from twin.scene import Scene
    from twin.session import ReviewSession

    design = load_design(hall_db)
    overlay = ReviewSession(design).overlay("power")
    scene = Scene(design, size=(320, 180))
    summary = scene.geometry.rack_summary(overlay.values, overlay.rack_reduce)
    b04, a06 = design.rack_index("B04"), design.rack_index("A06")
    assert summary[b04] == pytest.approx((18 * 5800 * 1.2 + 9 * 800 + 2 * 98) / 132000 * 100, abs=0.05)  # IT / budget, not its busbar
    assert 80 < summary[a06] < 100
    scene.detach()
