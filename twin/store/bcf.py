"""Export review notes and saved viewpoints as BCF 2.1 (BIM Collaboration Format, a zip).

Why: reviewers' BIM tools (Solibri, BIMcollab, Revit plug-ins…) read BCF, so a twin review
can travel into the same issue lists as the building model's. Each note becomes a topic
(title = its first line, description = the full text, status Open/Closed, author and dates)
with one viewpoint looking at the note's pin; the part it is pinned to is named as a
component by its twin part name (`AuthoringToolId`: twin parts have no IFC GUIDs). Each saved
viewpoint becomes a topic of type 'Viewpoint' with its camera. Text goes through
ElementTree, so quotes, markup and emoji are escaped, never interpreted. Topic GUIDs are
derived from the design name and the note id, so exporting twice gives the same topics.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Sequence
from xml.etree import ElementTree as ET

from twin.errors import TwinError
from twin.files import atomic_output
from twin.store.notes import ReviewStore, now_utc
from twin.store.connect import connect_readonly

log = logging.getLogger(__name__)

VERSION_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<Version VersionId="2.1"><DetailedVersion>2.1</DetailedVersion></Version>\n')
#: How far (m) the camera of a note's viewpoint stands from the pin, and from which side.
NOTE_CAMERA_DISTANCE_M = 4.0
NOTE_CAMERA_DIRECTION = (0.45, -0.75, -0.48)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "twin:" + ":".join(str(p) for p in parts)))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _xyz(parent: ET.Element, tag: str, v: Sequence[float]) -> None:
    el = _sub(parent, tag)
    for axis, value in zip("XYZ", v):
        _sub(el, axis, repr(float(value)))


def _viewpoint_xml(position: Sequence[float], direction: Sequence[float], up: Sequence[float], fov: float,
                   components: list[str], guid: str) -> bytes:
    root = ET.Element("VisualizationInfo", Guid=guid)
    if components:
        comps = _sub(root, "Components")
        sel = _sub(comps, "Selection")
        for name in components:
            _sub(sel, "Component", OriginatingSystem="twin", AuthoringToolId=name)
    cam = _sub(root, "PerspectiveCamera")
    _xyz(cam, "CameraViewPoint", position)
    _xyz(cam, "CameraDirection", direction)
    _xyz(cam, "CameraUpVector", up)
    _sub(cam, "FieldOfView", repr(float(fov)))
    return _serialise(root)


def _markup_xml(guid: str, title: str, description: str, status: str, kind: str, author: str, created: str,
                modified: str | None, view_guid: str, labels: list[str]) -> bytes:
    root = ET.Element("Markup")
    topic = _sub(root, "Topic", Guid=guid, TopicType=kind, TopicStatus=status)
    _sub(topic, "Title", title)
    for label in labels:
        _sub(topic, "Labels", label)
    _sub(topic, "CreationDate", created)
    _sub(topic, "CreationAuthor", author)
    if modified:
        _sub(topic, "ModifiedDate", modified)
        _sub(topic, "ModifiedAuthor", author)
    _sub(topic, "Description", description)
    vp = _sub(root, "Viewpoints", Guid=view_guid)
    _sub(vp, "Viewpoint", "viewpoint.bcfv")
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    """UTF-8 XML; carriage returns as character references, since a parser turns raw CR LF into LF."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True).replace(b"\r", b"&#13;")


def _pins(path: Path) -> dict[int, tuple[float, float, float]]:
    """Where each note's viewpoint looks: its point, else the centre of its part's box."""
    conn = connect_readonly(path)
    try:
        rows = conn.execute("""
            SELECT n.id, COALESCE(n.x, p.x), COALESCE(n.y, p.y), COALESCE(n.z, p.z + t.height_m / 2)
            FROM notes n LEFT JOIN parts p ON p.id = n.part_id LEFT JOIN part_types t ON t.id = p.part_type_id""").fetchall()
    except sqlite3.OperationalError as exc:
        log.info("%s: note positions not read (%s)", path, exc)
        return {}
    finally:
        conn.close()
    return {int(r[0]): (r[1] or 0.0, r[2] or 0.0, r[3] or 0.0) for r in rows}


def write_bcf(design_path: str | Path, output: str | Path) -> Path:
    """Write every note and saved viewpoint of the design to a BCF 2.1 zip at `output`."""
    design_path, output = Path(design_path), Path(output)
    with ReviewStore(design_path) as store:
        notes, views = store.notes(), store.viewpoints()
    if not notes and not views:
        raise TwinError(design_path, "has no notes or viewpoints to export", where="notes")
    pins = _pins(design_path)
    d = NOTE_CAMERA_DIRECTION
    norm = math.sqrt(sum(c * c for c in d))
    direction = tuple(c / norm for c in d)
    name = design_path.name
    with atomic_output(output) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bcf.version", VERSION_XML)
        for n in notes:
            guid, view_guid = _guid(name, "note", n.id), _guid(name, "note-view", n.id)
            pin = pins.get(n.id, (0.0, 0.0, 0.0))
            eye = tuple(p - c * NOTE_CAMERA_DISTANCE_M for p, c in zip(pin, direction))
            title = (n.text.strip().splitlines() or [""])[0][:120]
            z.writestr(f"{guid}/markup.bcf", _markup_xml(
                guid, title, n.text, "Closed" if n.status == "resolved" else "Open", "Issue", n.author,
                n.created, n.updated if n.updated != n.created else None, view_guid, [n.part] if n.part else []))
            z.writestr(f"{guid}/viewpoint.bcfv", _viewpoint_xml(eye, direction, (0, 0, 1), 60.0,
                                                                [n.part] if n.part else [], view_guid))
        for v in views:
            guid, view_guid = _guid(name, "viewpoint", v.name), _guid(name, "viewpoint-camera", v.name)
            look = tuple(f - p for f, p in zip(v.focal_point, v.position))
            length = math.sqrt(sum(c * c for c in look)) or 1.0
            z.writestr(f"{guid}/markup.bcf", _markup_xml(
                guid, v.name, f"Saved viewpoint '{v.name}' of {name}", "Open", "Viewpoint", "twin",
                now_utc(), None, view_guid, []))
            z.writestr(f"{guid}/viewpoint.bcfv", _viewpoint_xml(v.position, tuple(c / length for c in look),
                                                                v.view_up, v.view_angle, [], view_guid))
    return output
