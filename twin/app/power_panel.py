"""Power panel: the power chain as a tree (load / capacity / utilization), clicking traces.

The panel shows one `PowerResult` (from `twin.analysis.power`): every node under its
parent, utility at the top, with its load, capacity and utilization, coloured by the same
bands as the overlay; nodes over capacity and every member of a redundancy group that
cannot lose a unit are drawn in red, with the reason in the tooltip. Clicking a row emits
`traceRequested` with the node's `Trace` (its chain to the utility and its subtree); the
window highlights it in 3D. All numbers come from the analysis: the panel computes nothing.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from twin.analysis.power import PowerResult, analyse_power
from twin.model import Design

COLUMNS = ("Node", "Kind", "Load kW", "Capacity kW", "Utilization", "Source")
RED, AMBER = QColor("#c62828"), QColor("#b26a00")
NODE_ROLE = Qt.ItemDataRole.UserRole


class PowerPanel(QWidget):
    traceRequested = Signal(object)        # twin.analysis.power_tree.Trace
    nodeSelected = Signal(int)             # power node row

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.design: Design | None = None
        self.result: PowerResult | None = None
        self.items: dict[int, QTreeWidgetItem] = {}
        self.summary = QLabel("")
        self.summary.setObjectName("powerSummary")
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("powerTree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setColumnWidth(0, 150)
        self.tree.itemClicked.connect(self._on_clicked)
        self.tree.itemActivated.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)

    def set_design(self, design: Design | None, result: PowerResult | None = None) -> None:
        """Show `design`'s power chain (`result` if given, else a fresh nominal analysis)."""
        self.design = design
        if design is None or not len(design.power_nodes):
            self.result = None
            self.tree.clear()
            self.items = {}
            self.summary.setText("This design has no power chain.")
            return
        self.show_result(result if result is not None else analyse_power(design))

    def show_result(self, result: PowerResult) -> None:
        """Rebuild the tree from one analysis result (e.g. after the time slider or basis moved)."""
        assert self.design is not None
        self.result = result
        d, n = self.design, result.nodes
        names, kinds = d.power_nodes.name.tolist(), d.power_nodes.kind.tolist()
        failing: dict[int, str] = {}
        for g in result.groups:
            if not g.holds:
                for m in g.members.tolist():
                    failing[m] = (f"{g.name}: {g.mode} cannot carry {g.load_w / 1000:,.1f} kW with "
                                  f"{' + '.join(g.lost)} lost ({g.surviving_w / 1000:,.1f} kW remains)")
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        self.items = {}
        load, cap, util = (n.load_w / 1000).tolist(), (n.capacity_w / 1000).tolist(), n.utilization.tolist()
        share = n.measured_share.tolist()
        for level in result.tree.levels:
            for i in level.tolist():
                u = util[i]
                source = result.basis if result.basis != "measured" else \
                    ("measured" if share[i] >= 0.999 else "estimated" if share[i] <= 0.001 else f"{share[i]:.0%} measured")
                item = QTreeWidgetItem([names[i], kinds[i], f"{load[i]:,.1f}", f"{cap[i]:,.1f}",
                                        f"{u:.1%}" if np.isfinite(u) else "—", source])
                item.setData(0, NODE_ROLE, i)
                for col in (2, 3, 4):
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                why = []
                if np.isfinite(u) and u > 1.0:
                    why.append(f"over capacity: {load[i]:,.1f} of {cap[i]:,.1f} kW")
                if i in failing:
                    why.append(failing[i])
                colour = RED if why else (AMBER if np.isfinite(u) and u > result.warn_utilization else None)
                if colour is not None:
                    for col in range(len(COLUMNS)):
                        item.setForeground(col, QBrush(colour))
                if why:
                    item.setToolTip(0, "\n".join(why))
                parent = int(result.tree.parent[i])
                if parent >= 0 and parent in self.items:
                    self.items[parent].addChild(item)
                else:
                    self.tree.addTopLevelItem(item)
                self.items[i] = item
        for i in result.tree.levels[0].tolist() if result.tree.levels else []:
            self.items[i].setExpanded(True)
            for k in range(self.items[i].childCount()):
                self.items[i].child(k).setExpanded(True)
        self.tree.setUpdatesEnabled(True)
        over = int(np.sum(n.utilization > 1.0))
        lost = sum(not g.holds for g in result.groups)
        self.summary.setText(f"{len(names):,} nodes ({result.basis} power): {over} over capacity, "
                             f"{lost} redundancy group{'s' if lost != 1 else ''} failing")

    def select_node(self, node: int) -> None:
        """Select and trace one node (as a click on its row does)."""
        item = self.items.get(int(node))
        if item is None:
            return
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        self._on_clicked(item, 0)

    def row_text(self, node: int) -> list[str]:
        """The texts of a node's row (for tests and copy)."""
        item = self.items[int(node)]
        return [item.text(c) for c in range(len(COLUMNS))]

    def row_colour(self, node: int) -> str:
        """The text colour of a node's row as #rrggbb ('' when default)."""
        brush = self.items[int(node)].foreground(0)
        return brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else ""

    def _on_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        if self.result is None or self.design is None:
            return
        node = int(item.data(0, NODE_ROLE))
        self.nodeSelected.emit(node)
        self.traceRequested.emit(self.result.trace(self.design, node=node))
