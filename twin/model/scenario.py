"""A scenario: a named list of changes to look at a design under (what if this fails?).

Plain data, shared by the store (which keeps scenarios in the design file), the analyses
(which apply them, `twin.analysis.scenario`), the session and the view state. Elements are
named as the design names them (`UPS-1A`, `G-CDU1`, `CRAH-3`, `G-loop1`, a switch, a tray).

Kinds of change (`Change.kind`):
- `fail`: `target` is an element that is failed or out for maintenance;
- `set`: `target` a setting (`SETTINGS`), optionally `SETTING@WHERE` (a hall or a loop), `value` its value;
- `scale`: `target` a rack, a row or a generation (or `rack:`/`row:`/`gen:` + name), `value` the factor;
- `swap`: `target` a part, or a part type (every part of it), `value` the part type it becomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Kinds of change, in the order a scenario applies them.
CHANGE_KINDS = ("swap", "scale", "set", "fail")
#: Settings a scenario may change: name → (what it means, value type).
SETTINGS: dict[str, tuple[str, type]] = {
    "supply_air_c": ("CRAH supply air of a hall (every hall unless @HALL), °C", float),
    "ashrae_class": ("ASHRAE air class the halls are judged by (A1…A4)", str),
    "coolant_supply_c": ("supply temperature of liquid loops (every liquid loop unless @LOOP), °C", float),
}
#: Prefixes that say which kind of thing a `scale` target is.
SCALE_SCOPES = ("rack", "row", "gen")
#: Largest load factor a scenario accepts (a factor is a what-if, not a typo of a wattage).
MAX_SCALE = 100.0


@dataclass(frozen=True)
class Change:
    """One change of a scenario (see the module doc for what `target` and `value` mean)."""

    kind: str
    target: str
    value: str = ""

    def text(self) -> str:
        """How the change reads on the command line (`fail UPS-1A`, `scale B04=1.2`)."""
        return f"{self.kind} {self.target}" + (f"={self.value}" if self.value else "")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "value": self.value}


@dataclass(frozen=True)
class Scenario:
    """A named scenario and its changes. `id` is 0 for one not stored in a design file."""

    name: str
    changes: tuple[Change, ...] = ()
    description: str = ""
    id: int = 0
    author: str = ""
    created: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def of_kind(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the failed (or maintained) elements."""
        return tuple(c.target for c in self.changes if c.kind == "fail")

    def key(self) -> tuple[Any, ...]:
        """What a cached result under this scenario depends on (its changes, not its id or author)."""
        return (self.name, tuple((c.kind, c.target, c.value) for c in self.changes))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description, "author": self.author,
                "created": self.created, "changes": [c.to_dict() for c in self.changes]}


def failure(*names: str, name: str | None = None) -> Scenario:
    """A scenario that fails `names` (the N-1 sweep and the viewer's "What if this fails?")."""
    return Scenario(name or "fail " + ", ".join(names), tuple(Change("fail", n) for n in names))
