"""The topics of a BCF file (2.0, 2.1 or 3.0) as plain data: what `twin notes import-bcf` brings in.

Why lenient here and strict on export: files come from many tools, and the published test
cases already differ from the XSDs (comments without text, a `Topic` inside a `Comment`,
viewpoints without a GUID). So this reads what it recognises by element name, wherever
BCF 2.1 or 3.0 puts it (3.0 nests comments and viewpoints inside the topic and wraps labels
in `Labels/Label`), and skips the rest. The archive itself is checked by
twin.store.bcf_archive before any of it is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

from twin.errors import TwinError
from twin.store.bcf_archive import BcfArchive, local
from twin.store.bcf_xml import SNIPPET_FILE, SNIPPET_TYPE

#: BCF versions this reader knows (by their first digit).
KNOWN_VERSIONS = ("2", "3")


@dataclass(frozen=True)
class Component:
    guid: str
    system: str
    tool_id: str


@dataclass
class Camera:
    eye: tuple[float, float, float]
    direction: tuple[float, float, float]
    up: tuple[float, float, float]
    fov: float | None = None             # perspective: vertical field of view, degrees
    scale: float | None = None           # orthogonal: the view's visible height, metres


@dataclass
class View:
    guid: str
    file: str
    selection: list[Component] = field(default_factory=list)
    default_visible: bool = True
    exceptions: list[Component] = field(default_factory=list)
    listed: list[Component] = field(default_factory=list)      # BCF 2.0 components neither selected nor hidden
    camera: Camera | None = None
    planes: list[tuple[tuple[float, float, float], tuple[float, float, float]]] = field(default_factory=list)


@dataclass
class Comment:
    guid: str
    author: str
    date: str
    modified: str
    text: str
    viewpoint: str


@dataclass
class Topic:
    guid: str
    folder: str
    title: str
    description: str
    status: str
    kind: str
    priority: str
    labels: list[str]
    author: str
    created: str
    modified: str
    assigned: str
    comments: list[Comment]
    views: list[View]
    snippet: dict[str, Any] | None
    index: int | None = None

    def order(self) -> tuple[Any, ...]:
        """Topics sort by their Index (BCF's own order), then creation time, then folder."""
        return (self.index is None, self.index or 0, self.created, self.folder)


def read_topics(archive: BcfArchive) -> tuple[str, list[Topic]]:
    """The BCF version and every topic of `archive` (each `…/markup.bcf`), in folder order."""
    version = "2.1"
    if "bcf.version" in archive.members:
        root = archive.xml("bcf.version")
        version = (root.get("VersionId") or _text(root, "DetailedVersion") or "2.1").strip()
        if version[:1] not in KNOWN_VERSIONS:
            raise TwinError(archive.path, f"is BCF version {version!r}; twin reads BCF 2.x and 3.x; nothing was "
                            "imported", where="bcf.version")
    topics = []
    for name in sorted(archive.names()):
        if name.lower().endswith("/markup.bcf") and name.count("/") == 1:
            topics.append(_topic(archive, name))
    return version, sorted(topics, key=Topic.order)


def _children(el: Element | None, tag: str) -> list[Element]:
    return [c for c in el if local(c.tag) == tag] if el is not None else []


def _child(el: Element | None, tag: str) -> Element | None:
    found = _children(el, tag)
    return found[0] if found else None


def _text(el: Element | None, tag: str) -> str:
    c = _child(el, tag)
    return (c.text or "") if c is not None else ""


def _topic(archive: BcfArchive, name: str) -> Topic:
    folder = name.split("/", 1)[0]
    root = archive.xml(name)
    topic = _child(root, "Topic")
    if topic is None:
        raise TwinError(archive.path, f"member {name!r} has no Topic; nothing was imported", where="BCF")
    labels = [(e.text or "").strip() for e in _children(topic, "Labels") if (e.text or "").strip()]
    labels += [(e.text or "").strip() for w in _children(topic, "Labels") for e in _children(w, "Label")]
    comments = [c for parent in (root, _child(topic, "Comments")) for c in _children(parent, "Comment")]
    view_refs = [v for parent in (root, _child(topic, "Viewpoints")) for v in _children(parent, "Viewpoints")
                 + _children(parent, "ViewPoint")]
    views = []
    for ref in view_refs:
        file = _text(ref, "Viewpoint").strip()
        path = f"{folder}/{file}"
        if file and path in archive.members:
            views.append(_view(archive, path, ref.get("Guid") or ""))
    if not view_refs and f"{folder}/viewpoint.bcfv" in archive.members:     # BCF 2.0: one viewpoint by name
        views.append(_view(archive, f"{folder}/viewpoint.bcfv", ""))
    snippet = None
    bim = _child(topic, "BimSnippet")
    if bim is not None and bim.get("SnippetType") == SNIPPET_TYPE and _text(bim, "Reference") == SNIPPET_FILE:
        data = archive.json(f"{folder}/{SNIPPET_FILE}") if f"{folder}/{SNIPPET_FILE}" in archive.members else None
        snippet = data if isinstance(data, dict) and data.get("twin") == 1 else None
    return Topic(guid=topic.get("Guid") or folder, folder=folder, title=_text(topic, "Title"),
                 description=_text(topic, "Description"), status=topic.get("TopicStatus") or "",
                 kind=topic.get("TopicType") or "", priority=_text(topic, "Priority").strip(), labels=labels,
                 author=_text(topic, "CreationAuthor"), created=_text(topic, "CreationDate"),
                 modified=_text(topic, "ModifiedDate"), assigned=_text(topic, "AssignedTo").strip(),
                 comments=[Comment(c.get("Guid") or "", _text(c, "Author"), _text(c, "Date"), _text(c, "ModifiedDate"),
                                   _text(c, "Comment"), _guid_of(_child(c, "Viewpoint"))) for c in comments],
                 views=views, snippet=snippet, index=_int(_text(topic, "Index")))


def _guid_of(el: Element | None) -> str:
    return (el.get("Guid") or "") if el is not None else ""


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _components(el: Element | None) -> list[Component]:
    out = []
    for c in (el.iter() if el is not None else ()):
        if local(c.tag) == "Component":
            out.append(Component(c.get("IfcGuid") or "", (c.get("OriginatingSystem") or _text(c, "OriginatingSystem")).strip(),
                                 (c.get("AuthoringToolId") or _text(c, "AuthoringToolId")).strip()))
    return out


def _vector(el: Element | None) -> tuple[float, float, float] | None:
    try:
        x, y, z = (float(_text(el, a)) for a in "XYZ")
    except ValueError:
        return None
    return (x, y, z) if all(abs(v) < 1e12 for v in (x, y, z)) else None


def _view(archive: BcfArchive, path: str, guid: str) -> View:
    root = archive.xml(path)
    comps = _child(root, "Components")
    visibility = _child(comps, "Visibility")
    view = View(guid or root.get("Guid") or "", path, selection=_components(_child(comps, "Selection")))
    for c in _children(comps, "Component"):             # BCF 2.0: flags on each listed component
        one = _components(c)
        if (c.get("Selected") or "").strip().lower() == "true":
            view.selection += one
        elif (c.get("Visible") or "true").strip().lower() == "false":
            view.exceptions += one
        else:
            view.listed += one
    if visibility is not None:
        view.default_visible = (visibility.get("DefaultVisibility") or "true").strip().lower() not in ("false", "0")
        view.exceptions = _components(_child(visibility, "Exceptions"))
    for tag in ("PerspectiveCamera", "OrthogonalCamera"):
        cam = _child(root, tag)
        if cam is None:
            continue
        eye, d, up = (_vector(_child(cam, t)) for t in ("CameraViewPoint", "CameraDirection", "CameraUpVector"))
        try:
            number = float(_text(cam, "FieldOfView" if tag == "PerspectiveCamera" else "ViewToWorldScale"))
        except ValueError:
            number = float("nan")
        if eye is not None and d is not None and up is not None and number == number and any(d):
            view.camera = Camera(eye, d, up, fov=number if tag == "PerspectiveCamera" else None,
                                 scale=number if tag == "OrthogonalCamera" else None)
            break
    for plane in _children(_child(root, "ClippingPlanes"), "ClippingPlane"):
        where, direction = _vector(_child(plane, "Location")), _vector(_child(plane, "Direction"))
        if where is not None and direction is not None:
            view.planes.append((where, direction))
    return view
