"""Properties panel: every field the design file holds about the selected part."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from twin.store.queries import DesignQueries, Section

OPEN_SECTIONS = ("Part", "Placement", "Power", "Cooling", "Sensors", "Supplier")


class PropertiesPanel(QWidget):
    cableActivated = Signal(str)        # cable name, from a row of the Cables section

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel("Nothing selected")
        self.title.setObjectName("propertiesTitle")
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt; padding: 2px;")
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("propertiesTree")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemClicked.connect(self._on_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.tree)
        self.sections: list[Section] = []

    def clear(self, message: str = "Nothing selected") -> None:
        self.sections = []
        self.tree.clear()
        self.title.setText(message)

    def show_part(self, queries: DesignQueries, part_id: int, at: str | None = None, extra: str = "",
                  more: list[Section] | None = None) -> None:
        """The file's sections for one part, followed by `more` (the analyses' rows, shown open)."""
        more = list(more or [])
        self.show_sections(queries.part_properties(part_id, at=at) + more, extra, opened=[name for name, _ in more])

    def show_sections(self, sections: list[Section], extra: str = "", opened: list[str] = ()) -> None:
        self.sections = sections
        self.tree.clear()
        head = dict(sections[0][1]) if sections else {}
        place = dict(sections[1][1]) if len(sections) > 1 else {}
        rack = place.get("rack", "")
        title = head.get("name", "?")
        if rack and not rack.startswith("—"):
            title += f"  —  rack {rack}"
        self.title.setText(title + (f"  ({extra})" if extra else ""))
        for name, rows in sections:
            top = QTreeWidgetItem([name, ""])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            cables = name.startswith("Cables")
            for key, value in rows:
                child = QTreeWidgetItem([key, value])
                child.setToolTip(1, value)
                if cables and " · " in value:
                    # cable rows are links: a click traces the cable in 3D
                    child.setForeground(0, QColor("#1a5fb4"))
                    child.setToolTip(0, "click to trace this cable")
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(name.split(" (")[0] in OPEN_SECTIONS or name in opened or len(rows) <= 8)
        self.tree.resizeColumnToContents(0)

    def _on_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        parent = item.parent()
        value = item.text(1)
        if parent is not None and parent.text(0).startswith("Cables") and " · " in value:
            self.cableActivated.emit(value.split(" · ", 1)[0])

    def text(self) -> str:
        """Everything shown, as plain text (for tests and copy)."""
        lines = [self.title.text()]
        for name, rows in self.sections:
            lines.append(f"[{name}]")
            lines += [f"{k}: {v}" for k, v in rows]
        return "\n".join(lines)
