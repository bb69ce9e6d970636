"""Notes panel: the open design's review notes and saved viewpoints.

Lists notes (filter by status and text), adds, edits, resolves, reopens and deletes them, and
saves and restores named cameras. Every change is one short write through
`twin.store.notes.ReviewStore`; the list reloads from the file afterwards and every few
seconds, so notes another viewer or the CLI added appear here. A failed write (read-only or
locked file) is reported and the text typed is kept as a draft for the next try: nothing is
lost. Note text is shown as plain text, never as HTML.
"""

from __future__ import annotations

import html
import logging
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
                               QInputDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit,
                               QPushButton, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from twin.errors import TwinError
from twin.store.notes import Note, ReviewStore, Viewpoint, login_name

log = logging.getLogger(__name__)

COLUMNS = ("#", "Status", "Pinned to", "Author", "Updated", "Note")
NOTE_ROLE = Qt.ItemDataRole.UserRole
POLL_MS = 3000
PREVIEW_CHARS = 200

ErrorReporter = Callable[[str, str], None]


class NoteDialog(QDialog):
    """Text and author of a note (plain text, any length)."""

    def __init__(self, title: str, pinned: str, text: str = "", author: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(text)
        self.text.setObjectName("noteText")
        self.author = QLineEdit(author or login_name())
        form = QFormLayout(self)
        form.addRow("Pinned to", QLabel(pinned))
        form.addRow("Note", self.text)
        form.addRow("Author", self.author)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(460, 260)


class NotesPanel(QWidget):
    noteActivated = Signal(object)          # Note: fly to it
    notesChanged = Signal(list)             # list[Note]: redraw the markers
    viewpointActivated = Signal(object)     # Viewpoint: restore the camera

    def __init__(self, report_error: ErrorReporter | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.report_error: ErrorReporter = report_error or (lambda _t, _m: None)
        self.store: ReviewStore | None = None
        self.notes: list[Note] = []
        self.viewpoints: list[Viewpoint] = []
        self.draft = ""                                  # text of a note that could not be written
        self.camera: Callable[[], tuple] | None = None   # () -> (position, focal point, view up, angle)
        self.view_state: Callable[[], dict | None] = lambda: None   # () -> the rest of the view (twin.viewpoint)
        self.selected_part: Callable[[], str | None] = lambda: None
        self._signature = None

        self.status_filter = QComboBox()
        self.status_filter.addItems(["all", "open", "resolved"])
        self.status_filter.setObjectName("noteStatusFilter")
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("filter notes…")
        self.text_filter.setObjectName("noteTextFilter")
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.resolve_button = QPushButton("Resolve")
        self.delete_button = QPushButton("Delete")
        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addWidget(self.text_filter, 1)
        for b in (self.add_button, self.edit_button, self.resolve_button, self.delete_button):
            top.addWidget(b)

        self.list = QTreeWidget()
        self.list.setObjectName("notesList")
        self.list.setColumnCount(len(COLUMNS))
        self.list.setHeaderLabels(list(COLUMNS))
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for column, width in enumerate((40, 70, 120, 80, 150)):
            self.list.setColumnWidth(column, width)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("noteDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText("select a note to read it in full")

        self.views = QListWidget()
        self.views.setObjectName("viewpointList")
        self.save_view_button = QPushButton("Save view…")
        self.delete_view_button = QPushButton("Delete view")
        views_box = QWidget()
        vl = QVBoxLayout(views_box)
        vl.setContentsMargins(0, 0, 0, 0)
        vl.addWidget(QLabel("Viewpoints (double-click to go there)"))
        vl.addWidget(self.views, 1)
        row = QHBoxLayout()
        row.addWidget(self.save_view_button)
        row.addWidget(self.delete_view_button)
        vl.addLayout(row)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.list)
        left.addWidget(self.detail)
        left.setSizes([200, 80])
        split.addWidget(left)
        split.addWidget(views_box)
        split.setSizes([700, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self.status_filter.currentIndexChanged.connect(lambda _i: self._fill())
        self.text_filter.textChanged.connect(lambda _t: self._fill())
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        self.list.itemActivated.connect(lambda item, _c: self.noteActivated.emit(self.note_of(item)))
        self.add_button.clicked.connect(lambda: self.add_dialog(self.selected_part(), None))
        self.edit_button.clicked.connect(self.edit_dialog)
        self.resolve_button.clicked.connect(self.toggle_resolved)
        self.delete_button.clicked.connect(self.delete_current)
        self.save_view_button.clicked.connect(self.save_view_dialog)
        self.delete_view_button.clicked.connect(self.delete_current_view)
        self.views.itemActivated.connect(lambda item: self.viewpointActivated.emit(self.viewpoints[self.views.row(item)]))
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._poll_file)
        self.set_store(None)

    # ------------------------------------------------------------------ file
    def set_store(self, store: ReviewStore | None) -> None:
        if self.store is not None and self.store is not store:
            self.store.close()
        self.store = store
        for w in (self.add_button, self.edit_button, self.resolve_button, self.delete_button,
                  self.save_view_button, self.delete_view_button):
            w.setEnabled(store is not None)
        self.reload()
        self._poll.start() if store is not None else self._poll.stop()

    def reload(self) -> None:
        """Read notes and viewpoints from the file again (keeps the current note selected)."""
        current = self.current_note()
        try:
            self.notes = self.store.notes() if self.store is not None else []
            self.viewpoints = self.store.viewpoints() if self.store is not None else []
            self._signature = _signature(self.notes, self.viewpoints)
        except TwinError as exc:
            self.report_error("Cannot read notes", str(exc))
            return
        self._fill(current.id if current else None)
        self.views.clear()
        for v in self.viewpoints:
            self.views.addItem(QListWidgetItem(v.name))
        self.notesChanged.emit(list(self.notes))

    def _poll_file(self) -> None:
        """Pick up notes other programs wrote (cheap: one read of the notes table)."""
        if self.store is None or not self.isVisible():
            return
        try:
            notes, views = self.store.notes(), self.store.viewpoints()
        except TwinError as exc:
            log.info("notes not refreshed this time: %s", exc)       # polled again shortly
            return
        if _signature(notes, views) != self._signature:
            self.reload()

    # ------------------------------------------------------------------ list
    def visible_notes(self) -> list[Note]:
        status = self.status_filter.currentText()
        text = self.text_filter.text().strip().lower()
        return [n for n in self.notes if (status == "all" or n.status == status)
                and (not text or text in n.text.lower() or text in n.part.lower() or text in n.author.lower())]

    def _fill(self, keep: int | None = None) -> None:
        self.list.clear()
        chosen = None
        for n in self.visible_notes():
            pin = n.part or ", ".join(f"{v:.1f}" for v in n.point or ())
            first = n.text.splitlines()[0] if n.text.strip() else ""
            item = QTreeWidgetItem([str(n.id), n.status, pin, n.author, n.updated, first[:PREVIEW_CHARS]])
            item.setData(0, NOTE_ROLE, n.id)
            # tooltips would read markup as rich text: escape it so it shows as typed
            item.setToolTip(5, f"<pre>{html.escape(n.text[:2000])}</pre>")
            self.list.addTopLevelItem(item)
            if n.id == keep:
                chosen = item
        if chosen is not None:
            self.list.setCurrentItem(chosen)
        self._show_current()

    def note_of(self, item: QTreeWidgetItem | None) -> Note | None:
        if item is None:
            return None
        note_id = int(item.data(0, NOTE_ROLE))
        return next((n for n in self.notes if n.id == note_id), None)

    def current_note(self) -> Note | None:
        return self.note_of(self.list.currentItem())

    def select_note(self, note_id: int) -> None:
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if int(item.data(0, NOTE_ROLE)) == note_id:
                self.list.setCurrentItem(item)
                return

    def _show_current(self) -> None:
        note = self.current_note()
        self.detail.setPlainText(note.text if note else "")
        self.resolve_button.setText("Reopen" if note and note.status == "resolved" else "Resolve")

    # ------------------------------------------------------------------ changes
    def _write(self, what: str, action: Callable[[ReviewStore], object]) -> object | None:
        if self.store is None:
            return None
        try:
            out = action(self.store)
        except TwinError as exc:
            self.report_error(f"Cannot {what}", str(exc))
            return None
        self.reload()
        return out

    def add_note(self, text: str, part: str | None = None, point=None, author: str | None = None) -> Note | None:
        """Write a note; on failure report it and keep `text` as the draft."""
        note = self._write("add the note", lambda s: s.add_note(text, part=part, point=point, author=author or None))
        self.draft = "" if note is not None else text
        if note is not None:
            self.select_note(note.id)
        return note

    def add_dialog(self, part: str | None, point=None) -> None:
        if part is None and point is None:
            self.report_error("Add note", "Select a part first (or right-click a part in the view).")
            return
        pinned = part or ", ".join(f"{v:.2f}" for v in point)
        dialog = NoteDialog("Add note", pinned, self.draft, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.add_note(dialog.text.toPlainText(), part, point, dialog.author.text())

    def edit_note(self, note_id: int, text: str | None = None, status: str | None = None,
                  author: str | None = None) -> Note | None:
        return self._write("change the note", lambda s: s.edit_note(note_id, text=text, status=status, author=author))

    def edit_dialog(self) -> None:
        note = self.current_note()
        if note is None:
            return
        dialog = NoteDialog(f"Edit note {note.id}", note.part or "a point", note.text, note.author, parent=self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.edit_note(note.id, text=dialog.text.toPlainText(), author=dialog.author.text())

    def toggle_resolved(self) -> None:
        note = self.current_note()
        if note is not None:
            self.edit_note(note.id, status="open" if note.status == "resolved" else "resolved")

    def delete_current(self) -> None:
        note = self.current_note()
        if note is not None:
            self._write("delete the note", lambda s: s.delete_note(note.id))

    # ------------------------------------------------------------------ viewpoints
    def save_viewpoint(self, name: str) -> Viewpoint | None:
        if self.camera is None:
            return None
        position, focal, up, angle = self.camera()
        state = self.view_state()
        return self._write("save the viewpoint", lambda s: s.save_viewpoint(name, position, focal, up, angle, state=state))

    def save_view_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "Save viewpoint", "Name:", text=f"view {len(self.viewpoints) + 1}")
        if ok and name.strip():
            self.save_viewpoint(name.strip())

    def delete_current_view(self) -> None:
        row = self.views.currentRow()
        if 0 <= row < len(self.viewpoints):
            name = self.viewpoints[row].name
            self._write("delete the viewpoint", lambda s: s.delete_viewpoint(name))


def _signature(notes: list[Note], views: list[Viewpoint]) -> tuple:
    """What changes when anyone adds, edits or deletes a note or viewpoint."""
    return tuple((n.id, n.updated, n.status, n.author, hash(n.text)) for n in notes), tuple((v.id, v.name) for v in views)
