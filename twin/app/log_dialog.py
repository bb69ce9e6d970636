"""View → Load warnings…: what twin logged at warning level (`twin.logbook`), in a small dialog.

Only widgets: the records are collected without Qt by `twin.logbook.warning_log()`, attached
when this module is imported (the main window imports it), so warnings logged while the first
design loads are kept too.
"""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from twin.logbook import warning_log

warning_log()


class LoadWarningsDialog(QDialog):
    """The logged warnings, oldest first, read-only; Copy puts them on the clipboard, Clear forgets them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Load warnings")
        self.resize(900, 420)
        self.summary = QLabel()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        clear = buttons.addButton("Clear", QDialogButtonBox.ButtonRole.ResetRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        clear.clicked.connect(self._clear)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        lines = warning_log().lines()
        self.summary.setText(f"{len(lines)} warning{'s' if len(lines) != 1 else ''} logged; what could not be "
                             "used as written was replaced or left out, and the rest loaded." if lines
                             else "Nothing was logged at warning level.")
        self.text.setPlainText("\n".join(lines))

    def _clear(self) -> None:
        warning_log().clear()
        self.refresh()


def show_load_warnings(parent: QWidget) -> LoadWarningsDialog:
    """Open the dialog (not modal) over `parent` and return it."""
    dialog = LoadWarningsDialog(parent)
    dialog.show()
    return dialog
