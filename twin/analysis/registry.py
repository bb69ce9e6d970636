"""The registry of analyses and overlays: each is declared once, everything else derives.

Why: `twin check`, the findings panel, the overlay menu, `--overlay` choices, the legend and
the exports all need the same list of analyses and overlays. Keeping one dict of each (as
trimesh keeps one dict of mesh loaders) means a new analysis is one module that calls
`register_analysis` / `register_overlay` plus one line in `BUILTIN_MODULES`, and every
consumer picks it up.

An **analysis** is pure: `run(design, readings, settings)` takes the model and a readings
snapshot (never a database path) and returns an `AnalysisResult`: findings, named per-part and
per-cable arrays, and the analysis's own detail object. A **overlay** colours the scene from a
design and (optionally) one analysis's result.

Numpy only: nothing here imports VTK or Qt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

import numpy as np

from twin.analysis.findings import Finding
from twin.model import Design
from twin.model.readings import ReadingSnapshot

if TYPE_CHECKING:
    from twin.analysis.overlays import Overlay

#: Modules that register the built-in analyses and overlays when first imported, in menu order.
BUILTIN_MODULES = (
    "twin.analysis.thermal",
    "twin.analysis.power",
    "twin.analysis.cabling",
    "twin.analysis.cooling",
    "twin.analysis.supply",
    "twin.analysis.live",
    "twin.analysis.scenario_findings",
)

#: The overlay that shows plain part colours; always first and always available.
NO_OVERLAY = "none"


@dataclass
class AnalysisResult:
    """What one analysis run produced.

    `part_values` / `cable_values`: named arrays, one value per part (len(design.parts)) or per
    cable (len(design.cables)); NaN where a value does not apply. `detail` is the analysis's
    own result object (e.g. `ThermalResult`) for panels that want more. `reading_ts` is the
    readings moment used (None: estimates only).
    """

    analysis: str
    findings: list[Finding] = field(default_factory=list)
    part_values: dict[str, np.ndarray] = field(default_factory=dict)
    cable_values: dict[str, np.ndarray] = field(default_factory=dict)
    detail: Any = None
    reading_ts: str | None = None


AvailableFn = Callable[[Design], "str | None"]
RunFn = Callable[[Design, "ReadingSnapshot | None", Mapping[str, Any]], AnalysisResult]
OverlayFn = Callable[..., "Overlay"]
ReportFn = Callable[[Design, AnalysisResult], "list[str]"]
PartRowsFn = Callable[[Design, AnalysisResult, int], "list[tuple[str, str]]"]


@dataclass(frozen=True)
class Analysis:
    """A registered analysis. `available(design)` is None when it can run, else the reason it
    cannot (shown greyed out in menus). `uses_readings`: its result changes with the time
    slider. `settings`: default values of the settings `run` accepts (e.g. an ASHRAE class).
    `report(design, result)`: the lines `twin check` prints for it (default: a summary line and
    the findings). `part_rows(design, result, part)`: (field, value) rows the properties panel
    shows for one part under the analysis's label (default: none). `needs_cables`: its run reads
    the cable columns, which a viewer reads after its first frame (`twin.model.deferred`): until
    they arrive the Findings panel lists it as loading rather than wait for them."""

    name: str
    label: str
    available: AvailableFn
    run: RunFn
    uses_readings: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    report: ReportFn | None = None
    part_rows: PartRowsFn | None = None
    needs_cables: bool = False          # reads cable columns: waits for them where a viewer reads them late


@dataclass(frozen=True)
class OverlayDef:
    """A registered overlay. `build(design, result, **options)` returns an `Overlay`; `result`
    is the `AnalysisResult` of `analysis` (None when `analysis` is None). `available` defaults
    to the analysis's own availability. `options`: option names `build` accepts (e.g. quantity)."""

    name: str
    label: str
    build: OverlayFn
    analysis: str | None = None
    available: AvailableFn | None = None
    options: tuple[str, ...] = ()
    description: str = ""
    needs_cables: bool = False          # `build` reads cable columns itself (its analysis may too)


_ANALYSES: dict[str, Analysis] = {}
_OVERLAYS: dict[str, OverlayDef] = {}
_loaded = False


def register_analysis(analysis: Analysis) -> Analysis:
    """Add (or replace, on module reload) an analysis; returns it for use as a module constant."""
    _ANALYSES[analysis.name] = analysis
    return analysis


def register_overlay(overlay: OverlayDef) -> OverlayDef:
    """Add (or replace) an overlay; returns it."""
    if overlay.name == NO_OVERLAY:
        raise ValueError(f"{NO_OVERLAY!r} is reserved for plain colours")
    _OVERLAYS[overlay.name] = overlay
    return overlay


def unregister(name: str) -> None:
    """Remove an analysis and every overlay called `name` or built on it (plug-ins, tests)."""
    _ANALYSES.pop(name, None)
    for overlay in [o for o in _OVERLAYS.values() if o.name == name or o.analysis == name]:
        del _OVERLAYS[overlay.name]


def _ensure_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:      # a real import error inside the module: surface it
                raise
    # A built-in module imported earlier by someone else registered out of turn: menus and
    # `--overlay` choices keep BUILTIN_MODULES order whatever was imported first.
    _reorder(_ANALYSES, "run")
    _reorder(_OVERLAYS, "build")


def _reorder(table: dict[str, Any], fn: str) -> None:
    """Sort a registry table by the built-in module that defines each entry's `fn` (stable:
    plug-ins keep their order)."""
    rank = {name: _module_rank(getattr(entry, fn)) for name, entry in table.items()}
    ordered = sorted(table.items(), key=lambda item: rank[item[0]])
    table.clear()
    table.update(ordered)


def _module_rank(func: Callable[..., Any]) -> int:
    """Position of the built-in module that defines `func` (plug-ins after every built-in)."""
    return _builtin_rank(getattr(func, "__module__", ""))


def _builtin_rank(module: str) -> int:
    """Where a module stands in BUILTIN_MODULES: a built-in module or one of its helpers
    (`twin.analysis.power_overlay` belongs to `twin.analysis.power`); plug-ins after every built-in."""
    for rank, builtin in enumerate(BUILTIN_MODULES):
        if module == builtin or module.startswith((builtin + "_", builtin + ".")):
            return rank
    return len(BUILTIN_MODULES)


T = TypeVar("T")


def _in_menu_order(items: list[T], module_of: Callable[[T], str]) -> list[T]:
    """Built-ins in BUILTIN_MODULES order whichever module a program imported first, then the
    rest in registration order (sorted() is stable)."""
    return sorted(items, key=lambda item: _builtin_rank(module_of(item)))


def analyses() -> list[Analysis]:
    """Every registered analysis: built-ins in BUILTIN_MODULES order, then the others as registered."""
    _ensure_builtins()
    return _in_menu_order(list(_ANALYSES.values()), lambda a: getattr(a.run, "__module__", ""))


def analysis_names() -> tuple[str, ...]:
    """Names of every registered analysis (for `twin check --only` and the findings filter)."""
    return tuple(a.name for a in analyses())


def get_analysis(name: str) -> Analysis:
    """The analysis called `name`; ValueError naming the choices otherwise."""
    _ensure_builtins()
    try:
        return _ANALYSES[name]
    except KeyError:
        raise ValueError(f"unknown analysis {name!r}: choose one of {', '.join(analysis_names())}") from None


def overlays() -> list[OverlayDef]:
    """Every registered overlay ('none' is not among them): built-ins in BUILTIN_MODULES order,
    then the others as registered."""
    _ensure_builtins()
    return _in_menu_order(list(_OVERLAYS.values()), lambda o: getattr(o.build, "__module__", ""))


def overlay_names() -> tuple[str, ...]:
    """'none' then every registered overlay name: the `--overlay` choices and the menu entries."""
    return (NO_OVERLAY,) + tuple(o.name for o in overlays())


def get_overlay(name: str) -> OverlayDef:
    """The overlay called `name`; ValueError naming the choices otherwise."""
    _ensure_builtins()
    try:
        return _OVERLAYS[name]
    except KeyError:
        raise ValueError(f"unknown overlay {name!r}: choose one of {', '.join(overlay_names())}") from None


def overlay_label(name: str) -> str:
    """The menu label of an overlay ('None' for plain colours)."""
    return "None" if name == NO_OVERLAY else get_overlay(name).label


def analysis_availability(design: Design) -> dict[str, str | None]:
    """Each analysis name → None when it can run on `design`, else the reason it cannot."""
    return {a.name: a.available(design) for a in analyses()}


def overlay_availability(design: Design) -> dict[str, str | None]:
    """Each overlay name ('none' first) → None when it can be shown, else the reason it cannot."""
    out: dict[str, str | None] = {NO_OVERLAY: None}
    for o in overlays():
        check = o.available or (get_analysis(o.analysis).available if o.analysis else None)
        out[o.name] = check(design) if check is not None else None
    return out
