"""Tables for spreadsheets and scripts: parts and findings as CSV, plain rows, review notes.

The columns come from `twin.export.parts_table` (one gather per column) and from the
session's findings, so the CSV says what the GLB extras, the USD attributes and the HTML
report say. CSV files go through the `csv` module (quoting is its job) and are written
atomically.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from twin.analysis.findings import findings_to_dicts
from twin.files import write_text_atomic
from twin.export.parts_table import PART_COLUMNS, parts_table
from twin.session import ReviewSession
from twin.store.notes import ReviewStore

FINDING_COLUMNS = ("severity", "code", "analysis", "subject", "message", "value", "limit", "unit", "part_name",
                   "rack_name", "x", "y", "z")
NOTE_COLUMNS = ("id", "part", "author", "status", "text", "created", "updated")


def _plain(value: Any) -> Any:
    """numpy scalars to Python; NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(columns: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Named columns as a list of plain dicts (one per row)."""
    names = list(columns)
    lists = [[_plain(v) for v in np.asarray(columns[n]).tolist()] for n in names]
    return [dict(zip(names, row)) for row in zip(*lists)]


def finding_rows(session: ReviewSession) -> list[dict[str, Any]]:
    """Every finding of every available analysis, with part and rack names spelled out."""
    d = session.design
    rows = []
    for f in findings_to_dicts(session.findings()):
        loc = f["location"] or [None, None, None]
        rows.append({**{k: f[k] for k in ("severity", "code", "analysis", "subject", "message", "value", "limit",
                                          "unit")},
                     "part_name": str(d.parts.name[f["part"]]) if 0 <= f["part"] < len(d.parts) else "",
                     "rack_name": str(d.racks.name[f["rack"]]) if 0 <= f["rack"] < len(d.racks) else "",
                     "x": loc[0], "y": loc[1], "z": loc[2]})
    return rows


def review_notes(design_path: str | Path) -> list[dict[str, Any]]:
    """Review notes stored in the design file as table rows (empty when the file has none).

    Read through the review store, the one reader of notes, so the report shows what
    `twin notes list` shows; a file that cannot be read raises its TwinError.
    """
    path = Path(design_path)
    if not path.is_file():
        return []
    with ReviewStore(path) as store:
        notes = store.notes()
    return [{"id": n.id, "part": n.part, "author": n.author, "status": n.status, "text": n.text,
             "created": n.created, "updated": n.updated} for n in notes]


# A cell a spreadsheet would run as a formula begins with one of these (OWASP "CSV injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a CSV cell that a spreadsheet shows as text: a string that would start a
    formula (a part named "=HYPERLINK(…)" in someone's NetBox) gets a leading apostrophe.
    Numbers, and strings that are plain numbers such as "-3.5", are left as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_LEADS):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def csv_lines(rows: Iterable[Iterable[Any]]) -> str:
    """Rows of cells as CSV text, quoted by the csv module, None as an empty cell and every
    cell made spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else spreadsheet_safe(v) for v in row])
    return buffer.getvalue()


def csv_text(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> str:
    """Dict rows as CSV text under a header line of `columns` (other keys are left out)."""
    columns = list(columns)
    return csv_lines([columns, *([row.get(k) for k in columns] for row in rows)])


def parts_csv(session: ReviewSession) -> str:
    """The parts table as CSV text."""
    table = parts_table(session.design)
    return csv_text(PART_COLUMNS, records({k: table[k] for k in PART_COLUMNS}))


def write_csv_tables(session: ReviewSession, folder: str | Path, which: Iterable[str] = ("parts", "findings")
                     ) -> list[Path]:
    """Write `<folder>/parts.csv` and/or `<folder>/findings.csv`; returns the paths written."""
    folder = Path(folder)
    out = []
    for name in which:
        if name == "parts":
            out.append(write_text_atomic(folder / "parts.csv", parts_csv(session)))
        elif name == "findings":
            out.append(write_text_atomic(folder / "findings.csv", csv_text(FINDING_COLUMNS, finding_rows(session))))
        else:
            from twin.errors import TwinError

            raise TwinError(None, f"unknown table {name!r}: use parts, findings", where="--tables")
    return out
