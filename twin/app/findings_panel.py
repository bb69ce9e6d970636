"""Findings panel: the thermal analysis's findings at the overlay panel's moment, most severe first.

The panel asks `twin.analysis.thermal` for the findings of the open design at a telemetry
timestamp (`twin.analysis.thermal.analyse_thermal_at`) and lists them. Double-click or Enter on one
emits `findingActivated`; the window decides where the camera goes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from twin.analysis.findings import Finding, sort_findings, summary_line
from twin.analysis.thermal import analyse_thermal_at
from twin.model import Design

SEVERITY_COLOURS = {"critical": "#d7301f", "warning": "#f0a202", "info": "#3b7dd8"}
COLUMNS = ("Severity", "Code", "Subject", "Message")
FINDING_ROLE = Qt.ItemDataRole.UserRole


def _marker(colour: str, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(colour).darker(140))
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class FindingsPanel(QWidget):
    findingActivated = Signal(object)        # Finding

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.design: Design | None = None
        self.findings: list[Finding] = []
        self.timestamp: str | None = None
        self._icons = {name: _marker(colour) for name, colour in SEVERITY_COLOURS.items()}
        self.summary = QLabel("")
        self.summary.setObjectName("findingsSummary")
        self.time_label = QLabel("")
        self.time_label.setObjectName("findingsTime")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.list = QTreeWidget()
        self.list.setObjectName("findingsList")
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(list(COLUMNS))
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for column, width in enumerate((90, 130, 110)):
            self.list.setColumnWidth(column, width)
        self.list.itemActivated.connect(self._on_activated)     # double-click and Enter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        header = QWidget()
        h = QHBoxLayout(header)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(self.summary, 1)
        h.addWidget(self.time_label)
        layout.addWidget(header)
        layout.addWidget(self.list, 1)
        self.set_design(None)

    # ------------------------------------------------------------------ content
    def set_design(self, design: Design | None, ts: str | None = None) -> None:
        self.design = design
        self.result = None
        if design is None:
            self._show([], None, "open a design to see its thermal findings", "")
            return
        self.recompute(ts)

    def recompute(self, ts: str | None = None) -> None:
        """Analyse the design at telemetry moment `ts` (None: the latest reading, or estimates)."""
        d = self.design
        if d is None:
            return
        try:
            result = analyse_thermal_at(d, ts)
        except Exception as exc:              # an odd file must not take the viewer down
            self._show([], ts, f"thermal analysis failed: {exc}", "")
            return
        self.result = result
        at = result.reading_ts
        when = f"at {at}" if at else "estimated (no telemetry)"
        self._show(sort_findings(result.findings), at, summary_line(result.findings), when)

    def _show(self, findings: list[Finding], ts: str | None, summary: str, when: str) -> None:
        self.findings = findings
        self.timestamp = ts
        self.summary.setText(summary)
        self.time_label.setText(when)
        self.list.clear()
        items = []
        for i, f in enumerate(findings):
            item = QTreeWidgetItem([f.severity, f.code, f.subject, f.message])
            item.setIcon(0, self._icons[f.severity])
            item.setData(0, FINDING_ROLE, i)
            for column in range(len(COLUMNS)):
                item.setToolTip(column, f.to_text())
            items.append(item)
        self.list.addTopLevelItems(items)

    # ------------------------------------------------------------------ lookup and activation
    def item_for(self, text: str, severity: str | None = None) -> QTreeWidgetItem | None:
        """The first item whose subject or message contains `text` (and of `severity`, if given)."""
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            f = self.finding(item)
            if (text in f.subject or text in f.message) and (severity is None or f.severity == severity):
                return item
        return None

    def finding(self, item: QTreeWidgetItem) -> Finding:
        return self.findings[int(item.data(0, FINDING_ROLE))]

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        self.findingActivated.emit(self.finding(item))
