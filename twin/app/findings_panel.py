"""Findings panel: every registered analysis's findings at the overlay panel's moment, grouped by
code with counts (expand a group to see each), most severe first and then by margin, filtered
by severity, analysis and text.

The panel lists the findings of the window's `twin.session.ReviewSession` (thermal, power,
cabling… whatever is registered and available; runs cached there and shared with the other
panels), so a new analysis shows up here without touching this file. An analysis that fails is named in the
summary and the others still show. Double-click or Enter on a finding emits
`findingActivated`; the window decides where the camera goes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from twin.analysis.finding_groups import group_findings
from twin.analysis.findings import SEVERITIES, Finding, sort_findings, summary_line
from twin.session import ReviewSession

SEVERITY_COLOURS = {"critical": "#d7301f", "warning": "#f0a202", "info": "#3b7dd8"}
COLUMNS = ("Severity", "Code", "Subject", "Message", "Analysis")
FINDING_ROLE = Qt.ItemDataRole.UserRole       # index into `findings`; -1 on a group's row
ALL = "all analyses"


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
        self.all_findings: list[Finding] = []
        self.findings: list[Finding] = []        # the ones shown (after filters)
        self.timestamp: str | None = None
        self.failures: dict[str, str] = {}
        self._icons = {name: _marker(colour) for name, colour in SEVERITY_COLOURS.items()}
        self.summary = QLabel("")
        self.summary.setObjectName("findingsSummary")
        self.time_label = QLabel("")
        self.time_label.setObjectName("findingsTime")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.severity_boxes = {s: QCheckBox(s) for s in SEVERITIES}
        self.analysis_filter = QComboBox()
        self.analysis_filter.setObjectName("findingsAnalysis")
        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("findingsText")
        self.text_filter.setPlaceholderText("filter: rack, code, words…")
        self.list = QTreeWidget()
        self.list.setObjectName("findingsList")
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(list(COLUMNS))
        self.list.setRootIsDecorated(True)          # groups of one code open to their findings
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for column, width in enumerate((125, 140, 190, 560)):      # room for the groups' arrows and counts
            self.list.setColumnWidth(column, width)
        self.list.itemActivated.connect(self._on_activated)     # double-click and Enter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.time_label)
        filters = QHBoxLayout()
        for box in self.severity_boxes.values():
            box.setChecked(True)
            box.toggled.connect(lambda _on: self._fill())
            filters.addWidget(box)
        filters.addWidget(self.analysis_filter)
        filters.addWidget(self.text_filter, 1)
        layout.addLayout(header)
        layout.addLayout(filters)
        layout.addWidget(self.list, 1)
        self.analysis_filter.currentIndexChanged.connect(lambda _i: self._fill())
        self.text_filter.textChanged.connect(lambda _t: self._fill())
        self.set_session(None)

    # ------------------------------------------------------------------ content
    def set_session(self, session: ReviewSession | None) -> None:
        """Show the findings of `session` (the window's: analysis runs are shared with the other panels)."""
        self.session = session
        self.analysis_filter.blockSignals(True)
        self.analysis_filter.clear()
        self.analysis_filter.addItem(ALL)
        if session is not None:
            self.analysis_filter.addItems([n for n, why in session.available().items() if why is None])
        self.analysis_filter.blockSignals(False)
        if session is None:
            self._show([], None, "open a design to see its findings", "")
            return
        self.refresh()

    def refresh(self) -> None:
        """List the findings of every available analysis at the session's moment."""
        session = self.session
        if session is None:
            return
        findings: list[Finding] = []
        self.failures = {}
        reading_ts = None
        loading = session.loading()             # their input arrives after the first frame: refreshed then
        for name, why in session.available().items():
            if why is not None or name in loading:
                continue
            try:
                result = session.result(name)
            except Exception as exc:              # one odd analysis must not take the others (or the viewer) down
                self.failures[name] = f"{type(exc).__name__}: {exc}"
                continue
            findings += result.findings
            reading_ts = reading_ts or result.reading_ts
        summary = summary_line(findings)
        if loading:
            summary += "; " + ", ".join(f"{name}: loading…" for name in loading)
        if self.failures:
            summary += "; failed: " + ", ".join(f"{n} ({why})" for n, why in self.failures.items())
        when = f"at {reading_ts}" if reading_ts else "estimated (no telemetry)"
        self._show(sort_findings(findings), reading_ts, summary, when)

    def _show(self, findings: list[Finding], ts: str | None, summary: str, when: str) -> None:
        self.all_findings = findings
        self.timestamp = ts
        self.summary.setText(summary)
        self.time_label.setText(when)
        self._fill()

    # ------------------------------------------------------------------ filters
    def set_filters(self, severities: tuple[str, ...] | None = None, analysis: str | None = None,
                    text: str | None = None) -> None:
        """Set the filters in one go (None leaves one as it is)."""
        if severities is not None:
            for name, box in self.severity_boxes.items():
                box.blockSignals(True)
                box.setChecked(name in severities)
                box.blockSignals(False)
        if analysis is not None:
            self.analysis_filter.blockSignals(True)
            self.analysis_filter.setCurrentText(analysis or ALL)
            self.analysis_filter.blockSignals(False)
        if text is not None:
            self.text_filter.blockSignals(True)
            self.text_filter.setText(text)
            self.text_filter.blockSignals(False)
        self._fill()

    def _passes(self, f: Finding) -> bool:
        if not self.severity_boxes[f.severity].isChecked():
            return False
        analysis = self.analysis_filter.currentText()
        if analysis and analysis != ALL and f.analysis != analysis:
            return False
        words = self.text_filter.text().strip().lower().split()
        hay = f"{f.code} {f.subject} {f.message} {f.analysis}".lower()
        return all(w in hay for w in words)

    def _fill(self) -> None:
        """One row per code (its count, worst margin and worst case), opening to each finding;
        a code found once is one finding's row. Groups: severity, then worst margin first."""
        shown = [f for f in self.all_findings if self._passes(f)]
        groups = group_findings(shown)
        self.findings = [f for g in groups for f in g.findings]
        self.list.clear()
        items, i = [], 0
        for group in groups:
            if group.count == 1:
                items.append(self._finding_item(group.worst, i))
                i += 1
                continue
            worst = group.worst
            head = QTreeWidgetItem([group.severity, group.code, f"×{group.count}  {group.subjects(3)}",
                                    f"worst {group.margin_text()}: {worst.subject}: {worst.message}".replace(
                                        "worst : ", "worst: "), worst.analysis])
            head.setIcon(0, self._icons[group.severity])
            head.setData(0, FINDING_ROLE, -1)
            for column in range(len(COLUMNS)):
                head.setToolTip(column, f"{group.count} {group.code} findings; the worst:\n{worst.to_text()}")
            for f in group.findings:
                head.addChild(self._finding_item(f, i))
                i += 1
            items.append(head)
        self.list.addTopLevelItems(items)

    def _finding_item(self, f: Finding, index: int) -> QTreeWidgetItem:
        item = QTreeWidgetItem([f.severity, f.code, f.subject, f.message, f.analysis])
        item.setIcon(0, self._icons[f.severity])
        item.setData(0, FINDING_ROLE, index)
        for column in range(len(COLUMNS)):
            item.setToolTip(column, f.to_text())
        return item

    def finding_items(self) -> list[QTreeWidgetItem]:
        """Every row that is one finding (groups' children included), in the order shown."""
        out = []
        for i in range(self.list.topLevelItemCount()):
            top = self.list.topLevelItem(i)
            rows = [top] if top.childCount() == 0 else [top.child(k) for k in range(top.childCount())]
            out += [r for r in rows if int(r.data(0, FINDING_ROLE)) >= 0]
        return out

    def group_items(self) -> list[QTreeWidgetItem]:
        """The rows of codes found more than once (each opens to its findings)."""
        return [self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount())
                if self.list.topLevelItem(i).childCount()]

    # ------------------------------------------------------------------ lookup and activation
    def item_for(self, text: str, severity: str | None = None) -> QTreeWidgetItem | None:
        """The first finding row whose subject or message contains `text` (and of `severity`,
        if given); a group holding it is opened so the row is on view."""
        for item in self.finding_items():
            f = self.finding(item)
            if (text in f.subject or text in f.message) and (severity is None or f.severity == severity):
                if item.parent() is not None:
                    item.parent().setExpanded(True)
                return item
        return None

    def finding(self, item: QTreeWidgetItem) -> Finding:
        """The finding of a finding row; of a group's row, its worst."""
        index = int(item.data(0, FINDING_ROLE))
        return self.findings[index] if index >= 0 else self.findings[int(item.child(0).data(0, FINDING_ROLE))]

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if int(item.data(0, FINDING_ROLE)) < 0:          # a group's row opens and closes (double-click does)
            return
        self.findingActivated.emit(self.finding(item))
