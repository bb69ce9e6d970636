"""The main window's dock layout: readable sizes on first run, kept in proportion when the window
is resized, and saved between runs in the window's QSettings.

Why: docks that open 80 px tall, a Properties dock that widens with a long value and squeezes
the 3D view, and a layout forgotten at every start cost a reviewer time on every session.
Rules, whatever docks other parts of the app add:

- a dock's content never drives its width or height (size policy Ignored with a readable
  minimum): the reviewer's sizes stand until the reviewer drags a splitter;
- after a resize the 3D view keeps at least `MIN_VIEW_SHARE` of the window each way, the
  docks giving up their share in proportion;
- the geometry and dock state are written on close and read back on start
  (`QMainWindow.saveState`, versioned by `LAYOUT_VERSION`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QHeaderView, QSizePolicy, QTableWidget

GEOMETRY_KEY = "layout/geometry"
STATE_KEY = "layout/state"
LAYOUT_VERSION = 2                   # bump when the docks change so an old saved state is not forced on them
MIN_DOCK_HEIGHT_PX = 170             # a bottom dock shows a plot or six rows of a table
MIN_DOCK_WIDTH_PX = 260              # a side dock shows a field and its value
MIN_VIEW_SHARE = 0.5                 # the 3D view keeps this much of the window's width and height
DEFAULT_SIDE_PX = (320, 380)         # first run: left and right dock widths
DEFAULT_BOTTOM_PX = 280              # first run: bottom dock height


class DockLayout(QObject):
    """Keeps `window`'s docks readable, in proportion and remembered (`window.settings`)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.keep_view_room)
        window.installEventFilter(self)

    # ------------------------------------------------------------------ docks
    def docks(self) -> list[QDockWidget]:
        return self.window.findChildren(QDockWidget)

    def settle(self) -> None:
        """Content-proof sizes for every dock, and tables that fit their width (no sideways scroll)."""
        w = self.window
        for dock in self.docks():
            content = dock.widget()
            if content is None:
                continue
            area = w.dockWidgetArea(dock)
            content.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            if area == Qt.DockWidgetArea.BottomDockWidgetArea:
                content.setMinimumHeight(MIN_DOCK_HEIGHT_PX)
                content.setMinimumWidth(MIN_DOCK_WIDTH_PX)
            else:
                content.setMinimumWidth(MIN_DOCK_WIDTH_PX)
                content.setMinimumHeight(120)
            for table in content.findChildren(QTableWidget):
                table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
                table.setWordWrap(True)

    def defaults(self) -> None:
        """First-run sizes: side docks at `DEFAULT_SIDE_PX`, bottom docks `DEFAULT_BOTTOM_PX` tall."""
        w = self.window
        left = [d for d in self.docks() if w.dockWidgetArea(d) == Qt.DockWidgetArea.LeftDockWidgetArea]
        right = [d for d in self.docks() if w.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        bottom = [d for d in self.docks() if w.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        if left and right:
            w.resizeDocks([left[0], right[0]], list(DEFAULT_SIDE_PX), Qt.Orientation.Horizontal)
        if bottom:
            w.resizeDocks([bottom[0]], [DEFAULT_BOTTOM_PX], Qt.Orientation.Vertical)

    # ------------------------------------------------------------------ saved between runs
    def restore(self) -> bool:
        """Read the saved geometry and dock layout (False where none is saved or it does not fit)."""
        settings = self.window.settings
        geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
        restored = False
        if geometry is not None:
            restored = bool(self.window.restoreGeometry(geometry))
        if state is not None:
            restored = bool(self.window.restoreState(state, LAYOUT_VERSION)) and restored
        return restored

    def save(self) -> None:
        """Write the geometry and dock layout to the window's settings (on close)."""
        settings = self.window.settings
        settings.setValue(GEOMETRY_KEY, self.window.saveGeometry())
        settings.setValue(STATE_KEY, self.window.saveState(LAYOUT_VERSION))
        settings.sync()

    # ------------------------------------------------------------------ resizing
    def eventFilter(self, watched, event) -> bool:  # noqa: N802  (Qt's name)
        if (watched is self.window and event.type() == QEvent.Type.Resize and self.window.isVisible()
                and event.oldSize().isValid()):  # a resize of the shown window, not its first layout
            self._timer.start()                  # after Qt has laid the docks out for the new size
        return False

    def keep_view_room(self) -> None:
        """Give the 3D view back `MIN_VIEW_SHARE` of the window where a resize left it less,
        shrinking the docks beside and below it in proportion."""
        w = self.window
        view = w.centralWidget()
        if view is None:
            return
        width, height = w.width(), w.height()
        for orientation, have, total, areas in (
                (Qt.Orientation.Horizontal, view.width(), width,
                 (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)),
                (Qt.Orientation.Vertical, view.height(), height, (Qt.DockWidgetArea.BottomDockWidgetArea,))):
            want = int(total * MIN_VIEW_SHARE)
            if have >= want:
                continue
            shown = [d for d in self.docks() if d.isVisible() and not d.isFloating() and w.dockWidgetArea(d) in areas]
            per_area: dict[Qt.DockWidgetArea, QDockWidget] = {}
            for d in shown:
                per_area.setdefault(w.dockWidgetArea(d), d)
            docks = list(per_area.values())
            if not docks:
                continue
            sizes = [d.width() if orientation == Qt.Orientation.Horizontal else d.height() for d in docks]
            spare = sum(sizes) - (want - have)
            scale = max(spare, 1) / max(sum(sizes), 1)
            w.resizeDocks(docks, [max(int(s * scale), 1) for s in sizes], orientation)
