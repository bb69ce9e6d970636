"""Scenarios kept in the design file: a name and its changes (failed elements, settings, load
scaling, part type swaps), written the way review notes are.

Why here and this way: a scenario is review data, like a note. It is written into the design
file while viewers and the CLI read and write it, and a `twin build` rebuild must carry it
(twin.store.reviews). So every write goes through `ReviewFile` (one short immediate
transaction in WAL mode, a reconnect when the file was replaced, no writes to a file carrying
triggers), and every name a change refers to is checked against the design under the write
lock: an unknown element is one `TwinError` naming it, and nothing is written.

Tables (additive, docs/schema.md): `scenarios (id, name unique, description, author, created)`
and `scenario_changes (id, scenario_id, kind, target, value)`, one row per change in order.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from twin.errors import TwinError
from twin.model.physics import ASHRAE_ALLOWABLE_C
from twin.model.scenario import CHANGE_KINDS, MAX_SCALE, SCALE_SCOPES, SETTINGS, Change, Scenario
from twin.store.notes import BUSY_TIMEOUT_S, login_name, now_utc
from twin.store.reader import open_database
from twin.store.review_file import ReviewFile

SCENARIO_TABLES = ("scenarios", "scenario_changes")
SCENARIO_DDL = (
    "CREATE TABLE IF NOT EXISTS scenarios (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT, "
    "author TEXT, created TEXT)",
    "CREATE TABLE IF NOT EXISTS scenario_changes (id INTEGER PRIMARY KEY, scenario_id INTEGER NOT NULL "
    "REFERENCES scenarios(id), kind TEXT NOT NULL, target TEXT NOT NULL, value TEXT)",
    "CREATE INDEX IF NOT EXISTS idx_scenario_changes_scenario_id ON scenario_changes (scenario_id)",
)
#: Longest scenario name accepted (a name is a label in a list, not a document).
MAX_NAME = 200
Query = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]


def changes_from_options(fail: Iterable[str] = (), set_: Iterable[str] = (), scale: Iterable[str] = (),
                         swap: Iterable[str] = ()) -> tuple[Change, ...]:
    """Changes from the command line's spelling: `--fail A,B`, `--set NAME[@WHERE]=VALUE`,
    `--scale TARGET=FACTOR`, `--swap PART_OR_TYPE=TYPE` (each option may repeat). Checks the
    form only; names are checked against the design when the scenario is stored."""
    out: list[Change] = []
    for text in fail:
        names = [n.strip() for n in str(text).split(",")]
        if not all(names):
            raise TwinError(None, f"--fail {text!r}: name the elements, separated by commas", where="--fail")
        out += [Change("fail", n) for n in names]
    for option, items in (("set", set_), ("scale", scale), ("swap", swap)):
        for text in items:
            target, eq, value = str(text).partition("=")
            if not eq or not target.strip() or not value.strip():
                raise TwinError(None, f"--{option} {text!r}: write it as NAME=VALUE", where=f"--{option}")
            out.append(Change(option, target.strip(), value.strip()))
    return tuple(out)


class ScenarioStore:
    """The scenarios of one design file (reads through a read-only connection, writes as notes are written)."""

    def __init__(self, path: str | Path, busy_timeout_s: float = BUSY_TIMEOUT_S):
        self.path = Path(path)
        open_database(self.path).conn.close()         # a twin design this version reads, or TwinError
        self._file = ReviewFile(self.path, busy_timeout_s, SCENARIO_DDL)

    def __enter__(self) -> "ScenarioStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    # ------------------------------------------------------------------ reading
    def _has_tables(self) -> bool:
        names = {r[0] for r in self._file.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return set(SCENARIO_TABLES) <= names

    def scenarios(self) -> list[Scenario]:
        """Every scenario, oldest first, with its changes in order."""
        if not self._has_tables():
            return []
        heads = self._file.query("SELECT id, name, description, author, created FROM scenarios ORDER BY id")
        rows = self._file.query("SELECT scenario_id, kind, target, value FROM scenario_changes ORDER BY id")
        changes: dict[int, list[Change]] = {}
        for sid, kind, target, value in rows:
            changes.setdefault(int(sid), []).append(Change(str(kind), str(target), "" if value is None else str(value)))
        return [Scenario(str(name), tuple(changes.get(int(sid), ())), description or "", int(sid), author or "",
                         created or "") for sid, name, description, author, created in heads]

    def scenario(self, name: str) -> Scenario:
        """The scenario called `name`; TwinError naming it (and the ones there are) otherwise."""
        every = self.scenarios()
        for s in every:
            if s.name == name:
                return s
        known = ", ".join(repr(s.name) for s in every) or "none"
        raise TwinError(self.path, f"no scenario called {name!r} (scenarios: {known})", where="scenarios")

    # ------------------------------------------------------------------ writing
    def add(self, name: str, changes: Sequence[Change], description: str = "", author: str | None = None,
            replace: bool = False) -> Scenario:
        """Store a scenario; every change is checked against the design under the write lock
        (TwinError naming the first bad one; nothing written). A scenario of the same name is an
        error unless `replace`."""
        name = str(name).strip()
        if not name:
            raise TwinError(self.path, "a scenario needs a name", where="--name")
        if len(name) > MAX_NAME:
            raise TwinError(self.path, f"a scenario name is at most {MAX_NAME} characters", where="--name")
        if not changes:
            raise TwinError(self.path, f"scenario {name!r} has no changes: give --fail, --set, --scale or --swap",
                            where="scenarios")
        for c in changes:
            check_form(self.path, c)
        check_names(self.path, lambda sql, params: self._file.query(sql, params), changes)

        def insert(conn: sqlite3.Connection) -> int:
            check_names(self.path, lambda sql, params: conn.execute(sql, params).fetchall(), changes)
            old = conn.execute("SELECT id FROM scenarios WHERE name = ?", (name,)).fetchone()
            if old is not None:
                if not replace:
                    raise TwinError(self.path, f"a scenario called {name!r} exists already (delete it first)",
                                    where="--name")
                conn.execute("DELETE FROM scenario_changes WHERE scenario_id = ?", (old[0],))
                conn.execute("DELETE FROM scenarios WHERE id = ?", (old[0],))
            cur = conn.execute("INSERT INTO scenarios (name, description, author, created) VALUES (?, ?, ?, ?)",
                               (name, description, author or login_name(), now_utc()))
            sid = int(cur.lastrowid or 0)
            conn.executemany("INSERT INTO scenario_changes (scenario_id, kind, target, value) VALUES (?, ?, ?, ?)",
                             [(sid, c.kind, c.target, c.value) for c in changes])
            return sid

        self._file.write("store the scenario", insert)
        return self.scenario(name)

    def delete(self, name: str) -> None:
        """Remove the scenario called `name` and its changes; TwinError naming it when there is none."""
        self.scenario(name)

        def remove(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT id FROM scenarios WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise TwinError(self.path, f"no scenario called {name!r}", where="scenarios")
            conn.execute("DELETE FROM scenario_changes WHERE scenario_id = ?", (row[0],))
            conn.execute("DELETE FROM scenarios WHERE id = ?", (row[0],))

        self._file.write("delete the scenario", remove)


def check_form(path: Path | None, c: Change) -> None:
    """A change's kind and value are well formed (names are `check_names`'s job)."""
    if c.kind not in CHANGE_KINDS:
        raise TwinError(path, f"unknown kind of change {c.kind!r}: choose one of {', '.join(CHANGE_KINDS)}",
                        where="scenarios")
    if c.kind == "set":
        setting = c.target.partition("@")[0]
        if setting not in SETTINGS:
            raise TwinError(path, f"unknown setting {setting!r}: choose one of {', '.join(SETTINGS)}", where="--set")
        if SETTINGS[setting][1] is float:
            value = _number(path, c, "--set")
            if not -50.0 <= value <= 100.0:
                raise TwinError(path, f"--set {c.text()}: {value:g} °C is outside -50…100 °C", where="--set")
        elif setting == "ashrae_class" and c.value.strip().upper() not in ASHRAE_ALLOWABLE_C:
            raise TwinError(path, f"--set {c.text()}: unknown ASHRAE class; choose one of "
                                  f"{', '.join(ASHRAE_ALLOWABLE_C)}", where="--set")
    if c.kind == "scale":
        factor = _number(path, c, "--scale")
        if not 0.0 <= factor <= MAX_SCALE:
            raise TwinError(path, f"--scale {c.text()}: the factor must lie in 0…{MAX_SCALE:g}", where="--scale")


def _number(path: Path | None, c: Change, option: str) -> float:
    try:
        value = float(c.value)
    except ValueError:
        raise TwinError(path, f"{option} {c.text()}: {c.value!r} is not a number", where=option) from None
    if not math.isfinite(value):
        raise TwinError(path, f"{option} {c.text()}: {c.value!r} is not a finite number", where=option)
    return value


def _exists(query: Query, sql: str, name: str) -> bool:
    try:
        return bool(query(sql, (name,)))
    except (sqlite3.Error, TwinError):
        return False


def check_names(path: Path, query: Query, changes: Sequence[Change]) -> None:
    """Every element, rack, row, generation, hall, loop and part type the changes name is in the
    design; TwinError naming the first that is not."""
    def one(table: str, column: str = "name") -> str:
        return f"SELECT 1 FROM {table} WHERE {column} = ? LIMIT 1"

    for c in changes:
        if c.kind == "fail":
            if not any(_exists(query, one(t), c.target) for t in ("power_nodes", "parts", "cooling_loops",
                                                                  "cable_trays", "racks")):
                raise TwinError(path, f"--fail {c.target!r}: no power node, part, cooling loop, cable tray or rack "
                                      "of that name in this design", where="--fail")
        elif c.kind == "set" and "@" in c.target:
            where = c.target.partition("@")[2]
            table = "cooling_loops" if c.target.startswith("coolant") else "halls"
            if not _exists(query, one(table), where):
                raise TwinError(path, f"--set {c.text()}: no {'cooling loop' if table == 'cooling_loops' else 'hall'} "
                                      f"called {where!r} in this design", where="--set")
        elif c.kind == "scale":
            scope, colon, name = c.target.partition(":")
            scopes = {"rack": one("racks"), "row": one("racks", "row"), "gen": one("generations")}
            if colon and scope in SCALE_SCOPES:
                found = _exists(query, scopes[scope], name)
            else:
                found = any(_exists(query, sql, c.target) for sql in scopes.values())
            if not found:
                raise TwinError(path, f"--scale {c.text()}: no rack, row or generation called {c.target!r} in this "
                                      "design", where="--scale")
        elif c.kind == "swap":
            if not (_exists(query, one("parts"), c.target) or _exists(query, one("part_types"), c.target)):
                raise TwinError(path, f"--swap {c.text()}: no part or part type called {c.target!r} in this design",
                                where="--swap")
            if not _exists(query, one("part_types"), c.value):
                raise TwinError(path, f"--swap {c.text()}: no part type called {c.value!r} in this design's catalog",
                                where="--swap")
