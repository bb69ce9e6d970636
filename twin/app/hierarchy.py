"""Hierarchy panel: hall → row → rack → part, built lazily, with a search box.

Rows and racks are made when a design opens; a rack's parts only when it is expanded, so a
2,000-rack hall opens in milliseconds. The search runs in SQLite (`DesignQueries`) and
shows the matching parts grouped by rack (capped), and tells the window which parts match.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from twin.errors import TwinError
from twin.store.queries import DesignQueries
from twin.model import Design

ROLE_KIND = Qt.ItemDataRole.UserRole + 1     # "hall", "row", "rack", "part", "group", "more", "placeholder"
ROLE_INDEX = Qt.ItemDataRole.UserRole + 2    # rack index for racks, part index for parts
MAX_RESULTS = 2000
SEARCH_DEBOUNCE_MS = 250


def _item(text: str, kind: str, index: int = -1, tooltip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    item.setData(kind, ROLE_KIND)
    item.setData(int(index), ROLE_INDEX)
    if tooltip:
        item.setToolTip(tooltip)
    return item


class HierarchyPanel(QWidget):
    selectionRequested = Signal(list)     # part indices chosen in the tree
    flyRequested = Signal()               # double-click: fly to the selection
    filterChanged = Signal(object)        # bool mask of matching parts, or None when cleared

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.design: Design | None = None
        self.queries: DesignQueries | None = None
        self.filter_text = ""
        self.filter_count = 0
        self.search = QLineEdit(placeholderText="Search name, kind, vendor, supplier, serial…", clearButtonEnabled=True)
        self.search.setObjectName("hierarchySearch")
        self.note = QLabel("")
        self.note.setVisible(False)
        self.tree = QTreeView(headerHidden=True, uniformRowHeights=True)
        self.tree.setObjectName("hierarchyTree")
        self.model = QStandardItemModel(self)
        self.tree.setModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.note)
        layout.addWidget(self.tree)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self.run_search)
        self.tree.expanded.connect(self._on_expanded)
        self.tree.doubleClicked.connect(lambda _i: self.flyRequested.emit())
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self._syncing = False
        self._rack_items: dict[int, QStandardItem] = {}
        self._part_items: dict[int, QStandardItem] = {}
        self._facility_item: QStandardItem | None = None

    # ------------------------------------------------------------------ design
    def set_design(self, design: Design | None, queries: DesignQueries | None) -> None:
        self.design, self.queries = design, queries
        self._syncing = True
        self.search.clear()
        self._syncing = False
        self._timer.stop()
        self.filter_text, self.filter_count = "", 0
        self.note.setVisible(False)
        self._build_full()

    def _reset(self) -> None:
        """Empty the tree. Top-level rows are appended through the model, never through
        `invisibleRootItem()`: that item's Python wrapper lives as long as the model and keeps
        every child appended through it alive after `clear()` deletes the C++ items (measured
        with PySide6 6.10 and 6.11: ~1 MB per search-and-clear on ai-hall, never returned)."""
        self.model.clear()
        self._rack_items.clear()
        self._part_items.clear()
        self._facility_item = None

    def _build_full(self) -> None:
        self._reset()
        d = self.design
        if d is None:
            return
        root = self.model          # never invisibleRootItem(): see _reset
        halls = [_item(str(name), "hall") for name in d.halls.name.tolist()]
        orphan: QStandardItem | None = None
        racks = d.racks
        order = np.lexsort((racks.slot, racks.name, racks.row, racks.hall))
        rows: dict[tuple[int, str], QStandardItem] = {}
        names, row_names, hall_of = racks.name.tolist(), racks.row.tolist(), racks.hall.tolist()
        for r in order.tolist():
            h = hall_of[r]
            key = (h, row_names[r])
            row_item = rows.get(key)
            if row_item is None:
                if h >= 0:
                    parent = halls[h]
                else:
                    orphan = orphan or _item("(no hall)", "hall")
                    parent = orphan
                row_item = _item(f"Row {row_names[r]}", "row")
                parent.appendRow(row_item)
                rows[key] = row_item
            rack = _item(names[r], "rack", r)
            rack.appendRow(_item("…", "placeholder"))
            row_item.appendRow(rack)
            self._rack_items[r] = rack
        for h in halls + ([orphan] if orphan else []):
            h.setText(f"{h.text()}  ({sum(h.child(i).rowCount() for i in range(h.rowCount()))} racks)")
            root.appendRow(h)
        if (d.parts.rack < 0).any():
            self._facility_item = _item("Facility & infrastructure", "group")
            self._facility_item.appendRow(_item("…", "placeholder"))
            root.appendRow(self._facility_item)
        for h in halls[:1]:
            self.tree.expand(h.index())

    def _part_label(self, p: int) -> str:
        d = self.design
        kind = d.part_types.kind[d.parts.type[p]]
        return f"{d.parts.name[p]}  ·  {kind}"

    def _populate(self, item: QStandardItem, parts: np.ndarray) -> None:
        item.removeRows(0, item.rowCount())
        d = self.design
        parts = parts[np.lexsort((parts, d.parts.u[parts]))]     # by U, then by id
        for p in parts.tolist():
            child = _item(self._part_label(p), "part", p)
            item.appendRow(child)
            self._part_items[p] = child

    def _ensure_populated(self, item: QStandardItem) -> None:
        if item.rowCount() == 1 and item.child(0).data(ROLE_KIND) == "placeholder":
            d = self.design
            if item.data(ROLE_KIND) == "rack":
                r = item.data(ROLE_INDEX)
                parts = np.flatnonzero((d.parts.rack == r) & (d.part_kind() != "rack"))   # the rack item is the frame
            else:
                parts = np.flatnonzero(d.parts.rack < 0)
            self._populate(item, parts)

    def _on_expanded(self, index: QModelIndex) -> None:
        item = self.model.itemFromIndex(index)
        if item is not None:
            self._ensure_populated(item)

    # ------------------------------------------------------------------ selection
    def _parts_of(self, item: QStandardItem) -> list[int]:
        d = self.design
        kind = item.data(ROLE_KIND)
        if kind == "part":
            return [int(item.data(ROLE_INDEX))]
        if kind == "rack":
            frames = np.flatnonzero((d.parts.rack == item.data(ROLE_INDEX)) & (d.part_kind() == "rack"))
            return frames[:1].tolist() if len(frames) else np.flatnonzero(d.parts.rack == item.data(ROLE_INDEX)).tolist()
        if kind == "row":
            racks = [item.child(i).data(ROLE_INDEX) for i in range(item.rowCount())]
            frames = np.flatnonzero(np.isin(d.parts.rack, racks) & (d.part_kind() == "rack"))
            return frames.tolist()
        return []

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or self.design is None:
            return
        item = self.model.itemFromIndex(current)
        if item is not None:
            self.selectionRequested.emit(self._parts_of(item))

    def current_item(self) -> QStandardItem | None:
        return self.model.itemFromIndex(self.tree.currentIndex())

    def select_part(self, part: int) -> None:
        """Make the tree show `part` (expanding its rack) without echoing a selection back."""
        self._syncing = True
        try:
            if part < 0 or self.design is None:
                self.tree.clearSelection()
                self.tree.setCurrentIndex(QModelIndex())
                return
            item = self._part_items.get(part)
            if item is None and not self.filter_text:
                r = int(self.design.parts.rack[part])
                container = self._rack_items.get(r) if r >= 0 else self._facility_item
                if container is not None:
                    self._ensure_populated(container)
                    item = self._part_items.get(part, container)
            if item is None:
                return
            parent = item.parent()
            while parent is not None:
                self.tree.expand(parent.index())
                parent = parent.parent()
            self.tree.setCurrentIndex(item.index())
            self.tree.scrollTo(item.index())
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ search
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def run_search(self) -> None:
        self._timer.stop()
        if self._syncing or self.design is None or self.queries is None:
            return
        text = self.search.text().strip()
        if text == self.filter_text:
            return
        self.filter_text = text
        if not text:
            self.filter_count = 0
            self.note.setVisible(False)
            self._build_full()
            self.filterChanged.emit(None)
            return
        try:
            ids = self.queries.search_part_ids(text)
        except TwinError as exc:     # too long a search, a file gone: say so, show everything
            self.filter_count = 0
            self._build_full()
            self.note.setText(exc.message)
            self.note.setVisible(True)
            self.filterChanged.emit(None)
            return
        parts = self.design.parts.index_of(ids)
        parts = parts[parts >= 0]
        self.filter_count = len(parts)
        mask = np.zeros(len(self.design.parts), bool)
        mask[parts] = True
        self._build_filtered(parts)
        shown = min(len(parts), MAX_RESULTS)
        self.note.setText(f"{len(parts):,} parts match “{text}”" +
                          (f" (showing {shown:,})" if shown < len(parts) else ""))
        self.note.setVisible(True)
        self.filterChanged.emit(mask)

    def _build_filtered(self, parts: np.ndarray) -> None:
        self._reset()
        d = self.design
        root = self.model          # never invisibleRootItem(): see _reset
        shown = parts[:MAX_RESULTS]
        groups: dict[int, QStandardItem] = {}
        rack_names = d.racks.name
        for p in shown.tolist():
            r = int(d.parts.rack[p])
            group = groups.get(r)
            if group is None:
                group = _item(str(rack_names[r]) if r >= 0 else "Facility & infrastructure",
                              "rack" if r >= 0 else "group", r)
                groups[r] = group
                root.appendRow(group)
                if r >= 0:
                    self._rack_items[r] = group
            child = _item(self._part_label(p), "part", p)
            group.appendRow(child)
            self._part_items[p] = child
        if len(parts) > MAX_RESULTS:
            root.appendRow(_item(f"… {len(parts) - MAX_RESULTS:,} more (refine the search)", "more"))
        if not len(parts):
            root.appendRow(_item("no matches", "more"))
        if len(groups) <= 20:
            self.tree.expandAll()

    def visible_part_items(self) -> list[int]:
        """Part indices of the part items in the tree now (for tests and status)."""
        return sorted(self._part_items)
