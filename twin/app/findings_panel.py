"""Findings panel: the findings of every registered analysis at the session's moment, most severe first.

The panel asks the window's `ReviewSession` for the findings of the open design at the time
slider's moment (cached there: the overlay panel and this one share each analysis run) and
lists them. Double-click or Enter on one emits `findingActivated`; the window decides where
the camera goes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from twin.analysis.findings import Finding, sort_findings, summary_line
from twin.session import ReviewSession

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
        self.session: ReviewSession | None = None
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
        self.set_session(None)

    # ------------------------------------------------------------------ content
    def set_session(self, session: ReviewSession | None) -> None:
        self.session = session
        if session is None:
            self._show([], None, "open a design to see its findings", "")
            return
        self.refresh()

    def refresh(self) -> None:
        """List the findings at the session's moment (each analysis runs once per moment)."""
        session = self.session
        if session is None:
            return
        try:
            results = session.results()
        except Exception as exc:              # an odd file must not take the viewer down
            self._show([], session.at, f"analysis failed: {exc}", "")
            return
        findings = sort_findings(f for result in results.values() for f in result.findings)
        at = next((r.reading_ts for r in results.values() if r.reading_ts), None)
        when = f"at {at}" if at else "estimated (no telemetry)"
        self._show(findings, at, summary_line(findings), when)

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
