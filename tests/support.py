"""Helpers shared by several test files: a wall-clock limit for code that might hang, the
viewer's main window shown on the Xvfb display the way a user would open it, and an edited
copy of a built design (plain SQL, as a careless author or an audit would edit it)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import sqlite3
from pathlib import Path


class TimeLimitExceeded(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` in the code under test eats it."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail the block with TimeLimitExceeded once it has run `seconds` (SIGALRM, main thread only)."""
    def expired(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def shown_window(qtbot, tmp_path: Path, active: bool = True):
    """A MainWindow with its own settings file, 1400x900, shown (and activated) on the display.

    Errors the window would show in a dialog are collected in `window.errors` instead.
    """
    from PySide6.QtCore import QSettings

    from twin.app.window import MainWindow

    errors: list[tuple[str, str]] = []
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings=settings, report_error=lambda title, msg: errors.append((title, msg)))
    win.errors = errors
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    if active:
        win.activateWindow()
        qtbot.waitActive(win)
    return win


def edited(design: Path, tmp_path: Path, *statements: str, name: str = "edited.twin.db") -> Path:
    """A copy of `design` in `tmp_path` with `statements` run on it (the original stays as built)."""
    path = tmp_path / name
    shutil.copy(design, path)
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    return path
