"""BCF both ways, on real files and real processes: the export validates against buildingSMART's
BCF 2.1 XSDs (lxml), buildingSMART's published test cases import, a twin → BCF → twin round
trip keeps every field, and hostile archives are refused with nothing written.

Expectations are computed here, independently of twin: IFC GUIDs by this file's own base-64
encoder, counts from the test cases' XML read with the standard library, cameras by hand.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest

from twin.errors import TwinError
from twin.store.notes import ReviewStore

REPO = Path(__file__).resolve().parents[1]
XSD = {"markup.bcf": "markup.xsd", ".bcfv": "visinfo.xsd", "bcf.version": "version.xsd", "project.bcfp": "project.xsd"}
IFC64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"
TEXTS = ["it's \"quoted\" and 'single'", "<script>alert('x')</script> &amp;", "🔥 hot rack 🌡️ — ünïcödé",
         "line one\nline two\r\n\ttabbed", "control \x01 and \x7f chars", "  leading spaces\nand a second line"]


def _twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *args], capture_output=True, text=True, cwd=REPO, timeout=300)


def _ifc_guid(name: str) -> str:
    """IFC's 22-character GUID of twin's name-based UUID for a part (written out from the IFC rule:
    the 128 bits in base 64, the first character holding the top 2 bits)."""
    n = uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "twin"), f"part:{name}").int
    return "".join(IFC64[(n >> (6 * i)) & 63] for i in reversed(range(22)))


@pytest.fixture(scope="module")
def schemas(shared_data):
    etree = pytest.importorskip("lxml.etree", reason="lxml is in the test extra (make test-venv)")
    folder = shared_data / "bcf-2.1-schemas"
    return {key: etree.XMLSchema(etree.parse(str(folder / name))) for key, name in XSD.items()}


def _invalid(archive: Path, schemas) -> list[str]:
    """Every XML member of `archive` that fails its XSD, with lxml's first error."""
    from lxml import etree

    bad = []
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            key = next((k for k in XSD if name.endswith(k)), None)
            if key is None:
                continue
            doc = etree.fromstring(z.read(name))
            if not schemas[key].validate(doc):
                bad.append(f"{name}: {schemas[key].error_log.last_error}")
    return bad


@pytest.fixture(scope="module")
def reviewed_once(pod_db, tmp_path_factory) -> Path:
    """A pod design with notes of every kind and two saved viewpoints (by the CLI), made once."""
    path = tmp_path_factory.mktemp("reviewed") / "pod.twin.db"
    shutil.copy(pod_db, path)
    with ReviewStore(path) as store:
        for i, text in enumerate(TEXTS):
            store.add_note(text, part="A03" if i % 3 == 0 else None if i % 3 == 1 else "A01-U05",
                           point=(1.5, 2.25, 0.5 + i) if i % 3 else None, author=["ana", "Zoë Ł", "bo"][i % 3])
        store.resolve_note(2)
        store.edit_note(4, text="edited later\nstill two lines")
    conn = sqlite3.connect(path)                  # edited a day later; one time written by another program
    conn.execute("UPDATE notes SET updated = '2026-12-01T10:00:00Z', created = '2026-11-30T09:00:00Z' WHERE id = 4")
    conn.execute("UPDATE notes SET created = '2026-11-24T15:00:00.5+01:00', updated = created WHERE id = 3")
    conn.commit()
    conn.close()
    done = _twin("viewpoints", "add", str(path), "--name", "thermal A03", "--camera", "rack:A03", "--overlay",
                 "thermal", "--range", "20,30", "--select", "A03", "--hide", "A04", "--section", "z=1.5")
    assert done.returncode == 0, done.stderr
    done = _twin("viewpoints", "add", str(path), "--name", "aisle 30°", "--camera", "10,-5,3:10,4,1")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def reviewed(reviewed_once, tmp_path) -> Path:
    """A copy of `reviewed_once` of the test's own."""
    return Path(shutil.copy(reviewed_once, tmp_path / "pod.twin.db"))


def test_every_file_of_an_export_validates_against_the_bcf_21_xsds(reviewed, tmp_path, schemas):
    out = tmp_path / "review.bcfzip"
    done = _twin("notes", "bcf", str(reviewed), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _invalid(out, schemas) == []
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        markups = {n.split("/")[0]: ET.fromstring(z.read(n)) for n in names if n.endswith("/markup.bcf")}
        views = {n.split("/")[0]: ET.fromstring(z.read(n)) for n in names if n.endswith("/viewpoint.bcfv")}
        pngs = {n.split("/")[0]: z.read(n) for n in names if n.endswith("/snapshot.png")}
    assert len(markups) == len(views) == len(pngs) == len(TEXTS) + 2
    for folder, markup in markups.items():                  # each topic names its snapshot, and it is a picture
        assert markup.findtext("Viewpoints/Snapshot") == "snapshot.png"
        assert markup.find("Viewpoints").get("Guid") == views[folder].get("Guid")
        from twin.export.image import read_png

        (tmp_path / "s.png").write_bytes(pngs[folder])
        image = read_png(tmp_path / "s.png")
        assert image.shape == (450, 800, 3) and image.reshape(-1, 3).std(axis=0).max() > 10
    # components: the part's IFC GUID (computed here) as the attribute, twin's part name as an element
    conn = sqlite3.connect(reviewed)
    pinned = dict(conn.execute("SELECT n.text, p.name FROM notes n JOIN parts p ON p.id = n.part_id").fetchall())
    conn.close()
    for folder, markup in markups.items():
        text = markup.findtext("Topic/Description")
        if markup.find("Topic").get("TopicType") != "Issue" or text not in pinned:
            continue
        (comp,) = views[folder].findall("Components/Selection/Component")
        assert comp.get("IfcGuid") == _ifc_guid(pinned[text])
        assert comp.findtext("AuthoringToolId") == pinned[text] and comp.findtext("OriginatingSystem") == "twin"
    # the 30° camera goes out at 45° with the eye moved so that the focal plane frames the same height
    aisle = next(f for f, m in markups.items() if m.findtext("Topic/Title") == "aisle 30°")
    cam = views[aisle].find("PerspectiveCamera")
    eye = np.array([float(cam.findtext(f"CameraViewPoint/{a}")) for a in "XYZ"])
    d = np.array([float(cam.findtext(f"CameraDirection/{a}")) for a in "XYZ"])
    up = np.array([float(cam.findtext(f"CameraUpVector/{a}")) for a in "XYZ"])
    focal, original = np.array([10.0, 4, 1]), np.array([10.0, -5, 3])
    assert float(cam.findtext("FieldOfView")) == 45.0
    assert np.allclose(d, (focal - original) / np.linalg.norm(focal - original))
    assert abs(np.dot(up, d)) < 1e-9 and abs(np.linalg.norm(up) - 1) < 1e-9 and up[2] > 0.9
    assert math.isclose(np.linalg.norm(focal - eye) * math.tan(math.radians(22.5)),
                        np.linalg.norm(focal - original) * math.tan(math.radians(15)), rel_tol=1e-9)
    assert np.allclose(np.cross(focal - eye, d), 0, atol=1e-9)          # still on the same line of sight
    # the saved view's visibility: everything but A04's parts shown; its section as a clipping plane
    thermal = next(f for f, m in markups.items() if m.findtext("Topic/Title") == "thermal A03")
    vis = views[thermal].find("Components/Visibility")
    conn = sqlite3.connect(reviewed)
    a04 = {r[0] for r in conn.execute("SELECT p.name FROM parts p JOIN racks r ON r.id = p.rack_id WHERE r.name = 'A04'")}
    conn.close()
    assert vis.get("DefaultVisibility") == "true"
    assert {c.findtext("AuthoringToolId") for c in vis.findall("Exceptions/Component")} == a04
    plane = views[thermal].find("ClippingPlanes/ClippingPlane")
    assert [float(plane.findtext(f"Location/{a}")) for a in "XYZ"] == [0, 0, 1.5]
    assert [float(plane.findtext(f"Direction/{a}")) for a in "XYZ"] == [0, 0, 1]      # pointing into the clipped half


def test_an_export_of_plain_notes_and_cameras_validates(pod_db, tmp_path, schemas):
    """Notes and camera-only viewpoints (as any earlier twin saved them) export to valid BCF 2.1 too."""
    design = Path(shutil.copy(pod_db, tmp_path / "pod.twin.db"))
    with ReviewStore(design) as store:
        store.add_note("pinned to a rack", part="A03")
        store.add_note("pinned to a point", point=(1, 2, 3))
        store.save_viewpoint("default lens", (10, -5, 3), (10, 4, 1))
        store.save_viewpoint("wide", (0, -8, 2), (0, 0, 1), view_angle=75)
    out = tmp_path / "plain.bcfzip"
    done = _twin("notes", "bcf", str(design), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert _invalid(out, schemas) == []


def test_the_test_harness_rejects_what_the_old_exporter_wrote(tmp_path, schemas):
    """The validation itself can fail: the three faults of the earlier export are each caught."""
    old = (b'<VisualizationInfo Guid="0d7d4b1e-0000-4000-8000-000000000001"><Components><Selection>'
           b'<Component OriginatingSystem="twin" AuthoringToolId="A03-frame"/></Selection></Components>'
           b'<PerspectiveCamera><CameraViewPoint><X>0</X><Y>0</Y><Z>0</Z></CameraViewPoint><CameraDirection><X>1</X>'
           b'<Y>0</Y><Z>0</Z></CameraDirection><CameraUpVector><X>0</X><Y>0</Y><Z>1</Z></CameraUpVector>'
           b'<FieldOfView>30.0</FieldOfView></PerspectiveCamera></VisualizationInfo>')
    path = tmp_path / "old.bcfzip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("t/viewpoint.bcfv", old)
    assert len(_invalid(path, schemas)) == 1


def _notes(path: Path) -> list[dict]:
    with ReviewStore(path) as store:
        return [{k: v for k, v in n.to_dict().items() if k != "id"} for n in store.notes()]


def _views(path: Path) -> list[dict]:
    with ReviewStore(path) as store:
        return [{k: v for k, v in view.to_dict().items() if k != "id"} for view in store.viewpoints()]


def test_a_round_trip_keeps_every_field_of_every_note_and_viewpoint(reviewed, pod_db, tmp_path):
    out = tmp_path / "review.bcfzip"
    assert _twin("notes", "bcf", str(reviewed), "-o", str(out), "--no-snapshots").returncode == 0
    back = tmp_path / "back.twin.db"
    shutil.copy(pod_db, back)
    done = _twin("notes", "import-bcf", str(back), str(out))
    assert done.returncode == 0, done.stderr
    before, after = _notes(reviewed), _notes(back)
    assert len(after) == len(before) == len(TEXTS)
    for old, new in zip(before, after):                     # field by field: part, point, author, text, status, times
        for key in old:
            assert new[key] == old[key], (key, old, new)
    assert any(n["updated"] != n["created"] for n in before) and any(n["status"] == "resolved" for n in before)
    assert _views(back) == _views(reviewed)
    conn = sqlite3.connect(back)
    reviews = conn.execute("SELECT id, name FROM reviews").fetchall()
    assert reviews == [(1, f"BCF import of {out.name}")]
    assert conn.execute("SELECT COUNT(*) FROM notes WHERE review_id = 1").fetchone()[0] == len(TEXTS)
    conn.close()
    assert f"{len(TEXTS)} notes" in done.stdout and "2 viewpoints" in done.stdout


def _expected(case: Path) -> dict:
    """What importing `case` must give, read from its XML with the standard library."""
    with zipfile.ZipFile(case) as z:
        names = z.namelist()
        topics = comments = views = 0
        authors, guids = set(), set()
        for name in names:
            if not name.endswith("/markup.bcf"):
                continue
            folder = name.split("/")[0]
            root = ET.fromstring(z.read(name))
            topics += 1
            authors.add(root.findtext("Topic/CreationAuthor"))
            for c in root.findall("Comment"):
                if (c.findtext("Comment") or "").strip():
                    comments += 1
                    authors.add(c.findtext("Author"))
            for ref in root.findall("Viewpoints"):
                file = f"{folder}/{ref.findtext('Viewpoint')}"
                if file in names:
                    vis = ET.fromstring(z.read(file))
                    views += vis.find("PerspectiveCamera") is not None or vis.find("OrthogonalCamera") is not None
                    guids |= {c.get("IfcGuid") for c in vis.iter("Component")}
    return {"topics": topics, "comments": comments, "views": views, "authors": authors, "unknown": len(guids)}


CASES = sorted((REPO.parent / "shared" / "data" / "bcf-2.1-testcases").glob("*.bcf"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_every_published_test_case_imports(case, pod_db, tmp_path):
    from twin.store.bcf_import import import_bcf

    expected = _expected(case)
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    report = import_bcf(design, case)
    conn = sqlite3.connect(design)
    notes = conn.execute("SELECT author, created, updated, status, text, part_id, x, review_id FROM notes").fetchall()
    views = conn.execute("SELECT COUNT(*) FROM viewpoints").fetchone()[0]
    reviews = conn.execute("SELECT id, name FROM reviews").fetchall()
    conn.close()
    assert len(notes) == expected["topics"] + expected["comments"] == report.notes + report.comments
    assert views == expected["views"] == report.viewpoints
    assert {n[0] for n in notes} == expected["authors"]
    assert all(n[1].endswith("Z") and len(n[1]) == 20 and n[2] >= n[1] for n in notes)
    assert all(n[5] is not None or n[6] is not None for n in notes)           # every note is pinned somewhere
    assert reviews == [(1, f"BCF import of {case.name}")] and {n[7] for n in notes} == {1}
    assert len(report.unknown) == expected["unknown"]          # none of these walls and plates is in a pod


def test_import_bcf_on_the_command_line_reports_unknown_components(pod_db, tmp_path):
    case = REPO.parent / "shared" / "data" / "bcf-2.1-testcases" / "Visualization_Single_visible_wall.bcf"
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    done = _twin("notes", "import-bcf", str(design), str(case))
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "no part of this design has it" in line]
    assert line.startswith(f"twin: warning: {case}: component 1E8YkwPMfB$h99jtn_uAjI")
    assert "1 topic, 1 note (0 from comments), 1 viewpoint, 1 unknown component" in done.stdout


# ---------------------------------------------------------------- hostile archives

def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


MARKUP = (b'<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000001"><Title>t</Title>'
          b'<CreationDate>2026-01-01T00:00:00Z</CreationDate><CreationAuthor>a</CreationAuthor></Topic></Markup>')
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE Markup [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
          b'<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000001"><Title>&d;</Title>'
          b'<CreationDate>2026-01-01T00:00:00Z</CreationDate><CreationAuthor>a</CreationAuthor></Topic></Markup>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE Markup [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000001"><Title>&x;</Title>'
            b'<CreationDate>2026-01-01T00:00:00Z</CreationDate><CreationAuthor>a</CreationAuthor></Topic></Markup>')

HOSTILE = {
    "path-traversal": ({"a/markup.bcf": MARKUP, "../../outside.bcf": MARKUP}, "outside the archive"),
    "absolute-path": ({"a/markup.bcf": MARKUP, "/etc/markup.bcf": MARKUP}, "outside the archive"),
    "zip-bomb": ({"a/markup.bcf": MARKUP, "b/markup.bcf": b"<Markup>" + b" " * (64 * 1024 ** 2) + b"</Markup>"},
                 "zip bomb"),
    "huge-xml": ({"a/markup.bcf": MARKUP, "b/viewpoint.bcfv": b"<V>" + b"<X>1</X>" * (3 * 1024 ** 2) + b"</V>"},
                 "inflates to"),
    "billion-laughs": ({"a/markup.bcf": LAUGHS}, "DTD or entities"),
    "external-entity": ({"a/markup.bcf": EXTERNAL}, "DTD or entities"),
    "broken-xml-after-a-good-topic": ({"a/markup.bcf": MARKUP, "b/markup.bcf": b"<Markup><Topic"}, "not well-formed"),
    "not-a-zip": (None, "not a readable BCF zip"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_archive_is_refused_and_nothing_is_written(kind, pod_db, tmp_path):
    members, says = HOSTILE[kind]
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    archive = tmp_path / "in.bcf"
    if members is None:
        archive.write_bytes(b"PK\x03\x04 this is no zip at all" * 10)
    else:
        _zip(archive, members)
    before = hashlib.sha256(design.read_bytes()).hexdigest()
    from twin.store.bcf_import import import_bcf

    with pytest.raises(TwinError) as err:
        import_bcf(design, archive)
    assert says in err.value.message and str(archive) in str(err.value)
    assert hashlib.sha256(design.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.bcf", "pod.twin.db"]


def test_a_failed_write_imports_nothing(pod_db, tmp_path):
    """A file the store refuses to write (a trigger) loses nothing and gains nothing: one transaction."""
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    conn = sqlite3.connect(design)
    conn.execute("CREATE TRIGGER evil AFTER INSERT ON notes BEGIN DELETE FROM parts; END")
    conn.commit()
    conn.close()
    before = hashlib.sha256(design.read_bytes()).hexdigest()
    case = REPO.parent / "shared" / "data" / "bcf-2.1-testcases" / "Markup_related_topics_with_both_topics_in_the_same_file.bcf"
    done = _twin("notes", "import-bcf", str(design), str(case))
    assert done.returncode == 1 and "trigger" in done.stderr and "Traceback" not in done.stderr
    assert hashlib.sha256(design.read_bytes()).hexdigest() == before


def test_bcf_30_topics_import_with_the_same_code(pod_db, tmp_path):
    """BCF 3.0 nests comments and viewpoints in the topic and wraps labels: read with the same code."""
    markup = ('<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000003" TopicType="Issue" TopicStatus="Closed">'
              '<Title>Busbar too hot</Title><Labels><Label>power</Label></Labels>'
              '<CreationDate>2026-02-01T10:00:00+01:00</CreationDate><CreationAuthor>eve</CreationAuthor>'
              '<Description>Busbar too hot at A03</Description>'
              '<Comments><Comment Guid="0d7d4b1e-0000-4000-8000-000000000004"><Date>2026-02-02T10:00:00Z</Date>'
              '<Author>fay</Author><Comment>Checked, fixed.</Comment></Comment></Comments>'
              '<Viewpoints><ViewPoint Guid="0d7d4b1e-0000-4000-8000-000000000005"><Viewpoint>v.bcfv</Viewpoint>'
              '</ViewPoint></Viewpoints></Topic></Markup>')
    visinfo = (f'<VisualizationInfo Guid="0d7d4b1e-0000-4000-8000-000000000005"><Components><Selection>'
               f'<Component IfcGuid="{_ifc_guid("A03-frame")}"/></Selection></Components><PerspectiveCamera>'
               '<CameraViewPoint><X>5</X><Y>-6</Y><Z>3</Z></CameraViewPoint><CameraDirection><X>0</X><Y>1</Y><Z>0</Z>'
               '</CameraDirection><CameraUpVector><X>0</X><Y>0</Y><Z>1</Z></CameraUpVector><FieldOfView>50</FieldOfView>'
               '<AspectRatio>1.6</AspectRatio></PerspectiveCamera></VisualizationInfo>')
    archive = _zip(tmp_path / "v3.bcfzip", {"bcf.version": b'<Version VersionId="3.0"/>',
                                            "t/markup.bcf": markup.encode(), "t/v.bcfv": visinfo.encode()})
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    done = _twin("notes", "import-bcf", str(design), str(archive))
    assert done.returncode == 0, done.stderr
    notes = _notes(design)
    assert [(n["part"], n["author"], n["status"], n["created"]) for n in notes] == [
        ("A03-frame", "eve", "resolved", "2026-02-01T09:00:00Z"), ("A03-frame", "fay", "resolved", "2026-02-02T10:00:00Z")]
    assert notes[0]["text"].startswith("Busbar too hot at A03") and "labels power" in notes[0]["text"]
    (view,) = _views(design)
    assert view["name"] == "Busbar too hot" and view["position"] == [5.0, -6.0, 3.0] and view["view_angle"] == 50.0
    assert view["state"]["selection"] == ["A03-frame"]


def test_viewpoints_list_is_one_readable_line_each(reviewed):
    done = _twin("viewpoints", "list", str(reviewed))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "2 viewpoints"
    assert lines[0].startswith("#1  thermal A03  from (") and "overlay thermal 20…30" in lines[0]
    assert "1 selected" in lines[0] and "section z=1.5" in lines[0]
    assert lines[1].startswith("#2  aisle 30°  from (10.00, -5.00, 3.00) at (10.00, 4.00, 1.00), 30° lens")
    listed = json.loads(_twin("viewpoints", "list", str(reviewed), "--json").stdout)["viewpoints"]
    assert listed[0]["state"]["overlay"] == {"name": "thermal", "options": {}, "range": [20.0, 30.0]}
    assert listed[0]["state"]["version"] == 1


def test_a_viewpoint_image_draws_its_view_state(reviewed, tmp_path):
    from twin.export.image import read_png

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert _twin("viewpoints", "image", str(reviewed), "thermal A03", "-o", str(a), "--size", "320x180").returncode == 0
    with ReviewStore(reviewed) as store:            # the same camera without the view state
        view = next(v for v in store.viewpoints() if v.name == "thermal A03")
        store.save_viewpoint("camera only", view.position, view.focal_point, view.view_up, view.view_angle)
    assert _twin("viewpoints", "image", str(reviewed), "camera only", "-o", str(b), "--size", "320x180").returncode == 0
    diff = np.abs(read_png(a).astype(int) - read_png(b).astype(int)).max(axis=2)
    assert (diff > 40).mean() > 0.05                  # the overlay, selection, hiding and section show


def test_archives_are_read_into_memory_only(pod_db, tmp_path):
    """No member is ever written out: a member named like a file beside the archive creates nothing."""
    archive = _zip(tmp_path / "in.bcf", {"a/markup.bcf": MARKUP, "a/evil.json": b"{}", "a/snapshot.png": b"x"})
    design = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, design)
    from twin.store.bcf_import import import_bcf

    report = import_bcf(design, archive)
    assert report.topics == 1 and report.notes == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.bcf", "pod.twin.db"]


def test_a_rebuild_keeps_each_viewpoints_view_state(tmp_path):
    """`twin build` over a design carries its viewpoints whole, state included (row indices change, names do not)."""
    path = tmp_path / "pod.twin.db"
    assert _twin("build", str(REPO / "scenes" / "nvl72-pod.toml"), "-o", str(path), "-q").returncode == 0
    state = {"selection": ["A03-frame"], "filters": {"hidden": {"default": True, "except": ["A04-frame"]}},
             "overlay": {"name": "thermal", "options": {}, "range": [20.0, 30.0]}, "moment": None, "basis": "max"}
    with ReviewStore(path) as store:
        saved = store.save_viewpoint("kept", (1, -8, 3), (1, 0, 1), state=state)
    done = _twin("build", str(REPO / "scenes" / "nvl72-pod.toml"), "-o", str(path), "-q")
    assert done.returncode == 0, done.stderr
    with ReviewStore(path) as store:
        (view,) = store.viewpoints()
    assert view == saved and view.state == {"version": 1, **state}


def test_a_review_that_comes_back_updates_its_notes_and_a_second_import_adds_nothing(reviewed, tmp_path):
    """Export, a BIM tool closes a topic and comments on it, import into the same design: the note
    is closed in place, the comment is a new note; importing the same file again adds nothing."""
    out = tmp_path / "review.bcfzip"
    assert _twin("notes", "bcf", str(reviewed), "-o", str(out), "--no-snapshots").returncode == 0
    before = _notes(reviewed)
    edited = tmp_path / "back.bcfzip"
    with zipfile.ZipFile(out) as z, zipfile.ZipFile(edited, "w") as w:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith("markup.bcf") and ET.fromstring(data).findtext("Topic/Description") == TEXTS[0]:
                root = ET.fromstring(data)
                root.find("Topic").set("TopicStatus", "Closed")
                comment = ET.SubElement(root, "Comment", Guid="0d7d4b1e-0000-4000-8000-0000000000c1")
                for tag, text in (("Date", "2026-12-02T08:00:00Z"), ("Author", "reviewer@bim"), ("Comment", "fixed on site")):
                    ET.SubElement(comment, tag).text = text
                root.append(root.find("Viewpoints"))             # the schema's order: comments before viewpoints
                data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            w.writestr(name, data)
    first = _twin("notes", "import-bcf", str(reviewed), str(edited))
    assert first.returncode == 0, first.stderr
    after = _notes(reviewed)
    assert len(after) == len(before) + 1
    assert after[0]["status"] == "resolved" and before[0]["status"] == "open"
    assert {k: v for k, v in after[0].items() if k not in ("status", "updated")} == \
        {k: v for k, v in before[0].items() if k not in ("status", "updated")}
    assert after[1:len(before)] == before[1:]
    assert (after[-1]["author"], after[-1]["text"], after[-1]["part"]) == \
        ("reviewer@bim", "Re: " + TEXTS[0].splitlines()[0] + "\nfixed on site", before[0]["part"])
    views = _views(reviewed)
    second = _twin("notes", "import-bcf", str(reviewed), str(edited))
    assert second.returncode == 0, second.stderr
    assert _notes(reviewed) == after and _views(reviewed) == views
    assert f"{len(TEXTS) + 1 + 2} already in this design" in second.stdout and "into review" not in second.stdout
    conn = sqlite3.connect(reviewed)
    assert conn.execute("SELECT name FROM reviews").fetchall() == [(f"BCF import of {edited.name}",)]
    conn.close()


def test_a_hostile_twin_snippet_is_read_as_data_and_restores_with_warnings(pod_db, tmp_path):
    """The snippet is untrusted too: wrong types, NaN cameras and 100,000-deep JSON are left out, never a crash."""
    from twin.session import ReviewSession
    from twin.store import load_design
    from twin.store.bcf_import import import_bcf
    from twin.viewpoint import restore

    def topic(i: int, snippet: str) -> dict[str, bytes]:
        guid = f"0d7d4b1e-0000-4000-8000-0000000000{i:02d}"
        markup = (f'<Markup><Topic Guid="{guid}" TopicType="Viewpoint"><Title>view {i}</Title>'
                  '<CreationDate>2026-01-01T00:00:00Z</CreationDate><CreationAuthor>a</CreationAuthor>'
                  '<BimSnippet SnippetType="twin-review"><Reference>twin.json</Reference><ReferenceSchema>x'
                  f'</ReferenceSchema></BimSnippet></Topic><Viewpoints Guid="{guid}"><Viewpoint>viewpoint.bcfv</Viewpoint>'
                  '</Viewpoints></Markup>')
        visinfo = (f'<VisualizationInfo Guid="{guid}"><Components><Visibility DefaultVisibility="true"/></Components>'
                   '<PerspectiveCamera><CameraViewPoint><X>1</X><Y>-9</Y><Z>2</Z></CameraViewPoint><CameraDirection>'
                   '<X>0</X><Y>1</Y><Z>0</Z></CameraDirection><CameraUpVector><X>0</X><Y>0</Y><Z>1</Z></CameraUpVector>'
                   '<FieldOfView>50</FieldOfView></PerspectiveCamera></VisualizationInfo>')
        return {f"t{i}/markup.bcf": markup.encode(), f"t{i}/viewpoint.bcfv": visinfo.encode(),
                f"t{i}/twin.json": snippet.encode()}

    camera = '{"position": [1, -9, 2], "focal_point": [1, 0, 2], "view_up": [0, 0, 1], "view_angle": %s}'
    bad_state = ('{"selection": 5, "filters": "x", "focus": {"f": {"default": "yes"}}, "trace": {"cables": "abc"}, '
                 '"overlay": {"name": "no such overlay", "range": ["a", null]}, "section": {"axis": "w"}, '
                 '"basis": "guess", "scenario": "N-1", "moment": 7}')
    members = {}
    members |= topic(1, '{"twin": 1, "kind": "viewpoint", "viewpoint": {"name": "odd", "camera": %s, "state": %s}}'
                     % (camera % "30", bad_state))
    members |= topic(2, '{"twin": 1, "kind": "viewpoint", "viewpoint": {"name": "nan", "camera": %s}}' % (camera % "NaN"))
    members |= topic(3, "[" * 100_000 + "]" * 100_000)
    archive = _zip(tmp_path / "odd.bcf", members)
    design = Path(shutil.copy(pod_db, tmp_path / "pod.twin.db"))
    report = import_bcf(design, archive)
    assert report.viewpoints == 3
    with ReviewStore(design) as store:
        views = {v.name: v for v in store.viewpoints()}
    assert set(views) == {"odd", "view 2", "view 3"}           # the NaN camera and the deep JSON: read as BCF only
    assert views["view 2"].view_angle == 50.0 and views["view 2"].position == (1.0, -9.0, 2.0)
    session = ReviewSession(load_design(design))
    restored = restore(session.view, views["odd"].state, session)
    text = "\n".join(restored.warnings)
    for what in ("selection", "filters", "focus 'f'", "overlay", "section", "basis", "scenario", "moment"):
        assert what in text, what
    assert session.view.selection == [] and session.view.overlay is None and session.view.section is None


def test_ifc_guids_are_ifcs_encoding_and_tell_repeated_names_apart():
    from twin.store.bcf_guid import compress, expand, part_guids

    assert compress(uuid.UUID(int=0)) == "0" * 22 and compress(uuid.UUID(int=2 ** 128 - 1)) == "3" + "$" * 21
    for text in ("1E8YkwPMfB$h99jtn_uAjI", "2_hQ1Rixj6lgHTra$L72O4", "3LIQL2UvjC6xkGKOQxhhVW"):   # from the test cases
        assert compress(expand(text)) == text
    guids = part_guids(["A01-U01", "A01-U01", "B01-U01"])
    assert guids == [_ifc_guid("A01-U01"), _ifc_guid("A01-U01#2"), _ifc_guid("B01-U01")] and len(set(guids)) == 3


def test_viewpoints_add_refuses_bad_options_in_one_line_and_writes_nothing(pod_db, tmp_path):
    design = Path(shutil.copy(pod_db, tmp_path / "pod.twin.db"))
    before = hashlib.sha256(design.read_bytes()).hexdigest()
    for args, where in ((["--select", "ZZ9"], "--select"), (["--camera", "rack:ZZ9"], "--camera"),
                        (["--overlay", "thermal", "--range", "30,20"], "--range")):
        done = _twin("viewpoints", "add", str(design), "--name", "bad", *args)
        errors = [line for line in done.stderr.splitlines() if line.startswith("twin: error:")]
        assert done.returncode == 1 and len(errors) == 1 and f"{design}: {where}:" in errors[0], (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert hashlib.sha256(design.read_bytes()).hexdigest() == before
