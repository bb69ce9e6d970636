"""`twin notes import-bcf`: the topics and comments of a BCF file become review notes, its
viewpoints saved viewpoints, all in one transaction through the review store.

What lands where:
- Every import is one review (a row of `reviews`, named `BCF import of FILE`); its notes point
  to it by `review_id`.
- A topic becomes a note: text = the description (the title first when the description
  does not start with it; a foreign topic's type, priority, labels and assignee as a last
  line, so nothing read is dropped), author = `CreationAuthor`, created = `CreationDate`,
  updated = `ModifiedDate` (or created), status resolved for Closed/Resolved/Done/Fixed,
  else open. Times are stored as twin writes them (UTC, whole seconds).
- Each comment with text becomes a note too (`Re: TITLE` and its text), with its own author
  and dates, the topic's status, pinned where its viewpoint (or the topic) is pinned.
- A note is pinned to the first selected component of its viewpoint that is a part of this
  design (matched by the IFC GUID twin gives every part, twin.store.bcf_guid; or by twin's
  part name when the component says twin made it), else to where that viewpoint looks,
  else to the middle of the design. Components no part has are reported, one line each.
- A viewpoint becomes a saved viewpoint named after its topic, with its camera, selection,
  visibility and section as a view state (twin.viewpoint). A name already taken gets
  ` (BCF)` and a number. The viewpoints twin itself made for notes (a camera on the pin) are
  not kept: they hold nothing the note does not.
- Topics that twin exported carry a snippet with what BCF has no field for (the 3D pin,
  exact text, the whole view state): what the standard fields still agree with is taken
  from it exactly, so twin → BCF → twin keeps every field of every note.
- Importing again is harmless: a note this design already has (the one a topic was exported
  from, or one with the same author, creation time and text) is not added twice; a topic
  exported from one of this design's notes brings its new text or status to that note.
A failed import (a hostile or broken archive, a locked file) writes nothing.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.store.bcf_archive import BcfArchive
from twin.store.bcf_guid import part_guids
from twin.store.bcf_read import Camera, Component, Topic, View, read_topics
from twin.store.bcf_xml import ORIGINATING_SYSTEM, bcf_datetime, camera_from_bcf, xml_text
from twin.store.notes import ReviewStore, add_state_column, now_utc

#: TopicStatus values (any case) that make a note resolved.
CLOSED = ("closed", "resolved", "done", "fixed")
#: An orthogonal camera comes in as a perspective one of this lens, framing the same height.
ORTHO_AS_ANGLE = 30.0


@dataclass
class ImportReport:
    """What an import did: the review it made, counts, and one line per thing it could not place."""

    review_id: int = 0
    review_name: str = ""
    version: str = ""
    topics: int = 0
    notes: int = 0
    comments: int = 0
    viewpoints: int = 0
    already: int = 0                  # notes and viewpoints exported from this design and still here as they were
    updated: int = 0                  # … of which the BCF changed the text or status, updated in place
    unknown: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _NoteRow:
    key: str | None
    point: tuple[float, float, float] | None
    author: str
    text: str
    status: str
    created: str
    updated: str
    same_as: int | None = None        # the note of this design it was exported from (its id)
    comment: bool = False


class _Parts:
    """The design's parts by IFC GUID and by key (name, repeats counted), and its middle."""

    def __init__(self, store: ReviewStore):
        rows = store.read("SELECT name, x, y FROM parts ORDER BY id")
        names = [str(r[0]) for r in rows]
        self.by_guid: dict[str, str] = {}
        self.keys: set[str] = set()
        seen: dict[str, int] = {}
        for name, guid in zip(names, part_guids(names)):
            k = seen.get(name, 0) + 1
            seen[name] = k
            key = name if k == 1 else f"{name}#{k}"
            self.by_guid[guid] = key
            self.keys.add(key)
        xs = [float(r[1]) for r in rows if r[1] is not None and math.isfinite(r[1])]
        ys = [float(r[2]) for r in rows if r[2] is not None and math.isfinite(r[2])]
        self.middle = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, 0.0) if xs and ys else (0.0, 0.0, 0.0)
        self.unknown: dict[tuple[str, str, str], list[str]] = {}
        self.design_name = store.path.name

    def match(self, components: list[Component], topic: Topic) -> list[str]:
        out = []
        for c in components:
            key = self.by_guid.get(c.guid)
            if key is None and c.system == ORIGINATING_SYSTEM and c.tool_id in self.keys:
                key = c.tool_id
            if key is None:
                self.unknown.setdefault((c.guid, c.system, c.tool_id), []).append(topic.title)
            else:
                out.append(key)
        return out


def import_bcf(design_path: str | Path, bcf_path: str | Path) -> ImportReport:
    """Import every topic, comment and viewpoint of `bcf_path` into the design (one transaction)."""
    bcf_path = Path(bcf_path)
    archive = BcfArchive(bcf_path)
    version, topics = read_topics(archive)
    if not topics:
        raise TwinError(bcf_path, "holds no topics (no …/markup.bcf); nothing was imported", where="BCF")
    report = ImportReport(version=version, topics=len(topics), review_name=f"BCF import of {bcf_path.name}")
    with ReviewStore(design_path) as store:
        parts = _Parts(store)
        notes: list[_NoteRow] = []
        views: list[_SavedView] = []
        for topic in topics:
            _topic(topic, parts, notes, views, report)
        for (guid, system, tool_id), titles in parts.unknown.items():
            who = ", ".join(f"{k} {v!r}" for k, v in (("OriginatingSystem", system), ("AuthoringToolId", tool_id)) if v)
            report.unknown.append(f"component {guid or '(no IfcGuid)'}{' (' + who + ')' if who else ''} in "
                                  f"{len(titles)} viewpoint(s) of topic {titles[0]!r}: no part of this design has it")
        rows = [store.viewpoint_row(name, camera[0], camera[1], camera[2], camera[3], state)
                for name, camera, state in views]
        report.review_id = store.transaction("import the BCF file", lambda conn: _write(conn, report, notes, rows))
    return report


_SavedView = tuple[str, tuple[Any, ...], "dict[str, Any] | None"]


def _topic(topic: Topic, parts: _Parts, notes: list[_NoteRow], views: list[_SavedView], report: ImportReport) -> None:
    snippet = topic.snippet or {}
    ours = snippet.get("note") if snippet.get("kind") == "note" and isinstance(snippet.get("note"), dict) else None
    first = topic.views[0] if topic.views else None
    keys = parts.match(first.selection, topic) if first else []
    for v in topic.views[1:]:
        parts.match(v.selection, topic)
    for v in topic.views:
        parts.match(v.listed, topic)                    # matched only to report those no part has
    point = _point(ours.get("point")) if ours else None
    if not keys and point is None:
        point = _looks_at(first.camera, parts) if first is not None and first.camera is not None else parts.middle
    status = "resolved" if topic.status.strip().lower() in CLOSED else "open"
    created = bcf_datetime(topic.created)
    if created is None:
        report.warnings.append(f"topic {topic.title!r}: CreationDate {topic.created!r} is not a time; "
                               "the time of the import is used")
        created = now_utc()
    updated = bcf_datetime(topic.modified) or created
    author, text = topic.author, _text(topic)
    if ours:
        if isinstance(ours.get("text"), str) and xml_text(ours["text"]) == topic.description:
            text = ours["text"]
        if isinstance(ours.get("author"), str) and xml_text(ours["author"]) == author:
            author = ours["author"]
        if isinstance(ours.get("created"), str) and bcf_datetime(ours["created"]) == created:
            created = ours["created"]
        if isinstance(ours.get("updated"), str) and (bcf_datetime(ours["updated"]) == updated
                                                       or (not topic.modified and ours["updated"] == ours["created"])):
            updated = ours["updated"]
    key = keys[0] if keys else None
    saved = _saved_view(snippet, topic)
    if saved is None:
        same = ours.get("id") if ours and snippet.get("design") == parts.design_name else None
        notes.append(_NoteRow(key, point, author, text, status, created, updated,
                              same_as=same if isinstance(same, int) else None))
    else:                                               # a saved viewpoint's topic is no note of its own
        views.append(saved)
        key, point = None, (saved[1][1] if point is None else point)
    by_guid = {v.guid: v for v in topic.views if v.guid}
    for c in topic.comments:
        if not c.text.strip():
            continue
        when = bcf_datetime(c.date) or created
        view = by_guid.get(c.viewpoint)
        ckeys = parts.match(view.selection, topic) if view is not None else []
        notes.append(_NoteRow(ckeys[0] if ckeys else key, None if ckeys else point, c.author,
                              f"Re: {topic.title}\n{c.text}", status, when, bcf_datetime(c.modified) or when,
                              comment=True))
    if ours is not None or saved is not None:
        return                       # a note's own viewpoint is a camera at its pin; a saved one is kept above
    for i, view in enumerate(topic.views):
        if view.camera is None:
            report.warnings.append(f"topic {topic.title!r}: viewpoint {view.file} has no camera; not kept")
            continue
        name = topic.title.strip() or "BCF viewpoint"
        views.append((name if i == 0 else f"{name} ({i + 1})", _camera(view.camera, parts, report, topic),
                      _state(view, parts, topic)))


def _saved_view(snippet: dict[str, Any], topic: Topic) -> _SavedView | None:
    """A saved viewpoint twin exported (name, camera, state), exactly as it was; None for other topics."""
    ours = snippet.get("viewpoint") if snippet.get("kind") == "viewpoint" else None
    if not isinstance(ours, dict) or not isinstance(ours.get("camera"), dict):
        return None
    cam = ours["camera"]
    try:
        camera = (_point(cam["position"]), _point(cam["focal_point"]), _point(cam["view_up"]), float(cam["view_angle"]))
    except (KeyError, TypeError, ValueError):
        return None
    if any(c is None for c in camera[:3]) or not 0 < camera[3] < 180 or camera[0] == camera[1]:
        return None                                     # not a camera twin wrote: read as any other topic
    state = ours.get("state") if isinstance(ours.get("state"), dict) else None
    return str(ours.get("name") or topic.title), camera, _unversioned(state)


def _text(topic: Topic) -> str:
    title, description = topic.title, topic.description
    text = description if description.strip().startswith(title.strip()) else \
        (title + ("\n" + description if description.strip() else ""))
    extra = [f"{k} {v}" for k, v in (("type", topic.kind), ("priority", topic.priority),
                                      ("labels", ", ".join(topic.labels)), ("assigned to", topic.assigned)) if v]
    if extra and topic.snippet is None:
        text += "\n[BCF " + "; ".join(extra) + "]"
    return text if text.strip() else f"BCF topic {topic.guid}"


def _point(value: Any) -> tuple[float, float, float] | None:
    try:
        x, y, z = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y, z) if all(math.isfinite(v) for v in (x, y, z)) else None


def _focus_distance(camera: Camera, parts: _Parts) -> float:
    """How far along the line of sight the focal point goes: to the design's middle, else 10 m."""
    norm = math.sqrt(sum(c * c for c in camera.direction))
    t = sum((m - e) * d / norm for m, e, d in zip(parts.middle, camera.eye, camera.direction))
    return t if 1.0 < t < 1e6 else 10.0


def _looks_at(camera: Camera, parts: _Parts) -> tuple[float, float, float]:
    return camera_from_bcf(camera.eye, camera.direction, camera.up, 45.0, _focus_distance(camera, parts))[1]


def _camera(camera: Camera, parts: _Parts, report: ImportReport, topic: Topic) -> tuple[Any, ...]:
    if camera.fov is not None:
        fov = camera.fov if 1.0 <= camera.fov <= 170.0 else 45.0
        return camera_from_bcf(camera.eye, camera.direction, camera.up, fov, _focus_distance(camera, parts))
    scale = camera.scale if camera.scale is not None and 1e-3 < camera.scale < 1e6 else 10.0
    back = scale / (2 * math.tan(math.radians(ORTHO_AS_ANGLE) / 2))
    norm = math.sqrt(sum(c * c for c in camera.direction))
    eye = tuple(e - d / norm * back for e, d in zip(camera.eye, camera.direction))
    report.warnings.append(f"topic {topic.title!r}: an orthogonal camera, kept as a {ORTHO_AS_ANGLE:g}° perspective "
                           f"camera framing the same {scale:g} m")
    return camera_from_bcf(eye, camera.direction, camera.up, ORTHO_AS_ANGLE, back)


def _state(view: View, parts: _Parts, topic: Topic) -> dict[str, Any] | None:
    """A view state from a BCF viewpoint: selection, visibility (a `hidden` filter) and an axis-aligned section."""
    state: dict[str, Any] = {"selection": parts.match(view.selection, topic)}
    exceptions = parts.match(view.exceptions, topic)
    if exceptions or not view.default_visible:
        if view.default_visible or exceptions:
            state["filters"] = {"hidden": {"default": view.default_visible, "except": exceptions}}
    for where, direction in view.planes[:1]:
        axis = max(range(3), key=lambda i: abs(direction[i]))
        if abs(direction[axis]) > 0.999 * math.sqrt(sum(c * c for c in direction)):
            state["section"] = {"axis": "xyz"[axis], "position": where[axis], "keep": "-" if direction[axis] > 0 else "+"}
    return state


def _unversioned(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in state.items() if k != "version"} if state is not None else None


def _write(conn: sqlite3.Connection, report: ImportReport, notes: list[_NoteRow], views: list[tuple[Any, ...]]) -> int:
    """Every row of the import, inside the store's one transaction; the new review's id (0: no new note)."""
    add_state_column(conn)
    review_id = 0                                        # made with the first note that is new here
    ids: dict[str, int | None] = {}
    for n in notes:
        if n.same_as is not None and _same_note(conn, n, report):
            continue
        if conn.execute("SELECT 1 FROM notes WHERE author = ? AND created = ? AND text = ? LIMIT 1",
                        (n.author, n.created, n.text)).fetchone():
            report.already += 1                             # imported before: a second import adds no copy
            continue
        part_id = _part_id(conn, n.key, ids) if n.key else None
        point = n.point
        if part_id is None and point is None:
            point = (0.0, 0.0, 0.0)
        x, y, z = point if point is not None else (None, None, None)
        if not review_id:
            review_id = int(conn.execute("INSERT INTO reviews (name, status, created) VALUES (?, 'open', ?)",
                                         (report.review_name, now_utc())).lastrowid or 0)
        conn.execute("INSERT INTO notes (review_id, part_id, x, y, z, author, text, status, created, updated) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (review_id, part_id, x, y, z, n.author, n.text, n.status, n.created, n.updated))
        if n.comment:
            report.comments += 1
        else:
            report.notes += 1
    existing = {r[0]: tuple(r[1:]) for r in conn.execute(
        "SELECT name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle, state FROM viewpoints")}
    taken = set(existing)
    for row in views:
        if existing.get(row[0]) == tuple(row[1:]):          # exported from here and unchanged: already here
            report.already += 1
            continue
        report.viewpoints += 1
        name, k = row[0], 1
        while name in taken:
            name = f"{row[0]} (BCF{'' if k == 1 else ' ' + str(k)})"
            k += 1
        taken.add(name)
        conn.execute("INSERT INTO viewpoints (name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle, state) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (name, *row[1:]))
    return review_id


def _same_note(conn: sqlite3.Connection, n: _NoteRow, report: ImportReport) -> bool:
    """Whether `n` is the note it was exported from, still in this design (same author and creation
    time); its text and status are then brought up to date from the BCF instead of adding a copy."""
    row = conn.execute("SELECT author, created, text, status FROM notes WHERE id = ?", (n.same_as,)).fetchone()
    if row is None or (row[0], row[1]) != (n.author, n.created):
        return False
    report.already += 1
    if (row[2], row[3]) != (n.text, n.status):
        conn.execute("UPDATE notes SET text = ?, status = ?, updated = ? WHERE id = ?",
                     (n.text, n.status, max(n.updated, now_utc()), n.same_as))
        report.updated += 1
    return True


def _part_id(conn: sqlite3.Connection, key: str, ids: dict[str, int | None]) -> int | None:
    """The id of the part with `key` (`name`, or `name#k` for its k-th copy), looked up under the write lock."""
    if key not in ids:
        rows = conn.execute("SELECT id FROM parts WHERE name = ? ORDER BY id LIMIT 1", (key,)).fetchall()
        if rows:
            ids[key] = int(rows[0][0])
        else:
            name, _, nth = key.rpartition("#")
            rows = conn.execute("SELECT id FROM parts WHERE name = ? ORDER BY id", (name,)).fetchall()
            k = int(nth) if nth.isdigit() else 0
            ids[key] = int(rows[k - 1][0]) if 0 < k <= len(rows) else None
    return ids[key]
