"""Legends: what an overlay's (or a field's) legend says, measured and drawn in pixels.

A legend is a block: a title, then either a colour ramp with tick labels (continuous and
banded overlays, CFD fields) or a swatch and the full name of every category. A block is
measured with the font it is drawn in, so `twin.scene.legend_area` can give it a screen
area of its own beside the 3D view: nothing is cut at the window edge and nothing covers
the design, in the app and in exports alike.

Why not `vtkScalarBarActor`: it squeezes category names into its bar's width ('domestic
(US)' came out as '_d'), places its title outside its own box (the '°C' was cut at the top
of the view), and draws over the 3D scene.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (the text renderer that measures labels)
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonCore import vtkLookupTable, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import (vtkActor2D, vtkPolyDataMapper2D, vtkProp, vtkTextActor, vtkTextProperty,
                                         vtkTextRenderer)

from twin.analysis.overlays import Overlay
from twin.analysis import colouring
from twin.text import display_text

TEXT_RGB = (0.1, 0.1, 0.12)
LEGEND_CHARS = 400      # a legend text (wrapped title, category name) is cut there, never sent to VTK whole
FRAME_RGB = (0.35, 0.36, 0.40)


def continuous_lut(name: str, vmin: float, vmax: float) -> vtkLookupTable:
    """A VTK lookup table for one of twin's continuous colour maps over [vmin, vmax]."""
    lut = vtkLookupTable()
    table = colouring.lookup_table(name)
    lut.SetNumberOfTableValues(len(table))
    for i, c in enumerate(table / 255.0):
        lut.SetTableValue(i, c[0], c[1], c[2], 1.0)
    lut.SetRange(vmin, vmax)
    lut.Build()
    return lut


# ---------------------------------------------------------------------- text and rectangles
@dataclass(frozen=True)
class LegendStyle:
    """Sizes in pixels, all derived from one font size (the legend area picks it from the window)."""

    font_px: int
    dpi: int = 72

    @property
    def row_px(self) -> int:
        return round(self.font_px * 1.6)

    @property
    def swatch_px(self) -> int:
        return self.font_px

    @property
    def gap_px(self) -> int:
        return max(round(self.font_px * 0.55), 4)

    @property
    def bar_px(self) -> int:
        return round(self.font_px * 1.3)

    def text_size(self, text: str, bold: bool = False) -> tuple[int, int]:
        """Width and height, in pixels, of `text` drawn in this style (several lines allowed)."""
        return _text_size(text, self.font_px, bold, self.dpi)


def text_property(font_px: int, bold: bool = False) -> vtkTextProperty:
    prop = vtkTextProperty()
    prop.SetFontSize(font_px)
    prop.SetColor(*TEXT_RGB)
    prop.SetBold(bold)
    prop.ItalicOff()
    prop.ShadowOff()
    return prop


def text_size(text: str, font_px: int, bold: bool = False, dpi: int = 72) -> tuple[int, int]:
    """Width and height, in pixels, of `text` drawn at `font_px` (several lines allowed)."""
    return _text_size(text, font_px, bold, dpi)


@lru_cache(maxsize=4096)
def _text_size(text: str, font_px: int, bold: bool, dpi: int) -> tuple[int, int]:
    box = [0, 0, 0, 0]
    vtkTextRenderer().GetBoundingBox(text_property(font_px, bold), display_text(text, LEGEND_CHARS, lines=True) or " ",
                                     box, dpi)
    return int(box[1] - box[0]) + 2, int(box[3] - box[2]) + 1


def text_actor(text: str, style: LegendStyle, x: float, y: float, bold: bool = False,
               valign: str = "top") -> vtkTextActor:
    """A label whose left edge is at x and whose top (or middle, `valign="centre"`) is at y,
    in pixels of the legend area."""
    actor = vtkTextActor()
    actor.SetInput(display_text(text, LEGEND_CHARS, lines=True))
    prop = actor.GetTextProperty()
    prop.ShallowCopy(text_property(style.font_px, bold))
    prop.SetJustificationToLeft()
    if valign == "centre":
        prop.SetVerticalJustificationToCentered()
    else:
        prop.SetVerticalJustificationToTop()
    actor.SetPosition(x, y)
    actor.PickableOff()
    return actor


def rectangles_actor(rects: list[tuple[float, float, float, float, tuple]]) -> vtkActor2D:
    """One 2D actor of filled rectangles (x, y, w, h, rgb 0–1), in pixels of the legend area."""
    if not rects:
        return vtkActor2D()
    q = np.array([r[:4] for r in rects], float).reshape(-1, 4)
    corners = np.stack([q[:, :2], q[:, :2] + q[:, [2]] * [1, 0], q[:, :2] + q[:, 2:4], q[:, :2] + q[:, [3]] * [0, 1]], 1)
    points = vtkPoints()
    points.SetData(numpy_to_vtk(np.column_stack([corners.reshape(-1, 2), np.zeros(len(q) * 4)]), deep=True))
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(np.arange(0, len(q) * 4 + 1, 4, dtype=np.int64), deep=True),
                  numpy_to_vtkIdTypeArray(np.arange(len(q) * 4, dtype=np.int64), deep=True))
    poly = vtkPolyData()
    poly.SetPoints(points)
    poly.SetPolys(cells)
    rgb = (np.array([r[4] for r in rects], float).reshape(-1, 3) * 255).round().astype(np.uint8)
    colours = numpy_to_vtk(rgb, deep=True)
    colours.SetName("rgb")
    poly.GetCellData().SetScalars(colours)
    mapper = vtkPolyDataMapper2D()
    mapper.SetInputData(poly)
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    actor.PickableOff()
    return actor


def wrap_words(text: str, style: LegendStyle, width: int, bold: bool = False) -> str:
    """`text` broken at spaces into lines no wider than `width` where a word allows it."""
    lines: list[str] = []
    for word in text.split():
        if lines and style.text_size(f"{lines[-1]} {word}", bold)[0] <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines) or text


# ---------------------------------------------------------------------- blocks
@dataclass
class Drawn:
    """What a block drew: every prop, and the text actors among them (titles and labels)."""

    props: list[vtkProp]
    texts: list[vtkTextActor]


class LegendBlock(ABC):
    """A legend measured and drawn in pixels: `size` for a height it may use, `draw` at a place.

    The kinds of legend (categories, colour ramps) each say how to measure and draw themselves."""

    title: str
    wraps = False           # True: given less height, it wraps into columns (else it keeps its shortest)

    def title_text(self, style: LegendStyle, content_width: int) -> str:
        """The title, wrapped at spaces when wider than the content (and than 14 characters' room)."""
        return wrap_words(self.title, style, max(content_width, style.font_px * 14), bold=True)

    @abstractmethod
    def min_height(self, style: LegendStyle) -> int:
        """The least height in pixels the legend can be drawn in whole."""

    @abstractmethod
    def size(self, style: LegendStyle, max_height: int) -> tuple[int, int]:
        """(width, height) in pixels when given at most `max_height`."""

    @abstractmethod
    def draw(self, style: LegendStyle, x: float, top: float, max_height: int) -> Drawn:
        """Its props, laid out from the top-left corner (x, top) in window pixels."""


class CategoryLegend(LegendBlock):
    """A swatch and the full name of every category (the overlay's own colours where it gives
    them, else the palette), wrapped into columns when there are more than fit one under another."""

    wraps = True

    def __init__(self, title: str, categories: tuple[str, ...], rgb: tuple[tuple[int, int, int], ...] = ()):
        self.title = title
        self.labels = tuple(str(c) for c in categories)
        colours = np.asarray(rgb, float) if len(rgb) >= len(self.labels) and len(rgb) else \
            colouring.lookup_table("categorical").astype(float)
        self.colours = colours / 255.0

    def _columns(self, style: LegendStyle, max_height: int, title_h: int) -> tuple[int, int]:
        """(columns, rows) for the labels in `max_height` (at least one row a column)."""
        n = max(len(self.labels), 1)
        per_column = max(1, (max_height - title_h - style.gap_px) // style.row_px)
        columns = math.ceil(n / per_column)
        return columns, math.ceil(n / columns)

    def _column_width(self, style: LegendStyle) -> int:
        widest = max((style.text_size(t)[0] for t in self.labels), default=0)
        return style.swatch_px + style.gap_px + widest

    def _layout(self, style: LegendStyle, max_height: int) -> tuple[str, int, int, int, int]:
        """(title text, title height, columns, rows, width)."""
        title = self.title_text(style, self._column_width(style))
        title_h = style.text_size(title, bold=True)[1]
        columns, rows = self._columns(style, max_height, title_h)
        content = columns * self._column_width(style) + (columns - 1) * style.font_px
        title = self.title_text(style, content)
        title_w, title_h = style.text_size(title, bold=True)
        return title, title_h, columns, rows, max(content, title_w)

    def min_height(self, style: LegendStyle) -> int:
        return style.text_size(self.title, bold=True)[1] + style.gap_px + style.row_px

    def size(self, style: LegendStyle, max_height: int) -> tuple[int, int]:
        _, title_h, _, rows, width = self._layout(style, max_height)
        return width, title_h + style.gap_px + rows * style.row_px

    def draw(self, style: LegendStyle, x: float, top: float, max_height: int) -> Drawn:
        title, title_h, _, rows, _ = self._layout(style, max_height)
        texts = [text_actor(title, style, x, top, bold=True)]
        rects = []
        column_w = self._column_width(style) + style.font_px
        for i, label in enumerate(self.labels):
            column, row = divmod(i, rows)
            left = x + column * column_w
            middle = top - title_h - style.gap_px - (row + 0.5) * style.row_px
            rects.append((left, middle - style.swatch_px / 2, style.swatch_px, style.swatch_px,
                          tuple(self.colours[i % len(self.colours)])))
            texts.append(text_actor(label, style, left + style.swatch_px + style.gap_px, middle, valign="centre"))
        return Drawn([rectangles_actor(rects)] + texts, texts)


def nice_step(vmin: float, vmax: float, most: int = 7) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^k) giving at most `most` ticks over [vmin, vmax]."""
    raw = (vmax - vmin) / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))


def nice_ticks(vmin: float, vmax: float, most: int = 7) -> np.ndarray:
    """Round tick values over [vmin, vmax], its ends included."""
    span = vmax - vmin
    if not np.isfinite(span) or span <= 0:
        return np.array([vmin])
    step = nice_step(vmin, vmax, most)
    inner = np.arange(math.ceil(vmin / step) * step, vmax + step * 1e-9, step)
    ticks = [t for t in inner if min(abs(t - vmin), abs(t - vmax)) > 0.35 * step]
    return np.array([vmin, *ticks, vmax])


def decimals_of(value: float, most: int = 3) -> int:
    """The fewest decimals (up to `most`) that write `value` exactly."""
    return next((d for d in range(most + 1) if abs(round(value, d) - value) <= 1e-9 * max(1.0, abs(value))), most)


def tick_label(value: float) -> str:
    """A tick value as written on a legend: no more decimals than it needs, thousands grouped, no '-0'."""
    text = f"{value:,.{decimals_of(value)}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


class RampLegend(LegendBlock):
    """A vertical colour ramp (or the bands of a banded map) with round tick values; the title
    is the unit ('°C', '%', 'days')."""

    CELLS = 120             # bands at sixths of the range (the power overlay's 80 / 100 %) fall on cell edges
    MIN_ROWS, MAX_ROWS = 5, 13

    def __init__(self, title: str, colormap_name: str, vmin: float, vmax: float):
        self.title = title
        self.colormap = colormap_name
        self.vmin, self.vmax = float(vmin), float(vmax)
        ticks = nice_ticks(self.vmin, self.vmax)
        if colouring.is_banded(colormap_name):     # the band edges always get a label
            edges = self.vmin + np.array(colouring.band_starts(colormap_name)) * (self.vmax - self.vmin)
            ticks = np.union1d(np.round(ticks, 9), np.round(edges, 9))
        self.ticks = ticks
        self.labels = tuple(tick_label(t) for t in ticks)

    def _label_width(self, style: LegendStyle) -> int:
        return max(style.text_size(t)[0] for t in self.labels)

    def _content_width(self, style: LegendStyle) -> int:
        return style.bar_px + style.gap_px + style.gap_px + self._label_width(style)

    def _bar_height(self, style: LegendStyle, max_height: int, title_h: int) -> int:
        text_h = style.text_size("0")[1]
        room = max_height - title_h - style.gap_px - text_h
        return int(np.clip(room, self.MIN_ROWS * style.row_px, self.MAX_ROWS * style.row_px))

    def min_height(self, style: LegendStyle) -> int:
        return style.text_size(self.title, bold=True)[1] + style.gap_px + style.text_size("0")[1] + \
            self.MIN_ROWS * style.row_px

    def size(self, style: LegendStyle, max_height: int) -> tuple[int, int]:
        content = self._content_width(style)
        title = self.title_text(style, content)
        title_w, title_h = style.text_size(title, bold=True)
        bar = self._bar_height(style, max_height, title_h)
        return max(content, title_w), title_h + style.gap_px + style.text_size("0")[1] + bar

    def draw(self, style: LegendStyle, x: float, top: float, max_height: int) -> Drawn:
        title = self.title_text(style, self._content_width(style))
        title_h = style.text_size(title, bold=True)[1]
        texts = [text_actor(title, style, x, top, bold=True)]
        bar_h = self._bar_height(style, max_height, title_h)
        bar_top = top - title_h - style.gap_px - style.text_size("0")[1] / 2
        bottom = bar_top - bar_h
        table = colouring.lookup_table(self.colormap, self.CELLS) / 255.0
        cell = bar_h / self.CELLS
        rects = [(x - 1, bottom - 1, style.bar_px + 2, bar_h + 2, FRAME_RGB)]
        rects += [(x, bottom + i * cell, style.bar_px, cell + 0.5, tuple(table[i])) for i in range(self.CELLS)]
        span = self.vmax - self.vmin or 1.0
        for value, label in zip(self.ticks, self.labels):
            y = bottom + (value - self.vmin) / span * bar_h
            rects.append((x + style.bar_px, y - 0.5, style.gap_px, 1.0, FRAME_RGB))
            texts.append(text_actor(label, style, x + style.bar_px + 2 * style.gap_px, y, valign="centre"))
        return Drawn([rectangles_actor(rects)] + texts, texts)


def overlay_legend(overlay: Overlay) -> LegendBlock:
    """The legend of an overlay: every category named in full, or a colour ramp titled by its unit."""
    if overlay.categorical:
        return CategoryLegend(overlay.label, overlay.categories, overlay.category_rgb)
    return RampLegend(overlay.unit or overlay.label, overlay.colormap, overlay.vmin, overlay.vmax)
