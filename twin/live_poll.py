"""Live telemetry polling: import every source once per poll and say what came of it.

Why one home: `twin telemetry watch` and the viewer's live mode poll the same way: each poll
imports every source into the design file (`twin.importers.telemetry.import_sources`, one
transaction per source, so an unreachable BMC changes nothing and stops no other source),
then counts the sensors whose newest reading is older than the staleness limit at the wall
clock. The result is a `PollReport`, printed by the CLI as one line and shown by the viewer
in its status bar. No Qt here: the viewer runs `poll_once` in a worker thread.

Durations (`--every 30s`, `--for 10m`) are parsed here too, with errors naming the option.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from twin.analysis.staleness import STALE_AFTER_MIN, age_text, source_label
from twin.errors import TwinError

log = logging.getLogger(__name__)

#: Units of a duration and their seconds.
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
#: The shortest poll interval: a BMC answers a full crawl in seconds, and polling faster
#: only loads it (and the design file's writer lock).
MIN_EVERY_S = 1.0
#: The longest duration accepted anywhere (a year): beyond it a typo, not a plan.
MAX_DURATION_S = 366 * 86400.0


def parse_duration(text: str, option: str = "--every") -> float:
    """'30s', '10m', '1h30m', '2d', or bare seconds ('45') → seconds. TwinError naming the
    option for anything else, for zero, and for more than a year."""
    raw = str(text).strip().lower()
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        seconds = float(raw)
    elif raw and _PART.sub("", raw) == "":
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(raw))
    if seconds is None:
        raise TwinError(None, f"{text!r} is not a duration: write it as 30s, 10m, 1h30m or 2d", where=option)
    if not seconds > 0:
        raise TwinError(None, f"{text!r}: the duration must be above zero", where=option)
    if seconds > MAX_DURATION_S:
        raise TwinError(None, f"{text!r}: at most 366 days", where=option)
    return seconds


def now_ts() -> str:
    """The wall clock, UTC, in the stored form."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def age_words(seconds: float) -> str:
    """'2 h 05 min old', or 'never read' for a sensor with no reading."""
    return f"{age_text(seconds)} old" if seconds != float("inf") else "never read"


@dataclass(frozen=True)
class SourceLine:
    """What one source gave in one poll (a plain copy of the importer's report)."""

    source: str
    ok: bool
    error: str
    added: int
    bound: int
    unbound: int
    sensors_added: int = 0


@dataclass(frozen=True)
class PollReport:
    """One poll: when, what each source gave, and the stale sensors after it (label, age s).
    `newest`: the newest reading time in the file after the poll (None: no readings);
    `sensors`: how many sensors the file holds after it."""

    at: str
    sources: tuple[SourceLine, ...]
    stale: tuple[tuple[str, float], ...] = ()
    newest: str | None = None
    sensors: int = 0

    @property
    def sensors_added(self) -> int:
        return sum(s.sensors_added for s in self.sources)

    @property
    def added(self) -> int:
        return sum(s.added for s in self.sources)

    @property
    def bound(self) -> int:
        return sum(s.bound for s in self.sources)

    @property
    def unbound(self) -> int:
        return sum(s.unbound for s in self.sources)

    @property
    def failed(self) -> list[SourceLine]:
        return [s for s in self.sources if not s.ok]

    def line(self) -> str:
        """One line for the terminal: the time, each source's outcome, the stale sensors."""
        parts = []
        for s in self.sources:
            if s.ok:
                parts.append(f"{s.source}: +{s.added:,} readings, {s.bound:,} bound, {s.unbound:,} unbound")
            else:
                error = s.error.removeprefix(f"{s.source}: ")
                parts.append(f"{s.source}: FAILED {error}")
        stale = f"stale {len(self.stale)}"
        silent = sum(1 for _name, age in self.stale if age == float("inf"))
        aged = [item for item in self.stale if item[1] != float("inf")]
        notes = [f"{silent} never read"] if silent else []
        if aged:
            worst = max(aged, key=lambda item: item[1])
            notes.append(f"oldest {worst[0]}: {age_words(worst[1])}")
        if notes:
            stale += f" ({'; '.join(notes)})"
        return f"{self.at}  " + " | ".join(parts) + f" · {stale}"


def _count(value: Any) -> int:
    """A report's bound / unbound as a count, whether the importer gives a number or a list."""
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return len(value)
    except TypeError:
        return 0


def poll_once(design: str | Path, sources: Sequence[str], *, bindings_map: str | Path | None = None,
              ca_bundle: str | Path | None = None, timeout_s: float = 10.0,
              stale_after_min: float = STALE_AFTER_MIN) -> PollReport:
    """Import every source once (each in its own transaction) and report, with the sensors of
    these sources whose newest reading is older than `stale_after_min` at the wall clock."""
    from twin.importers.telemetry import import_sources

    at = now_ts()
    reports = import_sources(Path(design), list(sources), bindings_map=Path(bindings_map) if bindings_map else None,
                             ca_bundle=str(ca_bundle) if ca_bundle else None, timeout_s=timeout_s)
    lines = tuple(SourceLine(str(r.source), bool(r.ok), str(r.error or ""), int(r.readings_added or 0),
                             _count(r.bound), _count(r.unbound), int(getattr(r, "sensors_added", 0) or 0))
                  for r in reports)
    stale, newest, n = stale_sensors(design, sources, at, stale_after_min)
    return PollReport(at, lines, stale, newest, n)


def check_design(design: str | Path) -> None:
    """Before polling into `design`: TwinError naming it unless it opens as a design file that
    runs no code on a write (a trigger), so a watch fails at once, not once per poll."""
    from twin.store.connect import triggers
    from twin.store.reader import open_database

    path = Path(design)
    if not path.is_file():
        raise TwinError(path, "no such design file")
    db = open_database(path)
    try:
        carried = triggers(db.conn)
    finally:
        db.conn.close()
    if carried:
        raise TwinError(path, f"carries triggers ({', '.join(carried)}); twin writes no telemetry into a file that "
                              "runs code on a write (rebuild it with twin build)")


def recorded_source(source: str) -> str:
    """A source as the importer records it in `sensors.source`: a URL without credentials,
    query or trailing slash; a path as written (normalised)."""
    from twin.importers.telemetry.client import public_label

    text = str(source)
    return public_label(text) if text.startswith(("http://", "https://")) else str(Path(text))


def stale_sensors(design: str | Path, sources: Sequence[str], at: str,
                  stale_after_min: float = STALE_AFTER_MIN) -> tuple[tuple[tuple[str, float], ...], str | None, int]:
    """(stale sensors of `sources` as (source URI, age s), the newest reading time in the
    file, how many sensors the file holds). A sensor of these sources never read counts as
    stale with an infinite age; sensors from elsewhere (a spec's generator) are not judged."""
    from twin.store.reader import open_database
    from twin.store.telemetry import latest_readings, latest_time

    db = open_database(design)
    try:
        columns = {row[1] for row in db.execute("pragma table_info(sensors)").fetchall()}
        total = int(db.execute("select count(*) from sensors").fetchone()[0])
        newest = latest_time(db.conn)
        if not {"source", "source_uri"} <= columns:
            return (), newest, total
        wanted = sorted({recorded_source(s) for s in sources})
        marks = ", ".join("?" * len(wanted))
        sensors = db.execute(f"select id, name, source, source_uri from sensors where source in ({marks}) "
                             "order by id", wanted).fetchall()
        moment = max(at, newest) if newest else at
        ids = [int(r[0]) for r in sensors]
        latest = {row[0]: row[1] for row in latest_readings(db.conn, moment, ids)} if ids else {}
    finally:
        db.conn.close()
    now = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    limit = float(stale_after_min) * 60.0
    out = []
    for sid, name, source, uri in sensors:
        ts = latest.get(sid)
        age = float("inf") if not ts else \
            now - datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        if age > limit:
            out.append((source_label(source, uri) if uri else str(name), age))
    return tuple(out), newest, total


@dataclass
class Watch:
    """Poll `sources` into `design` every `every_s` seconds, for `for_s` seconds (None: until
    stopped). `stop()` (or Ctrl-C in the caller) ends it between or during waits; a poll under
    way finishes its transaction first. `on_report` gets each `PollReport`."""

    design: Path
    sources: Sequence[str]
    every_s: float
    for_s: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _stop: threading.Event = field(default_factory=threading.Event)
    polls: int = 0

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self, on_report: Callable[[PollReport], None]) -> int:
        """Poll until the duration is over or `stop()`; returns how many polls ran."""
        start = self.clock()
        deadline = start + self.for_s if self.for_s is not None else float("inf")
        next_poll = start
        while not self._stop.is_set() and self.clock() < deadline:
            report = poll_once(self.design, self.sources, **self.options)
            self.polls += 1
            on_report(report)
            next_poll += self.every_s
            while next_poll <= self.clock():          # a poll longer than the interval: skip, don't pile up
                next_poll += self.every_s
            wait = min(next_poll, deadline) - self.clock()
            if wait > 0 and self._stop.wait(wait):
                break
            if next_poll >= deadline:
                break
        return self.polls
