"""BCF 2.1 XML pieces shared by the export (twin.export.bcf) and the import (twin.store.bcf_import).

Why one home: the camera convention, the component element and the version file must be
the same on the way out and on the way back, or a round trip drifts.

Cameras. BCF's perspective camera is `CameraViewPoint` (the eye, metres), `CameraDirection`
(a unit vector along the line of sight), `CameraUpVector` (a unit vector at right angles
to it) and `FieldOfView`: the vertical opening angle in degrees (the BCF 2.1 schema says
only "field of view"; BCF 3.0 made it explicit that it is the vertical angle, as VTK's
view angle is). The 2.1 schema limits it to 45–60°. Twin's cameras also have a focal
point and are usually narrower (30°). So a twin camera goes out as the camera that frames
the same: the field of view is brought into 45–60° and the eye moved along the line of
sight until the plane through the focal point shows the same height (d' = d · tan(θ/2) /
tan(θ'/2)), so what the reviewer framed stays framed, with a little more or less
perspective; the snapshot is rendered from that converted camera, so image and camera
agree. On the way back a focal point is placed on the line of sight (twin's own exports
carry the exact camera beside it, in the topic's twin snippet).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Sequence
from xml.etree import ElementTree as ET

Vec = tuple[float, float, float]

VERSION_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<Version VersionId="2.1"><DetailedVersion>2.1</DetailedVersion></Version>\n').encode()
#: BCF 2.1's limits on a perspective camera's field of view, degrees.
FOV_MIN, FOV_MAX = 45.0, 60.0
#: Who wrote a component's id (its `OriginatingSystem`): twin's part names are its `AuthoringToolId`.
ORIGINATING_SYSTEM = "twin"
#: The BimSnippet type of the JSON file in each topic folder that carries what BCF has no field for.
SNIPPET_TYPE = "twin-review"
SNIPPET_FILE = "twin.json"
SNIPPET_SCHEMA = "twin review snippet, version 1 (README: BCF)"


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def xyz(parent: ET.Element, tag: str, v: Sequence[float]) -> None:
    el = sub(parent, tag)
    for axis, value in zip("XYZ", v):
        sub(el, axis, repr(float(value)))


def component(parent: ET.Element, guid: str, name: str) -> None:
    """A `Component`: its IfcGuid as the attribute, who made it and twin's part name as elements (the schema's order)."""
    el = sub(parent, "Component", IfcGuid=guid)
    sub(el, "OriginatingSystem", ORIGINATING_SYSTEM)
    sub(el, "AuthoringToolId", name)


def serialise(root: ET.Element) -> bytes:
    """UTF-8 XML; carriage returns as character references, since a parser turns raw CR LF into LF."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True).replace(b"\r", b"&#13;")


def _unit(v: Sequence[float]) -> Vec:
    n = math.sqrt(sum(c * c for c in v))
    if not n > 0 or not math.isfinite(n):
        raise ValueError(f"not a direction: {tuple(v)}")
    return v[0] / n, v[1] / n, v[2] / n


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def _cross(a: Sequence[float], b: Sequence[float]) -> Vec:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def up_at_right_angles(direction: Vec, up: Sequence[float]) -> Vec:
    """`up` made perpendicular to `direction` (Gram–Schmidt); a world axis when they are parallel."""
    for candidate in (up, (0.0, 0.0, 1.0), (0.0, 1.0, 0.0)):
        u = [c - _dot(candidate, direction) * d for c, d in zip(candidate, direction)]
        try:
            return _unit(u)
        except ValueError:
            continue
    raise ValueError("no up vector at right angles to the view")


def camera_to_bcf(position: Sequence[float], focal_point: Sequence[float], view_up: Sequence[float],
                  view_angle: float) -> tuple[Vec, Vec, Vec, float]:
    """(eye, direction, up, field of view) of the BCF camera that frames what the twin camera frames."""
    direction = _unit([f - p for f, p in zip(focal_point, position)])
    distance = math.dist(position, focal_point)
    fov = min(max(float(view_angle), FOV_MIN), FOV_MAX)
    scaled = distance * math.tan(math.radians(view_angle) / 2) / math.tan(math.radians(fov) / 2)
    eye = tuple(f - d * scaled for f, d in zip(focal_point, direction))
    return (eye[0], eye[1], eye[2]), direction, up_at_right_angles(direction, view_up), fov


def camera_from_bcf(eye: Sequence[float], direction: Sequence[float], up: Sequence[float], fov: float,
                    distance: float) -> tuple[Vec, Vec, Vec, float]:
    """(position, focal point, view up, view angle) of a twin camera from a BCF one, its focal
    point `distance` metres along the line of sight."""
    d = _unit(direction)
    focal = tuple(e + c * distance for e, c in zip(eye, d))
    return (float(eye[0]), float(eye[1]), float(eye[2])), (focal[0], focal[1], focal[2]), \
        up_at_right_angles(d, up), float(fov)


def bcf_datetime(text: str | None) -> str | None:
    """`text` (an xs:dateTime, any offset; none: UTC) as twin writes times (`2026-11-24T15:00:00Z`,
    UTC, whole seconds); None when it is not a time."""
    try:
        when = datetime.fromisoformat(str(text).strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (most control characters, lone surrogates)
    replaced by U+FFFD (twin's exports carry the exact text beside it, in the twin snippet)."""
    return "".join(c if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or ("\U00010000" <= c <= "\U0010ffff") else "\ufffd" for c in text)
