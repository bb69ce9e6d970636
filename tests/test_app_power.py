"""The viewer's Power dock: the chain as a tree, red where capacity or redundancy fails, click to trace."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from test_power import independent_max_loads, independent_node_loads


def node(design, name: str) -> int:
    return int(np.flatnonzero(design.power_nodes.name == name)[0])


def test_power_panel_tree_colours_and_trace(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    d, panel = window.design, window.power
    result = panel.result
    assert result is not None and panel.tree.topLevelItemCount() == 1          # the utility at the top
    assert panel.tree.topLevelItem(0).text(0) == "Utility"
    assert len(panel.items) < len(d.power_nodes)                                 # deep rows wait for expansion
    # the seeded faults: F-busway2 (installed at 480 kW) over capacity, and both members of SWB-2's UPS group,
    # which lost N+1 without its third module, are red with the reason
    busway = node(d, "F-busway2")
    assert panel.row_colour(busway) == "#c62828" and "over capacity" in panel.ensure_item(busway).toolTip(0)
    text = panel.row_text(busway)
    truth = independent_node_loads(hall_db)
    assert text[2] == f"{truth['F-busway2'][0] / 1000:,.1f}" and text[3] == "480.0" and text[1].startswith("13")
    for name in ("UPS-2A", "UPS-2B"):
        ups = node(d, name)
        assert panel.row_colour(ups) == "#c62828" and "SWB-2 UPS N+1" in panel.ensure_item(ups).toolTip(0), name
    assert panel.row_colour(node(d, "SWB-2")) == ""                                # the board itself holds
    assert panel.row_colour(node(d, "UPS-5C")) == ""                              # idle UPS in a group that holds
    assert "1 over capacity" in panel.summary.text()                              # F-busway2 only

    # clicking A06's busbar row traces it: its rack's trays and the chain's gear are selected
    window.power_dock.raise_()
    qtbot.waitUntil(panel.tree.isVisible, timeout=5000)
    busbar = node(d, "A06-busbar")
    shelves = panel.ensure_item(node(d, "A06-shelves"))
    shelves.setExpanded(True)
    item = panel.ensure_item(busbar)
    a06_it = (18 * 5800 + 9 * 800 + 2 * 98) / 168000                     # A06's IT on its 3,500 A × 48 V busbar
    assert panel.row_colour(busbar) == "" and item.text(1) == f"{a06_it:.1%}" == "66.5%"     # under 80 %: plain
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    assert rect.isValid(), (rect, item.parent().isExpanded(), panel.tree.isVisible())
    with qtbot.waitSignal(panel.traceRequested, timeout=5000):
        qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 8, rect.center().y()))
    qtbot.waitUntil(lambda: bool(window.selection), timeout=5000)
    assert list(d.parts.name[window.selection]) == ["A06-busbar"]          # Properties shows the node's part
    assert "A06-busbar" in window.properties.title.text()
    lit = set(d.parts.name[window.view.highlight_parts])
    assert {"A06-busbar", "UPS-1A", "SWB-1"} <= lit
    trays = set(d.parts.name[(d.parts.rack == d.rack_index("A06")) & (d.part_kind() == "compute_tray")])
    assert trays <= lit and not any(n.startswith("B0") for n in lit)
    assert f"{a06_it:.1%}" in window.properties.text()                    # the busbar's own node

    # Properties shows the rack's kW against its budget
    window.select_parts([int(np.flatnonzero(d.parts.rack == d.rack_index("B04"))[0])])
    props = window.properties.text()
    assert "[Power chain]" in props
    assert "rack IT power / budget: 132.7 / 132.0 kW (100.5%)" in props     # 18 × 6.96 + 9 × 0.8 + 2 × 0.098 kW

    # on the maximum basis B04's busbar (its trays at 1.2 × nominal, above their catalog maximum) is amber:
    # above 80 %, not over
    window.overlays.basis.setCurrentIndex(window.overlays.basis.findData("max"))
    qtbot.waitUntil(lambda: window.power.result is not None and window.power.result.basis == "max", timeout=10000)
    load, cap = independent_max_loads(hall_db)["B04-busbar"]
    busbar = node(d, "B04-busbar")
    assert 0.8 < load / cap < 1.0
    assert window.power.row_colour(busbar) == "#b26a00" and window.power.row_text(busbar)[1] == f"{load / cap:.1%}"
