"""What the reviewer is looking at, as plain data: visibility, selection, x-ray, overlay,
section and highlight. No VTK, no Qt.

Why: the window's panels each narrow what is shown (kind filters, a search, "isolate",
"hide"), the findings and traces highlight parts, the export must draw exactly what the
window shows. Keeping that state in one plain object (as napari keeps its layer models apart
from the drawing) lets every panel edit it, lets the scene apply it in one place
(`Scene.apply`), and lets an export render the same state headlessly.

Visibility is composed, never overwritten: each *filter* is a mask of parts that may be
shown (all filters must agree), each *focus* is a mask of parts to show only (their racks'
frames come along for context). `visible` is the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from twin.model import Design

#: Above this many focused parts the scene does not force their racks into full detail.
FOCUS_DETAIL_LIMIT = 5000
#: Highlighted parts pull their racks into full detail when they span at most this many racks.
HIGHLIGHT_DETAIL_RACKS = 32
#: The section plane keeps the side below (`-`) or above (`+`) its position.
SECTION_SIDES = ("-", "+")


@dataclass(frozen=True)
class Section:
    """A clipping plane normal to `axis` ('x', 'y' or 'z') at `position` metres, keeping `keep`."""

    axis: str
    position: float
    keep: str = "-"

    def __post_init__(self) -> None:
        if self.axis not in ("x", "y", "z"):
            raise ValueError(f"section axis must be x, y or z, not {self.axis!r}")
        if self.keep not in SECTION_SIDES:
            raise ValueError(f"section side must be '-' or '+', not {self.keep!r}")

    @property
    def normal(self) -> np.ndarray:
        """Unit normal pointing at the kept side."""
        n = np.zeros(3)
        n["xyz".index(self.axis)] = -1.0 if self.keep == "-" else 1.0
        return n

    @property
    def origin(self) -> np.ndarray:
        o = np.zeros(3)
        o["xyz".index(self.axis)] = self.position
        return o

    def keeps(self, points: np.ndarray) -> np.ndarray:
        """Which world points lie on the kept side (or on the plane)."""
        return (np.atleast_2d(points) - self.origin) @ self.normal >= 0


def _indices(items: Iterable[int] | np.ndarray | None, n: int) -> np.ndarray:
    """Sorted unique valid indices (< n, >= 0) from any iterable of ints."""
    if items is None:
        return np.zeros(0, np.int64)
    idx = np.unique(np.asarray(list(items) if not isinstance(items, np.ndarray) else items, np.int64).reshape(-1))
    return idx[(idx >= 0) & (idx < n)]


class ViewState:
    """The view of one design: plain numpy and Python values, edited by panels, applied by the scene."""

    def __init__(self, design: Design):
        self.n_parts = len(design.parts)
        self.n_cables = len(design.cables)
        self._rack_of = np.asarray(design.parts.rack, np.int64)
        self._frame_of_rack = design.rack_frames()
        self._cable_ends = (np.asarray(design.cables.a_part, np.int64), np.asarray(design.cables.b_part, np.int64)) \
            if self.n_cables else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        self.filters: dict[str, np.ndarray] = {}
        self.focus: dict[str, np.ndarray] = {}
        self.selected = np.zeros(0, np.int64)
        self.xray = False
        self.overlay = "none"
        self.section: Section | None = None
        self.highlight_parts = np.zeros(0, np.int64)
        self.highlight_cables = np.zeros(0, np.int64)

    # ------------------------------------------------------------------ visibility
    def set_filter(self, name: str, mask: np.ndarray | None) -> None:
        """Parts that may be shown according to `name` (None removes the filter)."""
        self._set(self.filters, name, mask)

    def set_focus(self, name: str, mask: np.ndarray | None) -> None:
        """Show only these parts (plus their racks' frames) according to `name` (None removes it)."""
        self._set(self.focus, name, mask)

    def _set(self, table: dict[str, np.ndarray], name: str, mask: np.ndarray | None) -> None:
        if mask is None:
            table.pop(name, None)
            return
        mask = np.asarray(mask, bool)
        if mask.shape != (self.n_parts,):
            raise ValueError(f"a {name!r} mask needs one value per part ({self.n_parts}), not {mask.shape}")
        table[name] = mask.copy()

    def hide(self, parts: Iterable[int] | np.ndarray) -> None:
        """Hide these parts on top of what is hidden already."""
        hidden = ~self.filters.get("hidden", np.ones(self.n_parts, bool))
        hidden[_indices(parts, self.n_parts)] = True
        self.filters["hidden"] = ~hidden

    def show_all(self) -> None:
        """Drop every filter and focus."""
        self.filters.clear()
        self.focus.clear()

    def focused(self) -> np.ndarray | None:
        """The intersection of every focus mask, with the focused parts' rack frames; None without focus."""
        if not self.focus:
            return None
        out = np.logical_and.reduce(list(self.focus.values()))
        racks = np.unique(self._rack_of[out & (self._rack_of >= 0)])
        frames = self._frame_of_rack[racks]
        out = out.copy()
        out[frames[frames >= 0]] = True
        return out

    @property
    def visible(self) -> np.ndarray:
        """Mask of the parts drawn: every filter, every focus, and both ends of highlighted cables."""
        out = np.logical_and.reduce(list(self.filters.values())) if self.filters else np.ones(self.n_parts, bool)
        focus = self.focused()
        if focus is not None:
            out = out & focus
        ends = self.highlight_ends()
        if len(ends):
            out = out.copy()
            out[ends] = True
        return out

    def forced_racks(self) -> np.ndarray:
        """Racks that must be drawn in full detail: the selection's and (if few) the focus's."""
        racks = [self._rack_of[self.selected], self._rack_of[self.highlight_ends()]]
        lit = np.unique(self._rack_of[self.highlight_parts])
        if len(lit) <= HIGHLIGHT_DETAIL_RACKS:
            racks.append(lit)
        focus = self.focused()
        if focus is not None:
            inner = focus & (self._rack_of >= 0)
            focus_racks = np.unique(self._rack_of[inner])
            # a search matching every rack frame (hall-2000: 'nVent', 2,024 parts) would otherwise
            # force all racks into full meshes: over 7 GB
            if inner.sum() < FOCUS_DETAIL_LIMIT and len(focus_racks) <= HIGHLIGHT_DETAIL_RACKS:
                racks.append(focus_racks)
        out = np.unique(np.concatenate(racks))
        return out[out >= 0]

    # ------------------------------------------------------------------ selection, highlight
    def select(self, parts: Iterable[int] | np.ndarray) -> None:
        self.selected = _indices(parts, self.n_parts)

    def selected_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_parts, bool)
        mask[self.selected] = True
        return mask

    def highlight(self, parts: Iterable[int] | np.ndarray | None = None,
                  cables: Iterable[int] | np.ndarray | None = None) -> None:
        """Emphasise these parts and cables (everything else is dimmed); both ends of each cable count."""
        self.highlight_parts = _indices(parts, self.n_parts)
        self.highlight_cables = _indices(cables, self.n_cables)

    def clear_highlight(self) -> None:
        self.highlight(None, None)

    @property
    def highlighting(self) -> bool:
        return bool(len(self.highlight_parts) or len(self.highlight_cables))

    def highlight_ends(self) -> np.ndarray:
        """Parts at either end of a highlighted cable (always drawn)."""
        if not len(self.highlight_cables):
            return np.zeros(0, np.int64)
        a, b = self._cable_ends
        ends = np.concatenate([a[self.highlight_cables], b[self.highlight_cables]])
        return np.unique(ends[(ends >= 0) & (ends < self.n_parts)])

    def highlighted_mask(self) -> np.ndarray:
        """Parts drawn emphasised: the highlighted parts and the ends of highlighted cables."""
        mask = np.zeros(self.n_parts, bool)
        mask[self.highlight_parts] = True
        mask[self.highlight_ends()] = True
        return mask

    # ------------------------------------------------------------------ section
    def set_section(self, axis: str | None, position: float = 0.0, keep: str = "-") -> None:
        """Clip the view with a plane normal to `axis` (None: no section)."""
        self.section = None if axis is None else Section(axis, float(position), keep)


@dataclass(frozen=True)
class ViewSnapshot:
    """A copy of what a view state showed at one moment, to tell what changed since."""

    visible: np.ndarray
    selected: np.ndarray
    xray: bool
    section: Section | None
    highlight_parts: np.ndarray
    highlight_cables: np.ndarray

    @classmethod
    def of(cls, state: ViewState, visible: np.ndarray | None = None) -> "ViewSnapshot":
        return cls(state.visible if visible is None else visible, state.selected.copy(), state.xray, state.section,
                   state.highlight_parts.copy(), state.highlight_cables.copy())

    @classmethod
    def empty(cls, n_parts: int) -> "ViewSnapshot":
        none = np.zeros(0, np.int64)
        return cls(np.ones(n_parts, bool), none, False, None, none, none)

    def changes(self, before: "ViewSnapshot") -> set[str]:
        """Which aspects differ from `before`: visible, selected, xray, section, highlight."""
        out = set()
        if not np.array_equal(self.visible, before.visible):
            out.add("visible")
        if not np.array_equal(self.selected, before.selected):
            out.add("selected")
        if self.xray != before.xray:
            out.add("xray")
        if self.section != before.section:
            out.add("section")
        if not (np.array_equal(self.highlight_parts, before.highlight_parts)
                and np.array_equal(self.highlight_cables, before.highlight_cables)):
            out.add("highlight")
        return out
