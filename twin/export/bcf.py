"""Export review notes and saved viewpoints as BCF 2.1 (BIM Collaboration Format, a zip).

Why: reviewers' BIM tools (Solibri, BIMcollab, Revizto, IfcOpenShell's BCF client…) read BCF,
so a twin review can travel into the same issue lists as the building model's, and come
back (twin.store.bcf_import). Every file written validates against buildingSMART's BCF 2.1
XSDs (tests/test_bcf.py checks each one).

- Each note is a topic of type `Issue` (title: its first line; description: the full text;
  status Open/Closed; author and dates) with one viewpoint on the note's pin: its part framed
  as the viewer's fly-to frames it (without snapshots, from the aisle in front of the part),
  the part selected as a component.
- Each saved viewpoint is a topic of type `Viewpoint` whose viewpoint is the saved view: its
  camera in BCF's conventions (twin.store.bcf_xml), the selection, what is shown (as
  `Visibility`: a default and the parts that differ) and the section as a clipping plane.
- Components are named by a stable IFC-style GUID per part (twin.store.bcf_guid: from the
  part's name, the same in every rebuild), with twin's part name as `AuthoringToolId`.
- Each viewpoint has a snapshot (PNG) rendered through the one render path
  (twin.export.image.ImageRenderer) from the same camera the viewpoint holds.
- What BCF has no field for (a note's 3D pin, exact text with control characters, a
  viewpoint's whole view state, twin's own camera) travels in a small JSON file in the topic
  folder, declared as the topic's `BimSnippet`; other tools keep it as an attachment.

Topic and viewpoint GUIDs derive from the design's file name and the note id or viewpoint
name, so exporting twice gives the same topics. Text goes through ElementTree: quotes, markup
and emoji are escaped, never interpreted.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import zipfile
from pathlib import Path
from typing import Any, Sequence
from xml.etree import ElementTree as ET

import numpy as np

from twin.errors import TwinError
from twin.files import atomic_output
from twin.model import Design
from twin.model.transform import front_direction
from twin.session import ReviewSession
from twin.store import load_design
from twin.store.bcf_guid import name_uuid, part_guids
from twin.store.bcf_xml import (SNIPPET_FILE, SNIPPET_SCHEMA, SNIPPET_TYPE, VERSION_XML, bcf_datetime, camera_to_bcf,
                                component, serialise, sub, xml_text, xyz)
from twin.store.connect import connect_readonly
from twin.store.notes import Note, ReviewStore, Viewpoint, now_utc
from twin.viewpoint import part_keys, restore
from twin.viewstate import CameraPose, ViewState

log = logging.getLogger(__name__)

#: Where the camera of a note's viewpoint stands, relative to the pin (metres): for a part, in
#: front of it (along the way its rack or it faces), a little to the side and above, so the
#: view stays in the aisle under the trays; for a bare point, from the -Y side and above.
NOTE_CAMERA_FRONT_M, NOTE_CAMERA_SIDE_M, NOTE_CAMERA_UP_M = 2.2, 0.7, 0.5
NOTE_CAMERA_POINT_OFFSET = (0.6, -2.6, 1.5)
NOTE_CAMERA_FOV = 60.0
#: Size of each viewpoint's snapshot, pixels.
SNAPSHOT_SIZE = (800, 450)


def write_bcf(design_path: str | Path, output: str | Path, snapshots: bool = True,
              size: tuple[int, int] = SNAPSHOT_SIZE) -> Path:
    """Write every note and saved viewpoint of the design to a BCF 2.1 zip at `output`
    (with a PNG snapshot per viewpoint unless `snapshots` is False)."""
    design_path, output = Path(design_path), Path(output)
    with ReviewStore(design_path) as store:
        notes, views = store.notes(), store.viewpoints()
    if not notes and not views:
        raise TwinError(design_path, "has no notes or viewpoints to export", where="notes")
    design = load_design(design_path)
    writer = _Writer(design, design_path.name, snapshots, size)
    pins = _pins(design_path)
    with atomic_output(output) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bcf.version", VERSION_XML)
        for i, n in enumerate(notes):
            for name, data in writer.note_topic(n, pins.get(n.id, (0.0, 0.0, 0.0)), i):
                z.writestr(name, data)
        for i, v in enumerate(views, len(notes)):
            for name, data in writer.viewpoint_topic(v, i):
                z.writestr(name, data)
    return output


class _Writer:
    """The files of each topic, with the design's part GUIDs and one snapshot renderer for all."""

    def __init__(self, design: Design, file_name: str, snapshots: bool, size: tuple[int, int]):
        self.design = design
        self.file_name = file_name
        self.session = ReviewSession(design)
        self.keys = part_keys(design)
        self.guids = part_guids(str(n) for n in design.parts.name)
        self.row_of = {k: i for i, k in enumerate(self.keys)}
        self.renderer = None
        if snapshots:
            from twin.export.image import ImageRenderer

            self.renderer = ImageRenderer(self.session, size, quality="fast", state=ViewState(design))

    # ------------------------------------------------------------------ topics
    def note_topic(self, n: Note, pin: Sequence[float], index: int) -> list[tuple[str, bytes]]:
        guid, view_guid = str(name_uuid(self.file_name, "note", n.id)), str(name_uuid(self.file_name, "note-view", n.id))
        row = self.row_of.get(n.part, -1) if n.part else -1
        pose = self._note_camera(np.asarray(pin, float), row)
        state = self._state({}, pose)
        if row >= 0:
            state.select([row])
        text = xml_text(n.text)
        title = (text.strip().splitlines() or [""])[0][:120] or f"note {n.id}"
        snippet = {"twin": 1, "kind": "note", "design": self.file_name,
                   "note": {"id": n.id, "part": n.part, "point": list(n.point) if n.point is not None else None,
                            "author": n.author, "text": n.text, "status": n.status, "created": n.created,
                            "updated": n.updated}}
        markup = _markup(guid, title, text, "Closed" if n.status == "resolved" else "Open", "Issue", n.author,
                         n.created, n.updated if n.updated != n.created else None, view_guid,
                         [n.part] if n.part else [], self.renderer is not None, index)
        return self._files(guid, markup, snippet, view_guid, pose, state)

    def viewpoint_topic(self, v: Viewpoint, index: int) -> list[tuple[str, bytes]]:
        guid = str(name_uuid(self.file_name, "viewpoint", v.name))
        view_guid = str(name_uuid(self.file_name, "viewpoint-camera", v.name))
        pose = CameraPose(v.position, v.focal_point, v.view_up, v.view_angle)
        state = self._state(v.state or {}, pose, v.name)
        snippet = {"twin": 1, "kind": "viewpoint", "design": self.file_name,
                   "viewpoint": {"name": v.name, "camera": {"position": list(v.position),
                                                            "focal_point": list(v.focal_point),
                                                            "view_up": list(v.view_up), "view_angle": v.view_angle},
                                 "state": v.state}}
        markup = _markup(guid, xml_text(v.name)[:120] or "viewpoint", f"Saved viewpoint '{xml_text(v.name)}' of "
                         f"{self.file_name}", "Open", "Viewpoint", "twin", now_utc(), None, view_guid, [],
                         self.renderer is not None, index)
        return self._files(guid, markup, snippet, view_guid, pose, state)

    def _note_camera(self, pin: np.ndarray, row: int) -> CameraPose:
        """The camera of a note's viewpoint: the viewer's fly-to framing of its part when there is a scene
        (snapshots), else in front of the part (or above a bare point), looking at the pin."""
        if row >= 0 and self.renderer is not None:
            return self.renderer.scene.camera.fly_to_pose(row)      # the viewer's F (the BCF camera frames the same)
        if row >= 0:
            rack = int(self.design.parts.rack[row])
            yaw = self.design.racks.yaw_deg[rack] if rack >= 0 else self.design.parts.yaw_deg[row]
            front = front_direction(float(yaw))
            side = np.array([-front[1], front[0], 0.0])
            eye = pin + front * NOTE_CAMERA_FRONT_M + side * NOTE_CAMERA_SIDE_M + np.array([0, 0, NOTE_CAMERA_UP_M])
        else:
            eye = pin + np.asarray(NOTE_CAMERA_POINT_OFFSET)
        return CameraPose((float(eye[0]), float(eye[1]), float(eye[2])), (float(pin[0]), float(pin[1]), float(pin[2])),
                          (0.0, 0.0, 1.0), NOTE_CAMERA_FOV)

    def _state(self, data: dict[str, Any], pose: CameraPose, name: str | None = None) -> ViewState:
        """A view state showing `data` (a viewpoint's stored state; {}: everything, nothing selected):
        the snapshot renderer's own, so its scene draws it, or a fresh one without snapshots."""
        state = self.renderer.scene.state if self.renderer is not None else ViewState(self.design)
        for line in restore(state, data, self.session, camera=pose).warnings:
            log.warning("%s: viewpoint %r: %s", self.design.source, name, line)
        return state

    def _files(self, guid: str, markup: bytes, snippet: dict[str, Any], view_guid: str, pose: CameraPose,
               state: ViewState) -> list[tuple[str, bytes]]:
        eye, direction, up, fov = camera_to_bcf(pose.position, pose.focal_point, pose.view_up, pose.view_angle)
        files = [(f"{guid}/markup.bcf", markup),
                 (f"{guid}/viewpoint.bcfv", self._visinfo(view_guid, eye, direction, up, fov, state)),
                 (f"{guid}/{SNIPPET_FILE}", json.dumps(snippet, indent=1, ensure_ascii=True).encode())]
        if self.renderer is not None:
            from twin.export.image import png_bytes

            focal = tuple(e + c * math.dist(pose.position, pose.focal_point) for e, c in zip(eye, direction))
            shown = CameraPose(eye, (focal[0], focal[1], focal[2]), up, fov)   # the camera the viewpoint holds
            files.append((f"{guid}/snapshot.png", png_bytes(self.renderer.render(shown))))
        return files

    def _visinfo(self, guid: str, eye: Sequence[float], direction: Sequence[float], up: Sequence[float], fov: float,
                 state: ViewState) -> bytes:
        root = ET.Element("VisualizationInfo", Guid=guid)
        comps = sub(root, "Components")
        if len(state.selected):
            sel = sub(comps, "Selection")
            for i in state.selected:
                component(sel, self.guids[i], self.keys[i])
        visible = state.visible
        default = bool(visible.sum() * 2 >= len(visible))
        vis = sub(comps, "Visibility", DefaultVisibility="true" if default else "false")
        exceptions = np.flatnonzero(visible != default)
        if len(exceptions):
            exc = sub(vis, "Exceptions")
            for i in exceptions:
                component(exc, self.guids[i], self.keys[i])
        cam = sub(root, "PerspectiveCamera")
        xyz(cam, "CameraViewPoint", eye)
        xyz(cam, "CameraDirection", direction)
        xyz(cam, "CameraUpVector", up)
        sub(cam, "FieldOfView", repr(float(fov)))
        if state.section is not None:
            planes = sub(root, "ClippingPlanes")
            plane = sub(planes, "ClippingPlane")
            xyz(plane, "Location", state.section.origin)
            xyz(plane, "Direction", -state.section.normal)        # BCF: it points into the clipped half
        return serialise(root)


def _markup(guid: str, title: str, description: str, status: str, kind: str, author: str, created: str,
            modified: str | None, view_guid: str, labels: list[str], snapshot: bool, index: int) -> bytes:
    root = ET.Element("Markup")
    topic = sub(root, "Topic", Guid=guid, TopicType=kind, TopicStatus=status)
    sub(topic, "Title", title)
    sub(topic, "Index", str(index))                               # the notes' order, kept on import
    for label in labels:
        sub(topic, "Labels", xml_text(label))
    sub(topic, "CreationDate", bcf_datetime(created) or now_utc())
    sub(topic, "CreationAuthor", xml_text(author))
    if modified and bcf_datetime(modified):
        sub(topic, "ModifiedDate", bcf_datetime(modified))
        sub(topic, "ModifiedAuthor", xml_text(author))
    sub(topic, "Description", description)
    snippet = sub(topic, "BimSnippet", SnippetType=SNIPPET_TYPE)
    sub(snippet, "Reference", SNIPPET_FILE)
    sub(snippet, "ReferenceSchema", SNIPPET_SCHEMA)
    vp = sub(root, "Viewpoints", Guid=view_guid)
    sub(vp, "Viewpoint", "viewpoint.bcfv")
    if snapshot:
        sub(vp, "Snapshot", "snapshot.png")
    return serialise(root)


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
