"""A viewpoint's view state: what a view state shows, as plain JSON data, and back, whole.

Why: a saved viewpoint is a snapshot of the view state (DESIGN.md), not only a camera: the
overlay and its colour range, the selection, what is hidden, isolated or searched, the trace
(highlighted parts and cables), the section, the moment of the readings, the power basis and
the scenario. The JSON goes into the `state` column of the design file's `viewpoints` table
(twin.store.notes) and into BCF exports; `restore` puts it back into a view state in one
`changed` event, so the scene draws it once and every panel follows.

Parts and cables are named, never numbered: row indices change when a design is rebuilt,
names do not (a repeated part name counts its copies, `name#2`, as twin.store.bcf_guid
does). A mask over every part (a filter or a focus) is written as its default and the
parts that differ from it, whichever side is shorter, as BCF's visibility is. A name the
design no longer has is skipped on restore and reported, as is an overlay that is not
available any more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.analysis.settings import BASES, run_settings
from twin.errors import TwinError
from twin.model import Design
from twin.model.keys import repeat_counted
from twin.model.scenario import CHANGE_KINDS, Change, Scenario
from twin.viewstate import CameraPose, ViewState

if TYPE_CHECKING:
    from twin.session import ReviewSession

log = logging.getLogger(__name__)

#: The version `state_of` writes (twin.store.notes.VIEW_STATE_VERSION stores it beside the data).
VERSION = 1


def part_keys(design: Design) -> list[str]:
    """Each part's stable key: its name, a repeated name counted (`name#2`, …), in row order."""
    return repeat_counted(design.parts.name)


def _cable_keys(design: Design) -> list[str]:
    return [str(n) for n in design.cable_text().name] if len(design.cables) else []


def camera_dict(pose: CameraPose) -> dict[str, Any]:
    return {"position": list(pose.position), "focal_point": list(pose.focal_point), "view_up": list(pose.view_up),
            "view_angle": pose.view_angle}


def camera_of(data: dict[str, Any]) -> CameraPose:
    """The camera pose of a stored camera object; ValueError when it is not one."""
    def xyz(key: str) -> tuple[float, float, float]:
        x, y, z = (float(v) for v in data[key])
        if not all(np.isfinite((x, y, z))):
            raise ValueError(f"camera {key} is not finite")
        return x, y, z

    try:
        angle = float(data.get("view_angle", 30.0))
        pose = CameraPose(xyz("position"), xyz("focal_point"), xyz("view_up"), angle)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a camera: {exc}") from None
    if not 0 < angle < 180:
        raise ValueError(f"view angle {angle} is not between 0 and 180 degrees")
    return pose


def state_of(state: ViewState, design: Design) -> dict[str, Any]:
    """Everything `state` shows, as JSON-ready data (names, not row indices)."""
    keys = part_keys(design)
    cables = _cable_keys(design) if len(state.highlight_cables) else []
    overlay = None
    if state.overlay is not None:
        overlay = {"name": state.overlay.name, "options": dict(state.overlay_options),
                   "range": None if state.overlay.categorical else [float(state.overlay.vmin), float(state.overlay.vmax)]}
    section = None if state.section is None else {"axis": state.section.axis, "position": state.section.position,
                                                   "keep": state.section.keep}
    return {
        "camera": camera_dict(state.camera) if state.camera is not None else None,
        "overlay": overlay,
        "selection": [keys[i] for i in state.selected],
        "filters": {name: _mask(mask, keys) for name, mask in sorted(state.filters.items())},
        "focus": {name: _mask(mask, keys) for name, mask in sorted(state.focus.items())},
        "xray": bool(state.xray),
        "trace": {"parts": [keys[i] for i in state.highlight_parts], "cables": [cables[i] for i in state.highlight_cables],
                  "path": np.asarray(getattr(state, "trace_path", np.zeros((0, 2, 3))), float).tolist()},
        "section": section,
        "moment": state.moment,
        "basis": state.basis,
        "scenario": _scenario_dict(state.scenario),
    }


def _scenario_dict(scenario: Scenario | None) -> dict[str, Any] | None:
    """The scenario whole (name and changes), so the viewpoint restores it even once the stored
    scenario of that name is edited or deleted."""
    if scenario is None:
        return None
    return {"name": scenario.name, "description": scenario.description,
            "changes": [c.to_dict() for c in scenario.changes]}


def _scenario_of(value: Any, session: "ReviewSession", out: "Restored") -> Scenario | None:
    """The stored scenario, applied to `session` (names checked against the design); None, with
    a warning, when it is not one or names what the design does not have."""
    if value is None:
        return None
    try:
        changes = tuple(Change(str(c["kind"]), str(c["target"]), str(c.get("value", "")))
                        for c in value["changes"])
        if any(c.kind not in CHANGE_KINDS for c in changes):
            raise ValueError("unknown kind of change")
        scenario = Scenario(str(value["name"]), changes, str(value.get("description", "")))
    except (TypeError, KeyError, ValueError, AttributeError):
        out.warnings.append(f"scenario {value!r:.60}: not a scenario; left out")
        return None
    try:
        session.set_scenario(scenario)
    except TwinError as exc:
        out.warnings.append(f"scenario {scenario.name!r}: {exc}; left out")
        session.set_scenario(None)
        return None
    return scenario


def _mask(mask: np.ndarray, keys: list[str]) -> dict[str, Any]:
    shown = int(mask.sum())
    default = shown * 2 >= len(mask)                 # the shorter list of exceptions
    return {"default": default, "except": [keys[i] for i in np.flatnonzero(mask != default)]}


@dataclass
class Restored:
    """What `restore` could not put back, one line each (a part the design lacks, an overlay gone)."""

    warnings: list[str] = field(default_factory=list)


def restore(state: ViewState, data: dict[str, Any], session: "ReviewSession",
            camera: CameraPose | None = None) -> Restored:
    """Show `data` (as `state_of` wrote it) in `state`, in one `changed` event; the session moves
    to the stored moment and basis, so the overlay is rebuilt as it was. `camera` (the
    viewpoint's own columns) wins over a camera inside `data`."""
    design = session.design
    out = Restored()
    index = {k: i for i, k in enumerate(part_keys(design))}

    def parts(names: Any, what: str) -> np.ndarray:
        found: list[str] = []
        missing: list[str] = []
        if not isinstance(names, list):
            if names:
                out.warnings.append(f"{what}: not a list of part names; left out")
            names = []
        for name in names:
            (found if str(name) in index else missing).append(str(name))
        if missing:
            out.warnings.append(f"{what}: {len(missing)} part(s) this design does not have (first: {missing[0]!r})")
        return np.asarray([index[n] for n in found if n in index], np.int64)

    def mask(value: Any, what: str) -> np.ndarray | None:
        if not isinstance(value, dict) or not isinstance(value.get("default"), bool):
            out.warnings.append(f"{what}: not a mask; left out")
            return None
        m = np.full(len(design.parts), value["default"], bool)
        m[parts(value.get("except"), what)] = not value["default"]
        return m

    moment = data.get("moment")
    if moment is not None and not isinstance(moment, str):
        out.warnings.append(f"moment {moment!r} is not a time; the latest readings are shown")
        moment = None
    basis = str(data["basis"]) if data.get("basis") in BASES else state.basis
    if data.get("basis") not in (None, *BASES):
        out.warnings.append(f"basis {data.get('basis')!r} is not one twin knows; kept {basis}")
    session.set_time(moment)
    scenario = _scenario_of(data.get("scenario"), session, out)    # before the overlay, which may be its
    for name, values in run_settings(basis).items():
        session.configure(name, **values)
    overlay, options = _overlay(data.get("overlay"), session, moment, out)
    trace: dict[str, Any] = data["trace"] if isinstance(data.get("trace"), dict) else {}
    traced: list[Any] = trace["cables"] if isinstance(trace.get("cables"), list) else []
    cable_index = {k: i for i, k in enumerate(_cable_keys(design))} if traced else {}
    cables = [cable_index[str(c)] for c in traced if str(c) in cable_index]
    if len(cables) != len(traced) or traced is not trace.get("cables", traced):
        out.warnings.append("trace: cables this design does not have; left out")
    section = data.get("section")
    section = section if isinstance(section, dict) else None
    with state.hold():
        state.show_all()
        for setter, key in ((state.set_filter, "filters"), (state.set_focus, "focus")):
            table = data.get(key)
            if table is not None and not isinstance(table, dict):
                out.warnings.append(f"{key}: not a table of masks; left out")
            for name, value in (table.items() if isinstance(table, dict) else ()):
                m = mask(value, f"{key} {name!r}")
                if m is not None:
                    setter(str(name), m)
        state.xray = bool(data.get("xray", False))
        path = _path(trace.get("path"), out)
        if len(path) and hasattr(state, "trace_path"):         # a view state that draws a trace's path
            highlight: Any = state.highlight                     # (its `path` argument came with trace paths)
            highlight(parts(trace.get("parts"), "trace"), cables, path=path)
        else:
            state.highlight(parts(trace.get("parts"), "trace"), cables)
        state.select(parts(data.get("selection"), "selection"))
        try:
            if section is None:
                raise KeyError("axis")
            state.set_section(section["axis"], float(section["position"]), section.get("keep", "-"))
        except (TypeError, KeyError, ValueError):
            if data.get("section") is not None:
                out.warnings.append("section: not a section plane; left out")
            state.set_section(None)
        state.set_moment(moment)
        state.set_basis(basis)
        state.set_overlay(overlay, options)
        state.set_scenario(scenario)
        pose = camera
        if pose is None and isinstance(data.get("camera"), dict):
            try:
                pose = camera_of(data["camera"])
            except ValueError as exc:
                out.warnings.append(f"camera: {exc}; left as it is")
        if pose is not None:
            state.set_camera(pose)
    for line in out.warnings:
        log.info("viewpoint restored without: %s", line)
    return out


def _path(value: Any, out: Restored) -> np.ndarray:
    """A stored trace path as (segments, 2, 3) finite world points (empty when none or not one)."""
    try:
        path = np.asarray(value if value is not None else [], float).reshape(-1, 2, 3)
    except (TypeError, ValueError):
        out.warnings.append("trace: its path is not a list of segments; drawn without it")
        return np.zeros((0, 2, 3))
    return path[np.isfinite(path).all(axis=(1, 2))]


def _overlay(value: Any, session: "ReviewSession", moment: str | None, out: Restored) -> tuple[Any, dict[str, Any]]:
    """The stored overlay built again at `moment`, with its colour range (None for natural colours)."""
    if not isinstance(value, dict) or not value.get("name") or value.get("name") == "none":
        return None, {}
    options: dict[str, Any] = value["options"] if isinstance(value.get("options"), dict) else {}
    try:
        overlay = session.overlay(str(value["name"]), at=moment, **options)
    except (ValueError, TypeError) as exc:
        out.warnings.append(f"overlay {value['name']!r}: {exc}; shown without an overlay")
        return None, {}
    rng = value.get("range")
    if overlay is not None and isinstance(rng, list) and len(rng) == 2:
        try:
            lo, hi = float(rng[0]), float(rng[1])
        except (TypeError, ValueError):
            lo = hi = float("nan")
        if np.isfinite(lo) and np.isfinite(hi) and hi > lo:
            from dataclasses import replace

            overlay = replace(overlay, vmin=lo, vmax=hi)
    return overlay, dict(options)
