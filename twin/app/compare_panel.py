"""Compare panel: the open design's rack generations side by side, or the open design against a
baseline file, as a table of per-rack-type means and deltas (and, on request, every rack).

The numbers come from `twin.analysis.compare` (the same as `twin compare`). Against a baseline
file the panel also emits the diff overlay (added and changed parts coloured) for the 3D view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from twin.analysis.compare import (METRICS, Comparison, compare_designs, compare_generations, format_value,
                                   type_label)
from twin.analysis.partdiff import diff_overlay
from twin.errors import TwinError
from twin.model import Design
from twin.model.deferred import waiting
from twin.store import load_design

UP, DOWN = QColor("#b03a2e"), QColor("#1e7b4a")
HEADERS = ["rack type / rack", "racks"] + [f"{t} {u}".strip() for _, t, u, _ in METRICS]

ErrorReporter = Callable[[str, str], None]


class ComparePanel(QWidget):
    diffOverlay = Signal(object)        # Overlay (against a baseline file) or None

    def __init__(self, report_error: ErrorReporter | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.report_error: ErrorReporter = report_error or (lambda _t, _m: None)
        self.design: Design | None = None
        self.baseline: Design | None = None
        self.comparison: Comparison | None = None
        self.title = QLabel("open a design to compare its generations")
        self.title.setObjectName("compareTitle")
        self.title.setWordWrap(True)
        self.generations_button = QPushButton("Generations")
        self.generations_button.setToolTip("compare the rack generations of this design")
        self.file_button = QPushButton("Against file…")
        self.file_button.setToolTip("compare this design against a baseline design file; colours what changed")
        self.per_rack = QCheckBox("every rack")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.per_rack)
        top.addWidget(self.generations_button)
        top.addWidget(self.file_button)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("compareTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.generations_button.clicked.connect(self.compare_generations)
        self.file_button.clicked.connect(self._choose_file)
        self.per_rack.toggled.connect(lambda _on: self._fill())
        self.set_design(None)

    def set_design(self, design: Design | None) -> None:
        self.design, self.baseline, self.comparison = design, None, None
        self.generations_button.setEnabled(design is not None)
        self.file_button.setEnabled(design is not None)
        self.table.setRowCount(0)
        if design is not None and len(design.generations) >= 2 and waiting(design.cables):
            self.title.setText("comparing generations: cables loading…")     # `cables_read` compares
        elif design is not None and len(design.generations) >= 2:
            self.compare_generations()
        else:
            self.title.setText("one generation: compare against a baseline file" if design is not None
                               else "open a design to compare its generations")

    def cables_read(self, design: Design) -> None:
        """The design's cables arrived (read after the first frame): compare its generations now."""
        if design is self.design and self.comparison is None and self.baseline is None and len(design.generations) >= 2:
            self.compare_generations()

    def cables_failed(self, design: Design) -> None:
        """The design's cables could not be read (the window has said why): no comparison."""
        if design is self.design and self.comparison is None and self.baseline is None:
            self.title.setText("cannot compare generations: the cables could not be read")

    def compare_generations(self) -> None:
        if self.design is None:
            return
        try:
            self.comparison = compare_generations(self.design)
        except TwinError as exc:
            self.report_error("Cannot compare", str(exc))
            return
        self.baseline = None
        self.title.setText(f"Generations: {self.comparison.new} against {self.comparison.baseline} (mean rack per type)")
        self.diffOverlay.emit(None)
        self._fill()

    def _choose_file(self) -> None:
        start = str(Path(self.design.source).parent) if self.design is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, "Baseline design", start, "twin designs (*.twin.db *.db)")
        if path:
            self.compare_file(path)

    def compare_file(self, path: str | Path) -> None:
        """Compare the open design against the baseline design file at `path`."""
        if self.design is None:
            return
        try:
            baseline = load_design(path)
            self.comparison = compare_designs(baseline, self.design)
        except TwinError as exc:
            self.report_error("Cannot compare", str(exc))
            return
        self.baseline = baseline
        counts = self.comparison.parts_dict["counts"]
        self.title.setText(f"Against {Path(path).name}: {counts['added']} parts added, {counts['removed']} removed, "
                           f"{counts['changed']} changed")
        self.diffOverlay.emit(diff_overlay(self.design, self.comparison.parts, "new"))
        self._fill()

    # ------------------------------------------------------------------ table
    def _fill(self) -> None:
        c = self.comparison
        self.table.setRowCount(0)
        if c is None:
            return
        rows: list[tuple[list[str], str]] = []         # cells, style
        for a, b, d in c.pairs:          # the deltas first: they are what a review asks about
            rows.append(([f"Δ {b.key}  vs  {a.key}", f"{b.racks - a.racks:+d}"]
                         + [format_value(k, d[k], signed=True) for k, *_ in METRICS], "delta"))
        for t in c.types:
            rows.append(([type_label(c, t), str(t.racks)] + [format_value(k, t.mean[k]) for k, *_ in METRICS], "type"))
        if self.per_rack.isChecked():
            for r in c.racks:
                rows.append(([r["rack"], ""] + [format_value(k, r["values"][k]) for k, *_ in METRICS], "rack"))
        self.table.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for i, (cells, style) in enumerate(rows):
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j >= 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if style == "delta":
                    item.setFont(bold)
                    if j >= 2 and text not in ("0", "–"):
                        item.setForeground(QBrush(UP if text.startswith("+") else DOWN))
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def cell(self, row_label: str, column: str) -> str:
        """The text in the row whose first cell is `row_label`, under header `column` (for tests)."""
        j = HEADERS.index(column)
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).text() == row_label:
                return self.table.item(i, j).text()
        raise KeyError(row_label)
