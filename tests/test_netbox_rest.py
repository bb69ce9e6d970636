"""NetBox 4.x through its REST API: a folder of saved pages, and a live server (http.server on 127.0.0.1).

The fixture (tests/data/netbox-rest) was written by hand from NetBox's REST API documentation:
paginated pages (`count`, `next`, `previous`, `results`) with nested objects and choices, as
`curl` saves them; racks, devices and interfaces span two pages each. Expectations are read
from those JSON files in the test, or worked out by hand.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from twin.importers.netbox_site import import_netbox

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "data" / "netbox-rest"
TOKEN = "0123456789abcdef0123456789abcdef01234567"


def twin(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _results(endpoint: str) -> list[dict]:
    """Every object of an endpoint across its saved pages, following `next` by its offset."""
    out, name = [], f"{endpoint}.json"
    while name:
        page = json.loads((FIXTURE / "api" / name).read_text())
        out += page["results"]
        nxt = page["next"]
        name = f"{endpoint}-offset-{urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)['offset'][0]}.json" \
            if nxt else None
    return out


def _check_design(db: Path) -> None:
    racks = sorted(r["name"] for r in _results("dcim/racks"))
    devices = {d["name"]: (d["rack"]["name"], int(d["position"])) for d in _results("dcim/devices")}
    assert len(racks) == 3 and len(devices) == 4                     # two pages each
    assert sorted(n for (n,) in _rows(db, "select name from racks")) == racks
    got = dict((n, (r, u)) for n, r, u in _rows(db, "select p.name, r.name, p.u_position from parts p "
                                                    "join racks r on r.id = p.rack_id where p.parent_id is not null"))
    assert got == devices
    # interfaces span two pages: every one is a port of its device
    ports = sorted(_rows(db, "select p.name, o.name from ports o join parts p on p.id = o.part_id "
                             "where o.kind not in ('circuit-termination', 'c14')"))
    assert ports == sorted((i["device"]["name"], i["name"]) for i in _results("dcim/interfaces"))
    cables = _rows(db, """select c.name, pa.name, a.name, pb.name, b.name, c.length_m, c.kind from cables c
        join ports a on a.id = c.a_port_id join parts pa on pa.id = a.part_id
        join ports b on b.id = c.b_port_id join parts pb on pb.id = b.part_id order by c.name""")
    assert [c[:5] for c in cables] == [("NB000001", "leaf1", "swp1", "srv1", "eno1"),
                                       ("NB000002", "leaf1", "swp2", "srv2", "eno1"),
                                       ("NB000003", "edge1", "swp1", "CKT-0001", "term A")]
    assert cables[0][5] == 2.0 and cables[2][5] == 15.0 and cables[2][6] == "smf"
    # the 4.7 cooling feed: 80 kW, 120 L/min, its source's 18 → 28 °C; rack R1 on it, R2 and R3 on hall air
    loops = _rows(db, "select id, name, medium, supply_c, design_dt_k, capacity_w, flow_lpm from cooling_loops "
                      "order by id")
    assert loops[1][1:] == ("Chiller 1 / CF-R1", "liquid", 18.0, 10.0, 80_000.0, 120.0)
    assert dict(_rows(db, "select name, cooling_loop_id from racks")) == {"R1": loops[1][0], "R2": 1, "R3": 1}
    kinds = dict(_rows(db, "select p.name, t.kind from parts p join part_types t on t.id = p.part_type_id"))
    assert kinds["leaf1"] == "network_switch" and kinds["srv1"] == "compute_tray" and kinds["CKT-0001"] == "demarc"
    # the power feed: 230 V x 32 A x 80 %
    assert _rows(db, "select capacity_w from power_nodes where name = 'Feed R1-A'") == [(230 * 32 * 0.8,)]


def test_a_folder_of_rest_pages_imports(tmp_path: Path) -> None:
    summary = import_netbox(FIXTURE, tmp_path / "rest.twin.db")
    assert summary.usable and summary.report.issues == [], [str(i) for i in summary.report.issues]
    _check_design(summary.path)


def test_a_missing_page_and_bad_objects_are_one_warning_each(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    shutil.copytree(FIXTURE, folder)
    (folder / "api/dcim/devices-offset-2.json").unlink()
    (folder / "api/dcim/broken.json").write_text("{not json", encoding="utf-8")
    page = json.loads((folder / "api/dcim/sites.json").read_text())
    page["results"].append({"name": "no id"})
    (folder / "api/dcim/sites.json").write_text(json.dumps(page), encoding="utf-8")
    result = twin("import", "netbox", folder, "-o", tmp_path / "part.twin.db")
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("twin: warning:")]
    assert any("dcim/devices: 2 of the 4 objects" in ln for ln in lines)
    assert any(f"{folder / 'api/dcim/broken.json'}: not a JSON page" in ln for ln in lines)
    assert any("sites.json: dcim/sites [1]: not a NetBox object" in ln for ln in lines)
    # and what the missing page held is missed where it is needed: srv2's cable
    assert any("dcim.cable pk 2: end B points at dcim.interface pk 5, on dcim.device pk 3, which was not imported"
               in ln for ln in lines)
    assert len(lines) == 4 and "Traceback" not in result.stderr


def test_a_folder_with_nothing_usable_exits_1(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.json").write_text('{"hello": 1}', encoding="utf-8")
    result = twin("import", "netbox", tmp_path / "empty", "-o", tmp_path / "x.twin.db")
    assert result.returncode == 1 and "nothing usable to import" in result.stderr
    assert "notes.json" in result.stderr and not (tmp_path / "x.twin.db").exists()


class _NetBox(BaseHTTPRequestHandler):
    """Serves the fixture as NetBox would: /api/<app>/<endpoint>/?limit=…&offset=N, token required."""

    seen: list[tuple[str, str, str]] = []
    evil_next = False                 # point every `next` at another host (TEST-NET-3, never reached)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urllib.parse.urlsplit(self.path)
        self.seen.append(("GET", url.path, self.headers.get("Authorization", "")))
        if self.headers.get("Authorization") != f"Token {TOKEN}":
            return self._send(403, {"detail": "Invalid token"})
        endpoint = url.path.removeprefix("/api/").strip("/")
        offset = urllib.parse.parse_qs(url.query).get("offset", [None])[0]
        path = FIXTURE / "api" / (f"{endpoint}-offset-{offset}.json" if offset else f"{endpoint}.json")
        if not path.is_file():
            return self._send(404, {"detail": "Not found."})
        body = path.read_text().replace("http://netbox.example", f"http://127.0.0.1:{self.server.server_port}")
        doc = json.loads(body)
        if self.evil_next and doc.get("next"):
            doc["next"] = doc["next"].replace(f"127.0.0.1:{self.server.server_port}", "203.0.113.9")
        self._send(200, doc)

    def do_POST(self) -> None:  # noqa: N802
        self.seen.append(("POST", self.path, ""))
        self._send(405, {})

    def _send(self, code: int, doc: dict) -> None:
        data = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def netbox():
    _NetBox.seen = []
    _NetBox.evil_next = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NetBox)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_live_netbox_is_read_only_with_the_token_from_the_environment(netbox: str, tmp_path: Path) -> None:
    out = tmp_path / "live.twin.db"
    result = twin("import", "netbox", netbox, "-o", out, "--token-env", "TWIN_TEST_NB_TOKEN",
                  env={"TWIN_TEST_NB_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    _check_design(out)
    assert {m for m, _, _ in _NetBox.seen} == {"GET"}
    assert all(auth == f"Token {TOKEN}" for _, _, auth in _NetBox.seen)
    paths = [p for _, p, _ in _NetBox.seen]
    assert paths.count("/api/dcim/devices/") == 2 and paths.count("/api/dcim/racks/") == 2      # followed `next`
    assert TOKEN.encode() not in out.read_bytes()                                                # never stored
    # the folder and the live server give the same design
    folder = import_netbox(FIXTURE, tmp_path / "folder.twin.db").path
    for table in ("racks", "parts", "ports", "cables", "cooling_loops", "power_nodes"):
        assert _rows(out, f"select * from {table}") == _rows(folder, f"select * from {table}"), table


def test_a_refused_token_is_one_clear_error(netbox: str, tmp_path: Path) -> None:
    result = twin("import", "netbox", netbox, "-o", tmp_path / "x.twin.db", env={"NETBOX_TOKEN": "wrong"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("twin: error: ")
    assert "HTTP 403" in result.stderr and "Traceback" not in result.stderr and "wrong" not in result.stderr
    assert not (tmp_path / "x.twin.db").exists()


def test_an_unreachable_netbox_is_one_clear_error(tmp_path: Path) -> None:
    result = twin("import", "netbox", "http://127.0.0.1:9/", "-o", tmp_path / "x.twin.db",
                  env={"NETBOX_TOKEN": TOKEN})
    assert result.returncode == 1 and "cannot read NetBox" in result.stderr and "Traceback" not in result.stderr


def test_a_page_over_the_byte_cap_or_not_a_file_is_one_warning(tmp_path: Path, monkeypatch) -> None:
    from twin.importers import netbox_rest

    folder = tmp_path / "pages"
    shutil.copytree(FIXTURE, folder)
    os.mkfifo(folder / "api/dcim/stuck.json")                          # never waited on
    cap = (folder / "api/dcim/cables.json").stat().st_size - 1
    monkeypatch.setattr(netbox_rest, "PAGE_BYTES", cap)
    summary = import_netbox(folder, tmp_path / "capped.twin.db")
    issues = {i.where: i.message for i in summary.report.issues if i.code == "rest-page"}
    assert f"over the limit of {cap:,} bytes" in issues[str(folder / "api/dcim/cables.json")]
    assert issues[str(folder / "api/dcim/stuck.json")].startswith("not a regular file")
    assert summary.counts["cables"] == 0 and summary.counts["racks"] == 3


def test_records_saved_as_plain_lists_are_known_by_their_urls(tmp_path: Path) -> None:
    """A script that dumps pynetbox records (`[dict(r) for r in nb.dcim.devices.all()]`) saves no pages."""
    folder = tmp_path / "export"
    folder.mkdir()
    for k, endpoint in enumerate(sorted({str(p.relative_to(FIXTURE / "api").with_suffix(""))
                                         .split("-offset-")[0] for p in (FIXTURE / "api").rglob("*.json")})):
        (folder / f"{k:02d}.json").write_text(json.dumps(_results(endpoint)), encoding="utf-8")
    summary = import_netbox(folder, tmp_path / "lists.twin.db")
    assert summary.report.issues == [], [str(i) for i in summary.report.issues]
    _check_design(summary.path)


def test_a_next_link_to_another_host_is_not_followed(netbox: str, tmp_path: Path) -> None:
    _NetBox.evil_next = True
    result = twin("import", "netbox", netbox, "-o", tmp_path / "x.twin.db", env={"NETBOX_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert "the next page is on another host (http://203.0.113.9/api/dcim/racks/" in result.stderr
    assert _rows(tmp_path / "x.twin.db", "select count(*) from racks") == [(2,)]          # page 1 only
