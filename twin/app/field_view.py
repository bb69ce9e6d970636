"""The CFD field shown in the main window: read a field file, draw it as the Overlay panel's
field group says (slice axis, position, isosurface), take it away.

A part of `MainWindow` (`window.fields`), with one job: the field's data and its drawing.
"""

from __future__ import annotations

from pathlib import Path

from twin.scene.field import field_range, load_field


class FieldActions:
    """The CFD field of `window`: its data (`field_data`) and the scene's drawing of it."""

    def __init__(self, window):
        self.window = window
        self.field_data = None                         # the CFD field shown (vtkDataSet) or None

    def load_field(self, path: str | Path) -> bool:
        """Read a CFD field file and draw it; on failure report it (naming the file), scene unchanged."""
        if self.window.scene is None:
            return False
        path = Path(path)
        try:
            data = load_field(path)
            value_range = field_range(data)
        except Exception as exc:                       # TwinError names the file; anything else gets it added
            message = str(exc) if str(path) in str(exc) else f"{path}: {type(exc).__name__}: {exc}"
            self.window.statusBar().showMessage(f"Could not load {path.name}")
            self.window.report_error("Cannot load field", f"Could not load the field {path}\n\n{message}")
            return False
        self.field_data = data
        self.window.overlays.field.set_field(path, data.GetBounds(), value_range)
        self.show_field()
        self.window.statusBar().showMessage(f"Loaded field {path.name}", 8000)
        return True

    def show_field(self) -> None:
        if self.window.scene is None or self.field_data is None:
            return
        group = self.window.overlays.field
        try:
            self.window.scene.show_field(self.field_data, group.axis_name(), group.position_value(), group.iso_level())
        except Exception as exc:
            self.window.report_error("Cannot show field", f"Could not draw the field {group.path}\n\n{exc}")
            return
        self.window.viewport.refresh()

    def clear_field(self) -> None:
        self.field_data = None
        self.window.overlays.field.set_field(None)
        if self.window.scene is not None:
            self.window.scene.clear_field()
            self.window.viewport.refresh()
