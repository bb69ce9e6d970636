"""A review session: one design, the readings at a chosen moment, and analysis results cached.

Why: the CLI, the exports and every panel of the app ask the same questions of the same
design at the same moment. One session answers them all, so one time-slider step runs each
analysis once, however many panels look at the result. The session holds no VTK and no Qt:
it is model-level, and the only place outside `twin.store` that asks for readings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from twin.analysis import registry
from twin.analysis.findings import Finding, findings_to_lines, sort_findings, summary_line
from twin.analysis.finding_groups import group_lines
from twin.analysis.registry import AnalysisResult
from twin.errors import TwinError
from twin.model import Design
from twin.model.lru import LRU
from twin.model.readings import ReadingSnapshot
from twin.model.scenario import Scenario

if TYPE_CHECKING:
    from twin.analysis.overlays import Overlay
    from twin.model.history import SensorHistory, Subject
    from twin.viewstate import ViewState

#: Sensor histories a session keeps (a reviewer clicks back and forth between a few racks).
HISTORY_CACHE = 16
#: Reading snapshots kept, one per moment (the last few slider positions).
SNAPSHOT_CACHE = 8
#: Analysis results kept, one per (analysis, moment, settings): every analysis at the last few
#: moments, or a few settings of each.
RESULT_CACHE = 64
#: Designs under a scenario kept (the last few scenarios looked at).
SCENARIO_CACHE = 4


class ReviewSession:
    """The design under review, the moment it is looked at (`at`, None = latest readings),
    settings per analysis, and results cached per (analysis, moment, settings), the least
    recently used dropped beyond `max_results` (and snapshots beyond `max_snapshots`).

    `run_counts` counts real analysis runs per name, so tests (and the curious) can see
    that the cache works.
    """

    def __init__(self, design: Design, at: str | None = None,
                 settings: Mapping[str, Mapping[str, Any]] | None = None,
                 max_results: int = RESULT_CACHE, max_snapshots: int = SNAPSHOT_CACHE):
        self.design = design
        self._at = at
        self._settings: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (settings or {}).items()}
        # bounded, least recently used out first (twin.model.lru): a long session stays small
        self._snapshots: LRU[str | None, ReadingSnapshot | None] = LRU(max_snapshots)
        self._results: LRU[tuple[Any, ...], AnalysisResult] = LRU(max_results)
        self._times: list[str] | None = None
        self._reading_warnings: list[str] | None = None
        self._histories: LRU[tuple[Any, ...], SensorHistory] = LRU(HISTORY_CACHE)
        self.run_counts: dict[str, int] = {}
        self._view: ViewState | None = None
        self._scenario: Scenario | None = None
        self._scenario_designs: LRU[tuple[Any, ...], Design] = LRU(SCENARIO_CACHE)

    @property
    def view(self) -> ViewState:
        """What the reviewer looks at (`twin.viewstate.ViewState`): shared by every panel, the
        scene that draws it and the exports that render it."""
        if self._view is None:
            from twin.viewstate import ViewState
            self._view = ViewState(self.design)
        return self._view

    # ------------------------------------------------------------------ time
    @property
    def at(self) -> str | None:
        """The moment asked for (None: the latest readings)."""
        return self._at

    def set_time(self, at: str | None) -> None:
        """Look at the design at `at` (results for recent other moments stay cached, up to the bounds)."""
        self._at = at

    def times(self) -> list[str]:
        """Every reading timestamp in the design file, oldest first (empty without readings)."""
        if self._times is None:
            if not len(self.design.sensors) or not self.design.source.is_file():
                self._times = []
            else:
                from twin.store.telemetry import reading_times
                self._times = reading_times(self.design.source)
        return self._times

    def readings_changed(self) -> None:
        """New readings were written to the design file (a live poll): forget the reading times,
        snapshots, sensor histories and results, which were read from the file as it was."""
        self._times = None
        self._reading_warnings = None
        self._snapshots.clear()
        self._results.clear()
        self._histories.clear()

    def reading_warnings(self) -> list[str]:
        """Stored readings left out because their timestamp is not a time, one line per timestamp
        (read once: a scan of the readings table)."""
        if self._reading_warnings is None:
            self._reading_warnings = []
            if len(self.design.sensors) and self.design.source.is_file():
                from twin.store.telemetry import damaged_readings
                self._reading_warnings = damaged_readings(self.design.source)
        return self._reading_warnings

    def snapshot(self, at: str | None = None) -> ReadingSnapshot | None:
        """The readings at `at` (default: the session's moment); None for a design without sensors."""
        at = self._at if at is None else at

        def read() -> ReadingSnapshot | None:
            if not len(self.design.sensors) or not self.design.source.is_file():
                return None
            from twin.store.telemetry import readings_at
            return readings_at(self.design.source, at)
        return self._snapshots.get(at, read)

    def history(self, subject: "Subject") -> "SensorHistory":
        """The readings over time of the sensors of a part, rack or loop (`twin.model.history`),
        with their limits; the last few subjects are kept, since readings do not change."""
        from twin.model.history import build_history, plotted_sensors
        key = (subject, self.settings("thermal").get("ashrae_class") if "thermal" in registry.analysis_names()
               else None)

        def read() -> SensorHistory:
            rows, title = plotted_sensors(self.design, subject)
            readings = []
            if len(rows) and self.design.source.is_file():
                from twin.store.telemetry import sensor_histories
                readings = sensor_histories(self.design.source, self.design.sensors.id[rows])
            else:
                rows = rows[:0]
            return build_history(self.design, subject, rows, title, readings, key[1])
        return self._histories.get(key, read)

    # ------------------------------------------------------------------ settings
    def settings(self, analysis: str) -> dict[str, Any]:
        """The settings `analysis` runs with: its registered defaults overridden by this session's."""
        defaults = dict(registry.get_analysis(analysis).settings)
        return defaults | self._settings.get(analysis, {})

    def configure(self, analysis: str, **values: Any) -> None:
        """Change settings of one analysis (e.g. `configure('thermal', ashrae_class='A2')`)."""
        known = registry.get_analysis(analysis).settings
        unknown = set(values) - set(known)
        if unknown:
            raise TwinError(None, f"unknown setting {sorted(unknown)[0]!r} for {analysis}; "
                                  f"known: {', '.join(known) or 'none'}", where="settings")
        self._settings.setdefault(analysis, {}).update(values)

    # ------------------------------------------------------------------ scenario
    @property
    def scenario(self) -> Scenario | None:
        """The scenario every analysis runs under (None: the design as it is)."""
        return self._scenario

    def set_scenario(self, scenario: Scenario | None) -> None:
        """Run every analysis under `scenario` from now on (None: the design as it is); results
        of recent scenarios stay cached, as those of recent moments do. A name the design does
        not have is a TwinError naming it, and the scenario in force stays."""
        if scenario is not None:
            self.analysis_design(scenario)
        self._scenario = scenario

    def analysis_design(self, scenario: Scenario | None | object = ...) -> Design:
        """The design the analyses see: the design itself, or a copy under `scenario` (default:
        the session's) built once (`twin.analysis.scenario.apply_scenario`)."""
        chosen = self._scenario if scenario is ... else scenario
        if chosen is None:
            return self.design
        assert isinstance(chosen, Scenario)
        from twin.analysis.scenario import apply_scenario
        return self._scenario_designs.get(chosen.key(), lambda: apply_scenario(self.design, chosen))

    # ------------------------------------------------------------------ results
    def available(self) -> dict[str, str | None]:
        """Each analysis → None when it runs on this design (under the scenario), else why not."""
        return registry.analysis_availability(self.analysis_design())

    def loading(self) -> list[str]:
        """Available analyses whose input is still being read: those that need the design's cables
        while a viewer reads them after its first frame (empty once they are read, and always for
        a design loaded whole). `result` would wait for the read; the Findings panel does not."""
        from twin.model.deferred import waiting
        if not waiting(self.design.cables):
            return []
        return [a.name for a in registry.analyses() if a.needs_cables and a.available(self.design) is None]

    def overlay_waits(self, name: str) -> bool:
        """True when the overlay `name` needs cables that are still being read (it or its analysis
        reads them): a viewer shows it when they arrive instead of waiting for them."""
        from twin.model.deferred import waiting
        if name == registry.NO_OVERLAY or not waiting(self.design.cables):
            return False
        spec = registry.get_overlay(name)
        return spec.needs_cables or (spec.analysis is not None and registry.get_analysis(spec.analysis).needs_cables)

    def result(self, name: str, at: str | None = None, scenario: Scenario | None | object = ...) -> AnalysisResult:
        """One analysis's result at `at` (default: the session's moment) under `scenario`
        (default: the session's; None: the design as it is), computed once."""
        analysis = registry.get_analysis(name)
        design = self.analysis_design(scenario)
        reason = analysis.available(design)
        if reason:
            raise TwinError(self.design.source, f"{analysis.label} is not available: {reason}", where=name)
        moment = (self._at if at is None else at) if analysis.uses_readings else None
        settings = self.settings(name)
        snapshot = self.snapshot(moment) if analysis.uses_readings else None
        if design is not self.design:          # a what-if: readings of what it changes no longer hold
            from twin.analysis.scenario_readings import scenario_readings
            snapshot = scenario_readings(design, snapshot)
        # keyed by the moment the readings are really from, so "latest" and the latest timestamp
        # spelled out share one run
        when = snapshot.ts if snapshot is not None else moment
        chosen = self._scenario if scenario is ... else scenario
        key = _result_key(name, when, settings, chosen if isinstance(chosen, Scenario) else None)

        def run() -> AnalysisResult:
            result = analysis.run(design, snapshot, settings)
            self.run_counts[name] = self.run_counts.get(name, 0) + 1
            return result
        return self._results.get(key, run)

    def adopt(self, name: str, result: AnalysisResult, settings: Mapping[str, Any]) -> bool:
        """Keep `result`, computed for this design by another session (a viewer's worker, once the
        cables arrive), as this session's result of `name`, if it ran with this session's
        settings and reads no readings (no moment to match), and this session runs no scenario (the
        worker ran the design as it is). False when not kept."""
        analysis = registry.get_analysis(name)
        mine = self.settings(name)
        if analysis.uses_readings or dict(settings) != dict(mine) or result.analysis != name \
                or self._scenario is not None:
            return False
        key = _result_key(name, None, mine, None)
        self._results.get(key, lambda: result)
        return True

    def cache_sizes(self) -> dict[str, int]:
        """How many results, snapshots and sensor histories the session holds now (each bounded)."""
        return {"results": len(self._results), "snapshots": len(self._snapshots), "histories": len(self._histories)}

    def results(self, names: Iterable[str] | None = None, at: str | None = None) -> dict[str, AnalysisResult]:
        """Results of `names` (default: every available analysis), keyed by analysis name."""
        available = self.available()
        chosen = list(names) if names is not None else [n for n, why in available.items() if why is None]
        return {n: self.result(n, at) for n in chosen}

    def findings(self, names: Iterable[str] | None = None, at: str | None = None) -> list[Finding]:
        """Every finding of `names` (default: all available analyses), most severe first."""
        out: list[Finding] = []
        for result in self.results(names, at).values():
            out.extend(result.findings)
        return sort_findings(out)

    def part_rows(self, part: int, at: str | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
        """(label, rows) of every available analysis that describes single parts, for `part`."""
        out = []
        for analysis in registry.analyses():
            if analysis.part_rows is None or analysis.available(self.analysis_design()):
                continue
            out.append((analysis.label, analysis.part_rows(self.analysis_design(), self.result(analysis.name, at),
                                                                          part)))
        return out

    def report(self, names: Iterable[str] | None = None, basis: str | None = None) -> list[str]:
        """The text `twin check` prints: a header (file, basis, moment), the findings grouped by
        code with counts (`twin.analysis.finding_groups`: what a reviewer decides), every finding of the run
        ranked together (severity, then margin past the limit, so the worst problems of the site
        lead whichever analysis found them), then each analysis's summary lines (its own report
        without the finding lines already listed above)."""
        results = self.results(names)
        findings = self.findings(list(results))
        ts = next((r.reading_ts for r in results.values() if r.reading_ts), None)
        when = f"readings at {ts}" if ts else "no readings used"
        on = f"{basis} basis, " if basis else ""
        on += f"scenario {self._scenario.name!r}: {'; '.join(c.text() for c in self._scenario.changes)}, " \
            if self._scenario is not None else ""
        lines = [f"twin check of {self.analysis_design().source} ({on}{when})", f"  findings: {summary_line(findings)}"]
        if findings:                    # first what to decide: one line per kind of problem, with its count
            lines += ["  by code, worst first (count, worst margin, worst case):"]
            lines += ["    " + line for line in group_lines(findings)]
            lines += ["  every finding, ranked:"]
        lines += ["  " + line for line in findings_to_lines(findings)]
        for name, result in results.items():
            analysis = registry.get_analysis(name)
            listed = {"  " + line for line in findings_to_lines(result.findings)}
            if analysis.report is not None:
                lines += [line for line in analysis.report(self.analysis_design(), result) if line not in listed]
            else:
                lines += [f"{analysis.label.lower()} check of {self.analysis_design().source}",
                          f"  findings: {summary_line(result.findings)}"]
        return lines

    # ------------------------------------------------------------------ overlays
    def overlay_availability(self) -> dict[str, str | None]:
        """Each overlay name ('none' first) → None when it can be shown, else why not."""
        return registry.overlay_availability(self.analysis_design())

    def overlay(self, name: str, at: str | None = None, **options: Any) -> Overlay | None:
        """The `Overlay` called `name` at `at` (None for 'none'); ValueError for an unknown or
        unavailable overlay, naming the choices or the reason."""
        if name == registry.NO_OVERLAY:
            return None
        spec = registry.get_overlay(name)
        reason = self.overlay_availability().get(name)
        if reason:
            raise ValueError(f"overlay {name!r} is not available: {reason}")
        unknown = set(options) - set(spec.options)
        if unknown:
            raise ValueError(f"overlay {name!r} takes no option {sorted(unknown)[0]!r}")
        result = self.result(spec.analysis, at) if spec.analysis else None
        return spec.build(self.analysis_design(), result, **options)


def _result_key(name: str, when: str | None, settings: Mapping[str, Any], scenario: Scenario | None) -> tuple[Any, ...]:
    """The cache key of a result: the analysis, the moment its readings are from, its settings
    and the scenario it ran under (one spelling, for `result` and `adopt`)."""
    return (name, when, tuple(sorted((k, repr(v)) for k, v in settings.items())),
            scenario.key() if scenario is not None else None)
