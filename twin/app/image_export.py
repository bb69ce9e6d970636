"""The viewer's "Export image…" (Ctrl+E): what the window shows, as a PNG of a chosen size,
drawn by the one render path of every export (`twin.export.image.render_view` on a snapshot
of the view state and the camera, with the CFD field shown).

A part of `MainWindow` (`window.exporting`), with one job: the dialog and the export.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from twin.export.image import FieldView, parse_size, render_view, write_png
from twin.scene.options import EXPORT_SIZE

#: Sizes offered by "Export image…" (any WIDTHxHEIGHT can be typed).
EXPORT_SIZES = ("1920x1080", "3840x2160", "2560x1440", "1280x720")


class ImageExport:
    """Export image… of `window`."""

    def __init__(self, window):
        self.window = window

    def export_dialog(self) -> None:
        if self.window.scene is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export image", "view.png", "PNG images (*.png)")
        if not path:
            return
        text, ok = QInputDialog.getItem(self.window, "Export image", "Size in pixels (WIDTHxHEIGHT):", list(EXPORT_SIZES),
                                        0, True)
        if not ok:
            return
        try:
            size = parse_size(text)
        except ValueError as exc:
            self.window.report_error("Cannot export image", str(exc))
            return
        self.export_image(path, size)

    def export_image(self, path: str | Path, size: tuple[int, int] = EXPORT_SIZE) -> Path:
        """Write what the window shows (camera, overlay, visibility, selection, section, highlight,
        field) as a PNG of `size`, through the same export path as `twin export image`."""
        field = None
        if self.window.fields.field_data is not None:
            group = self.window.overlays.field
            field = FieldView(self.window.fields.field_data, group.axis_name(), group.position_value(), group.iso_level())
        self.window.statusBar().showMessage(f"Rendering {size[0]}×{size[1]}…")
        image, scene = render_view(self.window.design, size, self.window.scene.camera.camera_pose(), self.window.scene.overlay,
                                   self.window.view.snapshot(), field)
        scene.detach()
        out = write_png(image, path)
        self.window.statusBar().showMessage(f"Wrote {out}", 8000)
        return out
