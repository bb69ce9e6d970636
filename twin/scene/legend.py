"""Legends: VTK lookup tables and scalar bars for overlays and fields, one style for all."""

from __future__ import annotations

import numpy as np

from vtkmodules.vtkCommonCore import vtkLookupTable
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor

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


def overlay_legend(overlay: Overlay) -> vtkScalarBarActor:
    """The legend of an overlay: a colour ramp with its unit, or named categories."""
    if overlay.categorical:
        bar = scalar_bar(categorical_lut(overlay.categories, overlay.category_rgb), overlay.unit or " ")
        bar.SetDrawAnnotations(True)
        # category names are drawn right of the bar: leave them room inside the view
        longest = max((len(c) for c in overlay.categories), default=0)
        bar.SetPosition(min(0.9, 0.97 - 0.0085 * longest - 0.04), 0.12)
        return bar
    bar = scalar_bar(continuous_lut(overlay.colormap, overlay.vmin, overlay.vmax), overlay.unit or " ")
    bar.SetDrawAnnotations(False)
    if colormap.is_banded(overlay.colormap):
        bar.SetNumberOfLabels(7)        # sixths of the range: the band edges get a label
    return bar
