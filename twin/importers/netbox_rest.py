"""Read NetBox 4.x through its REST API's JSON: a folder of saved pages, or a live NetBox, read only.

NetBox's REST API answers `GET /api/<app>/<endpoint>/` with a page:
`{"count": N, "next": URL or null, "previous": …, "results": [objects]}`. An object names
what it points to by a nested object (`"rack": {"id": 3, "url": …, "name": "R3"}`) and a
choice by `{"value": "front", "label": "Front"}`. Reduced to ids and values, an object is
the same record a dumpdata file holds, so the site mapper (`netbox_site`) is reused as it is.

- A folder: every `*.json` under it is a page (or a plain list of objects, as a script
  dumping pynetbox records saves them). Which endpoint a page belongs to is read from its
  objects' `url` (`…/api/dcim/devices/12/`), else from the file's path (`dcim/devices.json`,
  `dcim_devices-offset-50.json`). Pages of one endpoint are merged; when fewer objects are
  found than the pages' `count` says, one warning says how many are missing.
- A URL: each endpoint is fetched with `GET` only, following `next` (only to the same
  host, so the token never leaves it), with a timeout per request and a byte cap per page.
  The token is read from an environment variable and sent as a header, never written
  anywhere. An endpoint this NetBox does not have (404: cooling before 4.7) is left out.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

from twin.errors import TwinError
from twin.geometry.assetpath import AssetRefused, read_regular
from twin.importers.netbox_dump import NetBoxRecords, _legacy_terminations
from twin.importers.report import ImportReport

#: REST endpoint → NetBoxRecords table (the tables the dumpdata reader fills).
ENDPOINTS = {
    "dcim/sites": "sites", "dcim/locations": "locations", "dcim/racks": "racks", "dcim/rack-roles": "rack_roles",
    "dcim/manufacturers": "manufacturers", "dcim/device-types": "device_types", "dcim/device-roles": "device_roles",
    "dcim/devices": "devices", "dcim/interfaces": "interfaces", "dcim/front-ports": "front_ports",
    "dcim/rear-ports": "rear_ports", "dcim/console-ports": "console_ports",
    "dcim/console-server-ports": "console_server_ports", "dcim/power-ports": "power_ports",
    "dcim/power-outlets": "power_outlets", "dcim/cables": "cables", "dcim/power-panels": "power_panels",
    "dcim/power-feeds": "power_feeds", "dcim/device-bays": "device_bays",
    "dcim/interface-templates": "interface_templates", "dcim/front-port-templates": "front_port_templates",
    "dcim/rear-port-templates": "rear_port_templates", "dcim/console-port-templates": "console_port_templates",
    "dcim/console-server-port-templates": "console_server_port_templates",
    "dcim/power-port-templates": "power_port_templates", "dcim/power-outlet-templates": "power_outlet_templates",
    "dcim/cooling-sources": "cooling_sources", "dcim/cooling-feeds": "cooling_feeds",
    "circuits/circuits": "circuits", "circuits/circuit-terminations": "circuit_terminations",
    "circuits/providers": "providers",
}
#: Fields renamed between NetBox versions, old name ← new name (the mapper reads the old one).
RENAMED = {"racks": {"type": "form_factor"}}
PAGE_LIMIT = 1000                  # objects asked for per page (NetBox caps it at its MAX_PAGE_SIZE)
TIMEOUT_S = 30.0
PAGE_BYTES = 64 * 1024 * 1024      # one page larger than this is refused
MAX_PAGES = 10_000                 # per endpoint: 10 M objects at NetBox's default page size
_URL = re.compile(r"/api/(?P<app>[a-z]+)/(?P<name>[a-z-]+)/\d+/?$")


def is_url(source: str) -> bool:
    return str(source).lower().startswith(("http://", "https://"))


# ---------------------------------------------------------------- folder
def read_rest_folder(folder: str | Path, report: ImportReport) -> NetBoxRecords:
    """Every REST page saved under `folder`, merged by endpoint into records."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TwinError(folder, "not a folder of NetBox REST API pages" if folder.exists() else "no such folder")
    records = NetBoxRecords(str(folder))
    counts: dict[str, int] = {}
    for path in sorted(p for p in folder.rglob("*.json") if not p.is_dir()):
        where = str(path)
        if not path.is_file():
            report.warn("rest-page", where, "not a regular file (a FIFO, device or broken link); skipped")
            continue
        try:
            page = json.loads(read_regular(path.resolve(), PAGE_BYTES).decode("utf-8-sig"))
        except AssetRefused as exc:
            report.warn("rest-page", where, f"not read ({exc}); skipped")
            continue
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            report.warn("rest-page", where, f"not a JSON page ({str(exc)[:120] or type(exc).__name__}); skipped")
            continue
        results = page.get("results") if isinstance(page, dict) else page
        if not isinstance(results, list):
            report.warn("rest-page", where, "neither a REST page (count, next, results) nor a list of objects; skipped")
            continue
        endpoint = _endpoint_of(results) or _endpoint_of_path(path.relative_to(folder))
        if endpoint is None:
            report.warn("rest-page", where, "no endpoint known for it (its objects have no NetBox `url` and its "
                                            "name names none, e.g. dcim/devices.json); skipped")
            continue
        if isinstance(page, dict) and isinstance(page.get("count"), int):
            counts[endpoint] = max(counts.get(endpoint, 0), page["count"])
        _add(records, endpoint, results, where, report)
    for endpoint, count in sorted(counts.items()):
        have = len(records.table(ENDPOINTS[endpoint]))
        if have < count:
            report.warn("rest-page-missing", f"{folder}: {endpoint}", f"{have} of the {count} objects the pages count "
                                                                      "are in the folder (pages missing); imported "
                                                                      "what is there")
    _finish(records)
    return records


def _endpoint_of(results: list[Any]) -> str | None:
    for obj in results:
        m = _URL.search(str(obj.get("url") or "")) if isinstance(obj, dict) else None
        if m and f"{m['app']}/{m['name']}" in ENDPOINTS:
            return f"{m['app']}/{m['name']}"
    return None


def _endpoint_of_path(rel: Path) -> str | None:
    """`dcim/devices.json`, `api/dcim/devices/page-2.json`, `dcim_devices-offset-50.json` → dcim/devices."""
    text = "/".join(rel.with_suffix("").parts).lower()
    best = None
    for endpoint in ENDPOINTS:
        app, name = endpoint.split("/")
        if re.search(rf"(^|[/_.]){app}[/_.]{re.escape(name)}($|[/_.-])", text) and (
                best is None or len(endpoint) > len(best)):
            best = endpoint
    return best


# ---------------------------------------------------------------- live
def read_rest_url(url: str, token_env: str, report: ImportReport) -> NetBoxRecords:
    """Every endpoint twin uses, fetched read-only from the NetBox at `url` with the token in $`token_env`."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password or parts.query:
        raise TwinError(url, "give the NetBox address alone (no user, password or query in the URL); the token "
                             f"comes from ${token_env}")
    base = url.rstrip("/")
    base = base if base.endswith("/api") else base + "/api"
    token = os.environ.get(token_env, "").strip()
    if not token:
        report.notes.append(f"${token_env} is not set: reading NetBox without a token (public data only)")
    records = NetBoxRecords(url)
    for endpoint in ENDPOINTS:
        first = f"{base}/{endpoint}/?limit={PAGE_LIMIT}"
        try:
            for page_url, results in _pages(first, base, token, report):
                _add(records, endpoint, results, page_url, report)
        except _Missing:
            if endpoint.startswith("dcim/cooling"):
                report.notes.append(f"{endpoint}: not in this NetBox (cooling came with 4.7)")
    _finish(records)
    return records


class _Missing(Exception):
    """The endpoint does not exist on this NetBox (HTTP 404)."""


def _pages(first: str, base: str, token: str, report: ImportReport) -> Iterator[tuple[str, list[Any]]]:
    origin = urllib.parse.urlsplit(base)[:2]
    url: str | None = first
    for n in range(MAX_PAGES):
        if url is None:
            return
        page = _get(url, token, n == 0)
        yield url, page.get("results") if isinstance(page.get("results"), list) else []
        nxt = page.get("next")
        if nxt and urllib.parse.urlsplit(str(nxt))[:2] != origin:
            report.warn("rest-next", url, f"the next page is on another host ({nxt}); not followed, so the token "
                                          "stays with this NetBox")
            return
        url = str(nxt) if nxt else None
    report.warn("rest-next", first, f"more than {MAX_PAGES:,} pages; stopped there")


def _get(url: str, token: str, first: bool) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}" if token.startswith("nbt_") else f"Token {token}"
    request = urllib.request.Request(url, headers=headers, method="GET")
    where = url.split("?")[0]
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            body = response.read(PAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and first:
            raise _Missing() from None
        if exc.code in (401, 403):
            raise TwinError(where, f"NetBox refused the request (HTTP {exc.code}): give a read token in the "
                                   "environment variable named by --token-env") from None
        raise TwinError(where, f"NetBox answered HTTP {exc.code} ({exc.reason})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TwinError(where, f"cannot read NetBox ({reason}; timeout {TIMEOUT_S:g} s per request)") from None
    if len(body) > PAGE_BYTES:
        raise TwinError(where, f"a page over {PAGE_BYTES:,} bytes; refused")
    try:
        page = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TwinError(where, "NetBox's answer is not JSON (is this the NetBox address?)") from None
    if not isinstance(page, dict) or "results" not in page:
        raise TwinError(where, "not a NetBox REST page (no `results`)")
    return page


# ---------------------------------------------------------------- objects → records
def _add(records: NetBoxRecords, endpoint: str, results: list[Any], where: str, report: ImportReport) -> None:
    table = ENDPOINTS[endpoint]
    renamed = RENAMED.get(table, {})
    for i, obj in enumerate(results):
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), int) or isinstance(obj.get("id"), bool):
            report.warn("rest-object", f"{where}: {endpoint} [{i}]", "not a NetBox object with an integer id; skipped")
            continue
        pk = obj["id"]
        fields = {key: _flat(value) for key, value in obj.items() if key not in ("a_terminations", "b_terminations")}
        for old, new in renamed.items():
            if fields.get(old) in (None, "") and new in fields:
                fields[old] = fields[new]
        fields["pk"] = pk
        records.table(table)[pk] = fields
        if table == "cables":
            _cable_ends(records, pk, obj)


def _flat(value: Any) -> Any:
    """A nested object as its id, a choice as its value; anything else as it is."""
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        if "value" in value and "label" in value:
            return value["value"]
    return value


def _cable_ends(records: NetBoxRecords, pk: int, cable: dict[str, Any]) -> None:
    """A REST cable's a_/b_terminations as termination records (dumpdata's dcim.cabletermination)."""
    terms = records.table("terminations")
    for end in ("a", "b"):
        for term in cable.get(f"{end}_terminations") or []:
            if not isinstance(term, dict):
                continue
            kind = str(term.get("object_type") or term.get("termination_type") or "")
            obj = term.get("object") if isinstance(term.get("object"), dict) else {}
            key = -len(terms) - 1
            terms[key] = {"pk": key, "cable": pk, "cable_end": end.upper(), "termination_type": kind.split(".", 1),
                          "termination_id": term.get("object_id", obj.get("id")),
                          "_device": _flat(obj.get("device")), "_site": _flat(obj.get("site"))}


def _finish(records: NetBoxRecords) -> None:
    """Circuit terminations of NetBox 4.2+ name their site as a termination object: resolve it."""
    for ct in records.circuit_terminations.values():
        kind = str(ct.get("termination_type") or "")
        if not ct.get("site") and kind == "dcim.site":
            ct["site"] = ct.get("termination_id")
        elif not ct.get("site") and kind == "dcim.location":
            ct["site"] = records.locations.get(ct.get("termination_id"), {}).get("site")
    _legacy_terminations(records)
