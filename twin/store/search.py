"""The parts search language of the viewer, turned into one parameterised SQL query.

A query is a list of terms, all of which must match (AND). A term is either free text or
`field:value`:

- `name:B05-U36`, `rack:C02` match the whole name (case-insensitive); `*` and `?` in the
  value make it a wildcard pattern (`name:C02-U*`).
- `kind:`, `vendor:`, `model:`, `supplier:`, `serial:` match anywhere inside that field.
- Free text matches a part or rack name, kind, vendor, model or supplier containing it
  ("C02" finds C02-frame and C02-U05; B05-U36, whose serial holds C02, is not found).
  Serials are searched only when asked (`serial:`): a short term like "dac" would
  otherwise hit random letters inside them. `name:` asks for the whole name.
- Quotes keep spaces inside one term: `vendor:"Lite-On"`, `"power shelf"`; an unpaired
  quote is just a character.

User text reaches SQLite only as `?` parameters; LIKE wildcards typed by the user are
escaped, so "%" and "_" mean themselves.
"""

from __future__ import annotations

import shlex

EXACT_FIELDS = {"name": "p.name", "rack": "r.name"}
CONTAINS_FIELDS = {"kind": "t.kind", "vendor": "t.vendor", "model": "t.model", "supplier": "s.name",
                   "serial": "p.serial"}
FIELDS = tuple(EXACT_FIELDS) + tuple(CONTAINS_FIELDS)
FREE_TEXT_CONTAINS = ("p.name", "r.name", "t.kind", "t.vendor", "t.model", "t.name", "s.name")

SEARCH_SQL = """
    SELECT p.id FROM parts p
    JOIN part_types t ON t.id = p.part_type_id
    LEFT JOIN suppliers s ON s.id = t.supplier_id
    LEFT JOIN racks r ON r.id = p.rack_id
    WHERE {where}
    ORDER BY p.id"""


class SearchSyntaxError(ValueError):
    """A query the search cannot read (an unknown field). (Its length is checked by the caller's limit.)"""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _wildcard_like(text: str) -> str:
    return _escape_like(text).replace("*", "%").replace("?", "_")


def parse_terms(text: str) -> list[tuple[str | None, str]]:
    """`text` as (field or None, value) terms; SearchSyntaxError when it cannot be read."""
    try:
        words = shlex.split(text, posix=True)
    except ValueError:                       # an unpaired quote (O'Brien): plain words, quotes kept
        words = text.split()
    terms: list[tuple[str | None, str]] = []
    for word in words:
        field, sep, value = word.partition(":")
        if sep and field.lower() in FIELDS:
            if value:
                terms.append((field.lower(), value))
        elif sep and field.isalpha() and value:
            raise SearchSyntaxError(f"unknown search field {field!r}: use one of {', '.join(f + ':' for f in FIELDS)}")
        else:
            terms.append((None, word))
    return terms


def _term_sql(field: str | None, value: str) -> tuple[str, list[str]]:
    if field in EXACT_FIELDS:
        column = EXACT_FIELDS[field]
        if "*" in value or "?" in value:
            return f"{column} LIKE ? ESCAPE '\\'", [_wildcard_like(value)]
        return f"{column} = ? COLLATE NOCASE", [value]
    if field in CONTAINS_FIELDS:
        return f"{CONTAINS_FIELDS[field]} LIKE ? ESCAPE '\\'", ["%" + _escape_like(value) + "%"]
    clauses, args = [], []
    for column in FREE_TEXT_CONTAINS:
        clauses.append(f"{column} LIKE ? ESCAPE '\\'")
        args.append("%" + _escape_like(value) + "%")
    return "(" + " OR ".join(clauses) + ")", args


def search_sql(text: str) -> tuple[str, list[str]] | None:
    """The SQL and its parameters for a search, or None for an empty one."""
    terms = parse_terms(text.strip())
    if not terms:
        return None
    parts = [_term_sql(field, value) for field, value in terms]
    where = " AND ".join(clause for clause, _ in parts)
    return SEARCH_SQL.format(where=where), [arg for _, args in parts for arg in args]
