"""Cables panel: every cable of the design in one table, filtered, sorted, traced on click.

A hall has ~300,000 cables, so the table is a model over numpy columns (no Qt item per
cable): filtering is one vectorised text match, sorting one argsort, and Qt asks only for
the rows on screen. Clicking a row emits `traceRequested` (the window traces the cable in
3D); double-click or Enter emits `flyRequested` as well.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTableView,
                               QVBoxLayout, QWidget)

from twin.analysis.registry import AnalysisResult
from twin.model import Design
from twin.model.deferred import waiting

COLUMNS = ("Cable", "Kind", "Rate G", "From", "To", "Catalog m", "Routed m", "Reach used", "Finding")
SEVERITY = ("", "warning", "critical")
SEVERITY_COLOURS = (None, QColor("#f0a202"), QColor("#d7301f"))


class CableTableModel(QAbstractTableModel):
    """Cables as table rows; `rows` maps the view's rows to cable rows after filter and sort."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: list[np.ndarray] = []
        self.sort_keys: list[np.ndarray] = []
        self.severity = np.zeros(0, np.int8)
        self.search = np.zeros(0, dtype=str)
        self.rows = np.zeros(0, np.int64)

    def set_data(self, design: Design, result: AnalysisResult | None) -> None:
        self.beginResetModel()
        c = design.cables
        text = design.cable_text()
        names = np.asarray(design.parts.name, dtype=object)
        a = np.where(c.a_part >= 0, names[np.maximum(c.a_part, 0)], "?") + ":" + text.a_port_name.astype(str)
        b = np.where(c.b_part >= 0, names[np.maximum(c.b_part, 0)], "?") + ":" + text.b_port_name.astype(str)
        kind = design.cable_kind()
        n = len(c)
        routed = result.detail.routed_m if result is not None else np.asarray(c.routed_m, float)
        share = result.detail.reach_share if result is not None else np.full(n, np.nan)
        self.severity = result.detail.severity if result is not None else np.zeros(n, np.int8)
        self.columns = [text.name, kind, c.rate_gbps, a, b, c.length_m, routed, share,
                        np.asarray(SEVERITY, dtype=object)[self.severity]]
        self.sort_keys = [text.name.astype(str), kind.astype(str), c.rate_gbps, a.astype(str), b.astype(str),
                          c.length_m, np.nan_to_num(routed, nan=-1), np.nan_to_num(share, nan=-1), self.severity]
        self.search = np.char.lower((text.name.astype(str) + " " + kind.astype(str) + " " + a.astype(str) + " "
                                     + b.astype(str)).astype(str))
        self.rows = np.arange(n)
        self.endResetModel()

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = int(self.rows[index.row()])
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.columns[col][r]
            if col in (2, 5):
                return f"{value:g}"
            if col == 6:
                return "" if not np.isfinite(value) else f"{value:.2f}"
            if col == 7:
                return "" if not np.isfinite(value) else f"{value:.0%}"
            return str(value)
        if role == Qt.ItemDataRole.ForegroundRole and col == 8:
            return SEVERITY_COLOURS[int(self.severity[r])]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (2, 5, 6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if not len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        keys = self.sort_keys[column][self.rows]
        idx = np.argsort(keys, kind="stable")
        if order == Qt.SortOrder.DescendingOrder:
            idx = idx[::-1]
        self.rows = self.rows[idx]
        self.layoutChanged.emit()

    def apply_filter(self, text: str, only_findings: bool) -> None:
        self.beginResetModel()
        mask = np.ones(len(self.search), bool)
        for word in text.lower().split():
            mask &= np.char.find(self.search, word) >= 0
        if only_findings:
            mask &= self.severity > 0
        self.rows = np.flatnonzero(mask)
        self.endResetModel()


class CablesPanel(QWidget):
    traceRequested = Signal(int)     # cable row
    flyRequested = Signal(int)       # cable row

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.design: Design | None = None
        self.session = None                      # twin.session.ReviewSession, when given
        self.result: AnalysisResult | None = None
        self._loaded = False
        self.model = CableTableModel(self)
        self.filter = QLineEdit()
        self.filter.setObjectName("cablesFilter")
        self.filter.setPlaceholderText("Filter: cable, kind, device or port (words all match)")
        self.filter.returnPressed.connect(self.refilter)
        self.only_findings = QCheckBox("Only with findings")
        self.only_findings.toggled.connect(lambda _on: self.refilter())
        self.count = QLabel("")
        self.count.setObjectName("cablesCount")
        self.table = QTableView()
        self.table.setObjectName("cablesTable")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((80, 60, 60, 170, 170, 75, 75, 80)):
            self.table.setColumnWidth(column, width)
        self.table.clicked.connect(lambda index: self.traceRequested.emit(self.cable_at(index.row())))
        self.table.activated.connect(self._on_activated)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.only_findings)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def set_session(self, session) -> None:
        """Show the cables of a review session's design, with its (cached) cabling check."""
        self.session = session
        self.set_design(session.design if session is not None else None)

    def set_design(self, design: Design | None, result: AnalysisResult | None = None) -> None:
        """Show `design`'s cables (with the cabling check's numbers when given). Cable names are
        read from the file when the panel is first shown, not before."""
        self.design, self.result = design, result
        self._loaded = False
        if design is None:
            self.model.beginResetModel()
            self.model.rows = np.zeros(0, np.int64)
            self.model.endResetModel()
            self.count.setText("")
        elif self.on_screen():
            self.load()

    def on_screen(self) -> bool:
        """True when the panel is really seen (a dock tab behind another counts as visible to Qt)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def load(self) -> None:
        if self.design is None or self._loaded:
            return
        if waiting(self.design.cables):         # read after the first frame: `cables_read` loads then
            self.count.setText("cables: loading…")
            return
        self._loaded = True
        if self.result is None and len(self.design.cables):
            if self.session is not None:
                self.result = self.session.result("cabling")
            else:
                from twin.analysis.cabling import run_cabling
                self.result = run_cabling(self.design)
        self.model.set_data(self.design, self.result)
        self.refilter()

    def cables_read(self, design: Design) -> None:
        """The design's cables arrived (read after the first frame): fill the table if it is seen."""
        if design is self.design and not self._loaded and self.on_screen():
            self.load()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.on_screen():
            self.load()

    def refilter(self) -> None:
        self.load()
        self.model.apply_filter(self.filter.text(), self.only_findings.isChecked())
        self.count.setText(f"{len(self.model.rows):,} of {len(self.model.severity):,}")

    def cable_at(self, view_row: int) -> int:
        return int(self.model.rows[view_row]) if 0 <= view_row < len(self.model.rows) else -1

    def select_cable(self, cable: int) -> None:
        """Scroll to and select a cable's row (when it passes the filter)."""
        self.load()
        hit = np.flatnonzero(self.model.rows == cable)
        if len(hit):
            index = self.model.index(int(hit[0]), 0)
            self.table.selectRow(int(hit[0]))
            self.table.scrollTo(index)

    def _on_activated(self, index) -> None:
        cable = self.cable_at(index.row())
        self.traceRequested.emit(cable)
        self.flyRequested.emit(cable)
