"""Entry point of the desktop viewer: `run_app(path)` (what `twin view [FILE]` calls)."""

from __future__ import annotations

import sys

from twin import __version__


def run_app(path: str | None = None, argv: list[str] | None = None) -> int:
    """Open the viewer (and `path` if given); returns the application's exit code.

    Without a display (a server, CI) Qt would abort the process: say so as a TwinError instead.
    """
    import os

    from twin.errors import TwinError

    if (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("QT_QPA_PLATFORM")):
        raise TwinError(path, "no display to open the viewer on: run it on a desktop, under xvfb-run, "
                              "or render headlessly with `twin export image`")
    from PySide6.QtGui import QSurfaceFormat
    from PySide6.QtWidgets import QApplication
    from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor

    default_format = getattr(QVTKRenderWindowInteractor, "defaultFormat", None)
    if callable(default_format):
        QSurfaceFormat.setDefaultFormat(default_format())
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("twin")
    app.setApplicationName("twin viewer")
    app.setApplicationVersion(__version__)

    from twin.app.window import MainWindow

    window = MainWindow()
    window.show()
    if path:
        window.open_file(path)
    return app.exec()
