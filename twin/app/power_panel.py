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

COLUMNS = ("Node", "Utilization", "Load kW", "Capacity kW", "Kind", "Source")
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
        for column, width in enumerate((200, 80, 75, 85, 110)):
            self.tree.setColumnWidth(column, width)
        self.tree.itemClicked.connect(self._on_clicked)
        self.tree.itemActivated.connect(self._on_clicked)
        self.tree.itemExpanded.connect(self._on_expanded)
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
        """Rebuild the tree from one analysis result (e.g. after the time slider or basis moved).
        Rows below the busways are made when their parent is first expanded, so a 2,000-rack
        hall opens without building thousands of rows."""
        assert self.design is not None
        self.result = result
        d, n = self.design, result.nodes
        self._names, self._kinds = d.power_nodes.name.tolist(), d.power_nodes.kind.tolist()
        self._failing = {}
        for g in result.groups:
            if not g.holds:
                for m in g.members.tolist():
                    self._failing[m] = (f"{g.name}: {g.mode} cannot carry {g.load_w / 1000:,.1f} kW with "
                                        f"{' + '.join(g.lost)} lost ({g.surviving_w / 1000:,.1f} kW remains)")
        parent = result.tree.parent
        order = np.argsort(parent, kind="stable")
        bounds = np.searchsorted(parent[order], np.arange(-1, len(parent) + 1))
        self._children = [order[bounds[i + 1]:bounds[i + 2]].tolist() for i in range(len(parent))]
        self._roots = order[bounds[0]:bounds[1]].tolist()
        self._cols = ((n.load_w / 1000).tolist(), (n.capacity_w / 1000).tolist(), n.utilization.tolist(),
                      n.measured_share.tolist())
        self._populated: set[int] = set()
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        self.items = {}
        for i in self._roots:
            self.tree.addTopLevelItem(self._make_item(i))
        for i in self._roots:                  # utility, switchboards and what they feed, open
            self._populate(i)
            self.items[i].setExpanded(True)
            for c in self._children[i]:
                self._populate(c)
                self.items[c].setExpanded(True)
        self.tree.setUpdatesEnabled(True)
        over = int(np.sum(n.utilization > 1.0))
        lost = sum(not g.holds for g in result.groups)
        self.summary.setText(f"{len(self._names):,} nodes ({result.basis} power): {over} over capacity, "
                             f"{lost} redundancy group{'s' if lost != 1 else ''} failing")

    def _make_item(self, i: int) -> QTreeWidgetItem:
        result = self.result
        load, cap, util, share = (col[i] for col in self._cols)
        source = result.basis if result.basis != "measured" else \
            ("measured" if share >= 0.999 else "estimated" if share <= 0.001 else f"{share:.0%} measured")
        item = QTreeWidgetItem([self._names[i], f"{util:.1%}" if np.isfinite(util) else "—", f"{load:,.1f}",
                                f"{cap:,.1f}", self._kinds[i], source])
        item.setData(0, NODE_ROLE, i)
        for col in (1, 2, 3):
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        why = []
        if np.isfinite(util) and util > 1.0:
            why.append(f"over capacity: {load:,.1f} of {cap:,.1f} kW")
        if i in self._failing:
            why.append(self._failing[i])
        colour = RED if why else (AMBER if np.isfinite(util) and util > result.warn_utilization else None)
        if colour is not None:
            for col in range(len(COLUMNS)):
                item.setForeground(col, QBrush(colour))
        if why:
            item.setToolTip(0, "\n".join(why))
        if self._children[i]:
            item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
        self.items[i] = item
        return item

    def _populate(self, i: int) -> None:
        """Make the rows of node i's children (once)."""
        if i in self._populated:
            return
        self._populated.add(i)
        self.items[i].addChildren([self._make_item(c) for c in self._children[i]])

    def _on_expanded(self, item: QTreeWidgetItem) -> None:
        self._populate(int(item.data(0, NODE_ROLE)))

    def ensure_item(self, node: int) -> QTreeWidgetItem:
        """The row of `node`, making the rows above it first if they were not made yet."""
        if self.result is None:
            raise ValueError("no power result shown")
        chain = []
        i = int(node)
        while i >= 0 and i not in self.items:
            chain.append(i)
            i = int(self.result.tree.parent[i])
        for j in reversed(chain):
            parent = int(self.result.tree.parent[j])
            if parent >= 0:
                self._populate(parent)
        return self.items[int(node)]

    def select_node(self, node: int) -> None:
        """Select and trace one node (as a click on its row does)."""
        item = self.ensure_item(node)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        self._on_clicked(item, 0)

    def row_text(self, node: int) -> list[str]:
        """The texts of a node's row (for tests and copy)."""
        item = self.ensure_item(node)
        return [item.text(c) for c in range(len(COLUMNS))]

    def row_colour(self, node: int) -> str:
        """The text colour of a node's row as #rrggbb ('' when default)."""
        brush = self.ensure_item(node).foreground(0)
        return brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else ""

    def _on_clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        if self.result is None or self.design is None:
            return
        node = int(item.data(0, NODE_ROLE))
        self.nodeSelected.emit(node)
        self.traceRequested.emit(self.result.trace(self.design, node=node))
