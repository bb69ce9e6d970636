"""Legends: VTK lookup tables and scalar bars for overlays and fields, one style for all."""

from __future__ import annotations

import numpy as np

from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (vtkActor2D, vtkCoordinate, vtkPolyDataMapper2D, vtkPropAssembly,
                                         vtkTextActor, vtkTextProperty, vtkTextRenderer)

from twin.analysis.overlays import Overlay
from twin.scene import colormap


def continuous_lut(name: str, vmin: float, vmax: float) -> vtkLookupTable:
    """A VTK lookup table for one of twin's continuous colour maps over [vmin, vmax]."""
    lut = vtkLookupTable()
    table = colormap.lookup_table(name)
    lut.SetNumberOfTableValues(len(table))
    for i, c in enumerate(table / 255.0):
        lut.SetTableValue(i, c[0], c[1], c[2], 1.0)
    lut.SetRange(vmin, vmax)
    lut.Build()
    return lut


def categorical_lut(categories: tuple[str, ...], colours: tuple = ()) -> vtkLookupTable:
    """An indexed lookup table that names each category in the legend (own colours if given)."""
    lut = vtkLookupTable()
    colours = np.array(colours, np.uint8) if len(colours) else colormap.lookup_table("categorical")
    lut.SetNumberOfTableValues(len(categories))
    lut.IndexedLookupOn()
    for i, name in enumerate(categories):
        c = colours[i % len(colours)] / 255.0
        lut.SetTableValue(i, c[0], c[1], c[2], 1.0)
        lut.SetAnnotation(i, name)
    lut.Build()
    return lut


def scalar_bar(lut: vtkLookupTable, title: str, left: bool = False) -> vtkScalarBarActor:
    """A legend on a light panel at the right (or left) edge of the view."""
    bar = vtkScalarBarActor()
    bar.SetLookupTable(lut)
    bar.SetTitle(title)
    bar.SetNumberOfLabels(5)
    bar.UnconstrainedFontSizeOn()
    bar.SetLabelFormat("%.0f")
    bar.SetMaximumWidthInPixels(90)
    bar.SetMaximumHeightInPixels(360)
    bar.SetPosition(0.01 if left else 0.9, 0.12)
    bar.SetWidth(0.08)
    bar.SetHeight(0.7)
    bar.SetTextPositionToPrecedeScalarBar()
    bar.DrawBackgroundOn()
    bar.GetBackgroundProperty().SetColor(1.0, 1.0, 1.0)
    bar.GetBackgroundProperty().SetOpacity(0.85)
    for prop in (bar.GetTitleTextProperty(), bar.GetLabelTextProperty(), bar.GetAnnotationTextProperty()):
        prop.SetColor(0.1, 0.1, 0.12)
        prop.ShadowOff()
        prop.ItalicOff()
        prop.SetFontSize(14)
    return bar


def overlay_legend(overlay: Overlay) -> vtkScalarBarActor | vtkPropAssembly:
    """The legend of an overlay: a colour ramp with its unit, or every category named in full."""
    if overlay.categorical:
        return CategoryLegend(overlay.label, overlay.categories, overlay.category_rgb).assembly
    bar = scalar_bar(continuous_lut(overlay.colormap, overlay.vmin, overlay.vmax), overlay.unit or " ")
    bar.SetDrawAnnotations(False)
    if colormap.is_banded(overlay.colormap):
        bar.SetNumberOfLabels(7)        # sixths of the range: the band edges get a label
    return bar


class CategoryLegend:
    """A swatch and the full label of every category on a light panel at the top right
    (the overlay's own `category_rgb` colours where it gives them, else the palette).

    Why not a scalar bar: `vtkScalarBarActor` squeezes annotations into its bar's width, so
    'domestic (US)' came out as '_d'. Here each label is measured with the same font it is
    drawn in and the panel is made wide enough, in the app and in exports alike. Everything
    is placed in pixels from the viewport's top-right corner, so resizing keeps it tidy.
    """

    FONT_SIZE = 14
    ROW_PX = 22
    SWATCH_PX = 14
    PAD_PX = 8
    MARGIN_PX = 10

    def __init__(self, title: str, categories: tuple[str, ...], rgb: tuple[tuple[int, int, int], ...] = ()):
        self.title = title
        self.labels = tuple(categories)
        self.assembly = vtkPropAssembly()
        self.text_actors: list[vtkTextActor] = []
        anchor = vtkCoordinate()
        anchor.SetCoordinateSystemToNormalizedViewport()
        anchor.SetValue(1.0, 1.0)
        self._anchor = anchor
        colours = (np.asarray(rgb, float) if len(rgb) >= len(self.labels) and len(rgb) else
                   colormap.lookup_table("categorical")) / 255.0
        widths = [self._text_width(t, bold=True) for t in [title]] + [self._text_width(t) for t in self.labels]
        inner = max(widths[0], max(widths[1:], default=0) + self.SWATCH_PX + 8)
        width = inner + 2 * self.PAD_PX
        height = (len(self.labels) + 1) * self.ROW_PX + 2 * self.PAD_PX - 4
        self.size_px = (width, height)
        left, top = -self.MARGIN_PX - width, -self.MARGIN_PX - 40
        quads = [(left, top - height, width, height, (1.0, 1.0, 1.0))]
        self._text(title, left + self.PAD_PX, top - self.PAD_PX - self.ROW_PX + 5, bold=True)
        for i, label in enumerate(self.labels):
            y = top - self.PAD_PX - (i + 2) * self.ROW_PX + 5
            quads.append((left + self.PAD_PX, y + 1, self.SWATCH_PX, self.SWATCH_PX,
                          tuple(colours[i % len(colours)])))
            self._text(label, left + self.PAD_PX + self.SWATCH_PX + 8, y)
        panel = self._quads(quads)
        self.assembly.AddPart(panel)
        for actor in self.text_actors:          # text after the panel so it draws on top
            self.assembly.AddPart(actor)

    def _prop(self, bold: bool = False) -> vtkTextProperty:
        prop = vtkTextProperty()
        prop.SetFontSize(self.FONT_SIZE)
        prop.SetColor(0.1, 0.1, 0.12)
        prop.SetBold(bold)
        prop.ShadowOff()
        return prop

    def _text_width(self, text: str, bold: bool = False) -> int:
        box = [0, 0, 0, 0]
        vtkTextRenderer().GetBoundingBox(self._prop(bold), text or " ", box, 72)
        return int(box[1] - box[0]) + 2

    def _place(self, coordinate: vtkCoordinate, x: float, y: float) -> None:
        coordinate.SetCoordinateSystemToDisplay()
        coordinate.SetReferenceCoordinate(self._anchor)
        coordinate.SetValue(x, y)

    def _text(self, text: str, x: float, y: float, bold: bool = False) -> None:
        actor = vtkTextActor()
        actor.SetInput(text)
        actor.GetTextProperty().ShallowCopy(self._prop(bold))
        self._place(actor.GetPositionCoordinate(), x, y)
        self.text_actors.append(actor)

    def _quads(self, quads: list[tuple[float, float, float, float, tuple]]) -> vtkActor2D:
        """One 2D actor of filled rectangles (x, y, w, h, rgb) in pixels from the anchor."""
        from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
        from vtkmodules.vtkCommonCore import vtkPoints
        from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData

        q = np.array([(x, y, w, h) for x, y, w, h, _ in quads], float)
        corners = np.stack([q[:, :2], q[:, :2] + q[:, [2]] * [1, 0], q[:, :2] + q[:, 2:4], q[:, :2] + q[:, [3]] * [0, 1]], 1)
        points = vtkPoints()
        points.SetData(numpy_to_vtk(np.column_stack([corners.reshape(-1, 2), np.zeros(len(q) * 4)]), deep=True))
        cells = vtkCellArray()
        cells.SetData(numpy_to_vtkIdTypeArray(np.arange(0, len(q) * 4 + 1, 4, dtype=np.int64), deep=True),
                      numpy_to_vtkIdTypeArray(np.arange(len(q) * 4, dtype=np.int64), deep=True))
        poly = vtkPolyData()
        poly.SetPoints(points)
        poly.SetPolys(cells)
        rgb = (np.array([c for *_, c in quads]) * 255).round().astype(np.uint8)
        colours = numpy_to_vtk(rgb, deep=True)
        colours.SetName("rgb")
        poly.GetCellData().SetScalars(colours)
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(poly)
        mapper.SetColorModeToDirectScalars()
        actor = vtkActor2D()
        actor.SetMapper(mapper)
        self._place(actor.GetPositionCoordinate(), 0, 0)
        return actor
