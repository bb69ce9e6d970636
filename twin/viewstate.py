"""What the reviewer is looking at: the one owner of what is shown, and it sends events.

It holds visibility (filters and focus), selection, x-ray, section, highlight and trace, the
overlay (the built `Overlay`, its options and colour range), the moment of the readings and
the camera. No VTK, no Qt.

Why: the window's panels each narrow what is shown (kind filters, a search, "isolate",
"hide"), the findings and traces highlight parts, the time slider moves the moment, and the
export must draw exactly what the window shows. One evented object (as napari's
`EventedModel`s are) lets every panel edit it and every view follow it: the scene subscribes
(it is an adapter of this state, as napari's vispy layers are of its models), the panels
subscribe, and nobody tells the scene by hand. An export renders a `snapshot()`: a copy
with no subscribers, so rendering it never touches the window's scene.

Events: `changed` (a psygnal `Signal`) is emitted with the frozenset of aspects that changed,
from `ASPECTS`. Edits inside `with state.hold():` are sent as one event when the block ends,
so a trace (highlight and selection) or a time step (moment and overlay) is drawn once.

Visibility is composed, never overwritten: each *filter* is a mask of parts that may be
shown (all filters must agree), each *focus* is a mask of parts to show only (their racks'
frames come along for context). `visible` is the result.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np
from psygnal import Signal

from twin.analysis.settings import BASES, DEFAULT_BASIS
from twin.model import Design
from twin.model.scenario import Scenario

if TYPE_CHECKING:
    from twin.analysis.overlays import Overlay

#: Above this many focused parts the scene does not force their racks into full detail.
FOCUS_DETAIL_LIMIT = 5000
#: Highlighted parts pull their racks into full detail when they span at most this many racks.
HIGHLIGHT_DETAIL_RACKS = 32
#: The section plane keeps the side below (`-`) or above (`+`) its position.
SECTION_SIDES = ("-", "+")
#: What a `changed` event may name: the drawn parts, x-ray, section, highlight (and trace),
#: selection, the overlay (a new one), its colour range only, the readings moment, the power
#: basis the analyses run on, the camera, the what-if scenario the analyses run under.
ASPECTS = ("visible", "xray", "section", "highlight", "selected", "overlay", "range", "moment", "basis", "camera",
           "scenario")
#: Aspects that change which parts are drawn and how they are tinted (what `Scene` rebuilds).
DRAWN = frozenset(("visible", "xray", "section", "highlight", "selected"))


@dataclass(frozen=True)
class CameraPose:
    """Where the camera stands, what it looks at, which way is up and its lens (degrees)."""

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    view_angle: float = 30.0

    def lerp(self, other: "CameraPose", t: float) -> "CameraPose":
        """Smooth step between two poses (ease in and out) for fly-to animation."""
        s = t * t * (3 - 2 * t)
        def mix(a: tuple[float, float, float], b: tuple[float, float, float]) -> tuple[float, float, float]:
            x, y, z = (float(v) for v in (np.asarray(a) * (1 - s) + np.asarray(b) * s))
            return x, y, z

        return CameraPose(mix(self.position, other.position), mix(self.focal_point, other.focal_point),
                          mix(self.view_up, other.view_up), self.view_angle * (1 - s) + other.view_angle * s)


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
    """The view of one design: numpy and Python values, edited by panels, followed by the scene.

    Every edit emits `changed` with the aspects it touched (see the module doc)."""

    changed = Signal(frozenset)

    def __init__(self, design: Design):
        self.n_parts = len(design.parts)
        self.n_cables = len(design.cables)
        self._rack_of = np.asarray(design.parts.rack, np.int64)
        self._frame_of_rack = design.rack_frames()
        self._cables = design.cables          # their ends are gathered when a cable is first highlighted:
        self._ends: tuple[np.ndarray, np.ndarray] | None = None     # a viewer reads cables after its first frame
        self.filters: dict[str, np.ndarray] = {}
        self.focus: dict[str, np.ndarray] = {}
        self.selected = np.zeros(0, np.int64)
        self._xray = False
        self.section: Section | None = None
        self.highlight_parts = np.zeros(0, np.int64)
        self.highlight_cables = np.zeros(0, np.int64)
        self.trace_path = np.zeros((0, 2, 3))        # a trace's path: (segments, 2 ends, xyz), drawn over the dimmed rest
        self.overlay: Overlay | None = None          # as shown: its colour range applied
        self.overlay_options: dict[str, Any] = {}
        self.moment: str | None = None               # the readings' time (None: the latest)
        self.basis: str = DEFAULT_BASIS              # the power basis every analysis runs on
        self.camera: CameraPose | None = None
        self.scenario: Scenario | None = None         # what the analyses run under (None: the design as it is)
        self._held = 0
        self._pending: set[str] = set()

    # ------------------------------------------------------------------ events
    def _emit(self, *aspects: str) -> None:
        if self._held:
            self._pending.update(aspects)
        else:
            self.changed.emit(frozenset(aspects))

    @contextmanager
    def hold(self) -> Iterator["ViewState"]:
        """Gather the edits made inside the block into one `changed` event, sent when it ends."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held and self._pending:
                pending, self._pending = frozenset(self._pending), set()
                self.changed.emit(pending)

    def snapshot(self) -> "ViewState":
        """An independent copy of what is shown now (no subscribers): what an export renders."""
        copy = object.__new__(ViewState)
        # not `changed`: psygnal keeps each instance's signal (and its subscribers) in its __dict__
        copy.__dict__.update({k: v for k, v in self.__dict__.items() if k != "changed"})
        copy.filters = {k: v.copy() for k, v in self.filters.items()}
        copy.focus = {k: v.copy() for k, v in self.focus.items()}
        copy.selected = self.selected.copy()
        copy.highlight_parts, copy.highlight_cables = self.highlight_parts.copy(), self.highlight_cables.copy()
        copy.trace_path = self.trace_path.copy()
        copy.overlay_options = dict(self.overlay_options)
        copy._held, copy._pending = 0, set()
        return copy

    # ------------------------------------------------------------------ overlay, moment, camera
    @property
    def overlay_name(self) -> str:
        """The shown overlay's name ('none' for natural colours)."""
        return self.overlay.name if self.overlay is not None else "none"

    def set_overlay(self, overlay: "Overlay | None", options: dict[str, Any] | None = None,
                    keep_range: bool = False) -> None:
        """Colour by `overlay` (None: natural colours), built with `options`; `keep_range` keeps
        the colour range the reviewer set on the overlay shown before (a new moment of it)."""
        if keep_range and overlay is not None and self.overlay is not None and overlay.name == self.overlay.name:
            overlay = replace(overlay, vmin=self.overlay.vmin, vmax=self.overlay.vmax)
        self.overlay = overlay
        self.overlay_options = dict(options or {})
        self._emit("overlay")

    def set_overlay_range(self, vmin: float, vmax: float) -> None:
        """The colour range of the shown overlay (ignored without one, or when empty)."""
        if self.overlay is None or not vmax > vmin:
            return
        self.overlay = replace(self.overlay, vmin=float(vmin), vmax=float(vmax))
        self._emit("range")

    def set_basis(self, basis: str) -> None:
        """The power basis the shown analyses run on (nominal, max or measured; see twin.analysis.settings)."""
        if basis not in BASES:
            raise ValueError(f"unknown basis {basis!r}: choose one of {', '.join(BASES)}")
        self.basis = basis
        self._emit("basis")

    def set_moment(self, moment: str | None) -> None:
        """The readings' time the view is drawn at (None: the latest)."""
        self.moment = moment
        self._emit("moment")

    def set_scenario(self, scenario: Scenario | None) -> None:
        """The what-if scenario the shown analyses run under (None: the design as it is)."""
        self.scenario = scenario
        self._emit("scenario")

    def set_camera(self, pose: CameraPose) -> None:
        """Where the camera stands (the scene moves its VTK camera there)."""
        self.camera = pose
        self._emit("camera")

    @property
    def xray(self) -> bool:
        """Hidden parts drawn as translucent ghosts."""
        return self._xray

    @xray.setter
    def xray(self, on: bool) -> None:
        self._xray = bool(on)
        self._emit("xray")

    # ------------------------------------------------------------------ visibility
    def set_filter(self, name: str, mask: np.ndarray | None) -> None:
        """Parts that may be shown according to `name` (None removes the filter)."""
        self._set(self.filters, name, mask)

    def set_focus(self, name: str, mask: np.ndarray | None) -> None:
        """Show only these parts (plus their racks' frames) according to `name` (None removes it)."""
        self._set(self.focus, name, mask)

    def _set(self, table: dict[str, np.ndarray], name: str, mask: np.ndarray | None) -> None:
        if mask is None:
            if table.pop(name, None) is not None:
                self._emit("visible")
            return
        mask = np.asarray(mask, bool)
        if mask.shape != (self.n_parts,):
            raise ValueError(f"a {name!r} mask needs one value per part ({self.n_parts}), not {mask.shape}")
        table[name] = mask.copy()
        self._emit("visible")

    def hide(self, parts: Iterable[int] | np.ndarray) -> None:
        """Hide these parts on top of what is hidden already."""
        hidden = ~self.filters.get("hidden", np.ones(self.n_parts, bool))
        hidden[_indices(parts, self.n_parts)] = True
        self.filters["hidden"] = ~hidden
        self._emit("visible")

    def show_all(self) -> None:
        """Drop every filter and focus."""
        self.filters.clear()
        self.focus.clear()
        self._emit("visible")

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
        """Select these parts (tinted, outlined, their racks drawn in full detail), in the order
        given (the first is the one Properties shows); repeats and invalid indices dropped."""
        idx = np.asarray(list(parts) if not isinstance(parts, np.ndarray) else parts, np.int64).reshape(-1)
        idx = idx[(idx >= 0) & (idx < self.n_parts)]
        _, first = np.unique(idx, return_index=True)
        self.selected = idx[np.sort(first)]
        self._emit("selected")

    @property
    def selection(self) -> list[int]:
        """The selected parts as a list of ints (first: the one Properties shows)."""
        return [int(p) for p in self.selected]

    def selected_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_parts, bool)
        mask[self.selected] = True
        return mask

    def highlight(self, parts: Iterable[int] | np.ndarray | None = None,
                  cables: Iterable[int] | np.ndarray | None = None, path: np.ndarray | None = None) -> None:
        """Emphasise these parts and cables (everything else is dimmed); both ends of each cable
        count. `path`: the trace's path as (segments, 2, 3) world points, drawn between them."""
        self.highlight_parts = _indices(parts, self.n_parts)
        self.highlight_cables = _indices(cables, self.n_cables)
        segments = np.zeros((0, 2, 3)) if path is None else np.asarray(path, float).reshape(-1, 2, 3)
        self.trace_path = segments[np.isfinite(segments).all(axis=(1, 2))]
        self._emit("highlight")

    def clear_highlight(self) -> None:
        self.highlight(None, None)

    @property
    def highlighting(self) -> bool:
        return bool(len(self.highlight_parts) or len(self.highlight_cables))

    def highlight_ends(self) -> np.ndarray:
        """Parts at either end of a highlighted cable (always drawn)."""
        if not len(self.highlight_cables):
            return np.zeros(0, np.int64)
        if self._ends is None:
            self._ends = (np.asarray(self._cables.a_part, np.int64), np.asarray(self._cables.b_part, np.int64)) \
                if self.n_cables else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        a, b = self._ends
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
        self._emit("section")


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
