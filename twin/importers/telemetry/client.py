"""Reading Redfish resources, bounded: from a mockup folder or a live service, GET only.

Why plain HTTP (urllib) and not a Redfish client library: the crawler needs the raw JSON of
every resource (CDUs, power shelves, busways and leak detectors are not in sushy's object
model), and it must stay in charge of what is fetched: a byte cap per resource, no redirects
and no `@odata.id` to another host (credentials must not travel), a timeout and bounded
retries per request. That is a few lines over the standard library, which the NetBox REST
reader already uses the same way, so no new runtime dependency.

- **Mockup folder** (DMTF's layout): `/redfish/v1/A/B` is `FOLDER/A/B/index.json`; only
  regular files inside the folder, each at most `MAX_BYTES`.
- **Service root** `http(s)://host[:port]/redfish/v1`: HTTPS verifies certificates
  (`ca_bundle` adds a CA file or folder; there is no switch to turn verification off).
  Credentials come from $TWIN_REDFISH_USER / $TWIN_REDFISH_PASSWORD, or a credentials file
  named by $TWIN_REDFISH_CREDENTIALS (TOML: `user`, `password`, optionally per host under
  `[hosts."host:port"]`); they are sent as HTTP Basic authentication and never written
  anywhere: errors and the recorded source name the host, never the user or password.

Every answer is JSON of at most `MAX_BYTES`, nested at most `MAX_DEPTH` deep; anything else
is a `Refusal` naming the resource.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.geometry.assetpath import AssetRefused, read_regular

ROOT = "/redfish/v1"
#: one resource larger than this is refused (a real resource is a few kB; a Sensors collection with
#: thousands of members expanded stays well under it)
MAX_BYTES = 4 * 1024 * 1024
#: JSON nested deeper than this is refused (Redfish resources are a handful of levels deep)
MAX_DEPTH = 32
#: attempts per request (a timeout or a 5xx is retried after a short pause; a 4xx is not)
ATTEMPTS = 3
RETRY_PAUSE_S = 0.5
#: one answer must have arrived whole within this many request timeouts
READ_TIMEOUTS = 3
USER_ENV, PASSWORD_ENV, CREDENTIALS_ENV = "TWIN_REDFISH_USER", "TWIN_REDFISH_PASSWORD", "TWIN_REDFISH_CREDENTIALS"


class Refusal(Exception):
    """One resource that could not be read or was refused; the crawl goes on without it."""


class Unreachable(Exception):
    """The whole service cannot be used (no answer, authentication refused, not Redfish)."""


def public_label(source: str) -> str:
    """The source as it may be recorded and shown: a URL without user, password, query or fragment."""
    parts = urllib.parse.urlsplit(source)
    if parts.scheme in ("http", "https"):
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") or "/", "", ""))
    return source


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply `value` nests (stops counting past `limit`); iterative, so it cannot overflow."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return depth
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))
    return deepest


def parse_json(body: bytes, where: str) -> dict[str, Any]:
    """A resource's JSON object, bounded in size and depth; `Refusal` otherwise."""
    if len(body) > MAX_BYTES:
        raise Refusal(f"{where}: over {MAX_BYTES:,} bytes; refused")
    # Count brackets first: json.loads itself recurses, and a megabyte of '[' exhausts the stack.
    text = body.decode("utf-8-sig", errors="replace")
    depth = run = 0
    for ch in text:
        if ch in "[{":
            run += 1
            depth = max(depth, run)
        elif ch in "]}":
            run -= 1
    if depth > MAX_DEPTH * 4:      # brackets inside strings count too: only a crude first cap
        raise Refusal(f"{where}: JSON nested over {MAX_DEPTH} deep; refused")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refusal(f"{where}: not JSON; refused") from None
    if depth_of(value) > MAX_DEPTH:
        raise Refusal(f"{where}: JSON nested over {MAX_DEPTH} deep; refused")
    if not isinstance(value, dict):
        raise Refusal(f"{where}: not a JSON object; refused")
    return value


class MockupFolder:
    """Resources of a DMTF mockup folder (the folder holds the service root's index.json)."""

    def __init__(self, folder: Path):
        self.folder = folder.resolve()
        self.label = str(self.folder)
        if not (self.folder / "index.json").is_file():
            raise TwinError(folder, "not a Redfish mockup folder (no index.json for the service root)")

    def get(self, path: str) -> dict[str, Any]:
        rel = path[len(ROOT):].strip("/") if path == ROOT or path.startswith(ROOT + "/") else None
        pieces = rel.split("/") if rel else []
        if rel is None or "\x00" in path or any(p in ("..", ".", "") for p in pieces):
            raise Refusal(f"{path}: not a path under {ROOT}; refused")
        file = (self.folder / urllib.parse.unquote(rel) / "index.json") if rel else self.folder / "index.json"
        try:
            resolved = file.resolve()
        except OSError:
            raise Refusal(f"{path}: not in the mockup") from None
        if not resolved.is_relative_to(self.folder):
            raise Refusal(f"{path}: leads out of the mockup folder; refused")
        if not resolved.is_file():
            raise Refusal(f"{path}: not in the mockup")
        try:
            body = read_regular(resolved, MAX_BYTES)
        except AssetRefused:
            raise Refusal(f"{path}: not a regular file of at most {MAX_BYTES:,} bytes; refused") from None
        return parse_json(body, path)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: a BMC that sends us elsewhere might send the credentials there."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class Service:
    """Resources of a live Redfish service, fetched with GET only (see the module docstring)."""

    def __init__(self, url: str, *, ca_bundle: str | None = None, timeout_s: float = 10.0):
        parts = urllib.parse.urlsplit(url)
        if parts.username or parts.password:
            raise TwinError(public_label(url), f"put no user or password in the URL; give them in ${USER_ENV} and "
                                               f"${PASSWORD_ENV} or a credentials file named by ${CREDENTIALS_ENV}")
        if parts.query or parts.fragment:
            raise TwinError(public_label(url), "give the service root alone, such as https://bmc:443/redfish/v1")
        if not parts.hostname:
            raise TwinError(url, "no host in the URL")
        self.label = public_label(url)
        self.scheme, self.netloc = parts.scheme, parts.netloc
        self.host = parts.hostname.lower()
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.timeout_s = timeout_s
        handlers: list[Any] = [_NoRedirect()]
        if parts.scheme == "https":
            context = ssl.create_default_context()
            if ca_bundle:
                bundle = Path(ca_bundle)
                if bundle.is_dir():
                    context.load_verify_locations(capath=str(bundle))
                elif bundle.is_file():
                    context.load_verify_locations(cafile=str(bundle))
                else:
                    raise TwinError(ca_bundle, "no such CA bundle (a PEM file or a folder of them)", where="--ca-bundle")
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)
        self.auth = _credentials(self.host, self.port)

    def same_origin(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme and not parts.netloc:
            return True
        return (parts.scheme == self.scheme and (parts.hostname or "").lower() == self.host
                and (parts.port or (443 if parts.scheme == "https" else 80)) == self.port)

    def get(self, path: str) -> dict[str, Any]:
        url = f"{self.scheme}://{self.netloc}{urllib.parse.quote(path, safe='/:@-._~!$&()*+,;=%')}"
        headers = {"Accept": "application/json", "OData-Version": "4.0"}
        if self.auth:
            headers["Authorization"] = self.auth
        last = ""
        for attempt in range(ATTEMPTS):
            request = urllib.request.Request(url, headers=headers, method="GET")
            try:
                with self.opener.open(request, timeout=self.timeout_s) as response:
                    body = self._read(response, path)
                return parse_json(body, path)
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise Unreachable(f"the service refused the credentials (HTTP {exc.code}) at {path}; set "
                                      f"${USER_ENV} and ${PASSWORD_ENV} or ${CREDENTIALS_ENV}") from None
                if 300 <= exc.code < 400:
                    raise Refusal(f"{path}: redirected (HTTP {exc.code}); not followed") from None
                if exc.code < 500:
                    raise Refusal(f"{path}: HTTP {exc.code} ({exc.reason})") from None
                last = f"HTTP {exc.code} ({exc.reason})"
            except (urllib.error.URLError, TimeoutError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, ssl.SSLCertVerificationError) or isinstance(exc, ssl.SSLCertVerificationError):
                    raise Unreachable(f"its certificate does not verify ({getattr(reason, 'verify_message', reason)}); "
                                      "give the CA that signed it with --ca-bundle") from None
                last = f"{reason}"
            if attempt + 1 < ATTEMPTS:
                time.sleep(RETRY_PAUSE_S * (attempt + 1))
        raise Unreachable(f"no answer from {self.host}:{self.port} at {path} after {ATTEMPTS} tries "
                          f"({last}; timeout {self.timeout_s:g} s each)")


    def _read(self, response: Any, path: str) -> bytes:
        """The body, at most MAX_BYTES + 1, within READ_TIMEOUTS timeouts in all (a BMC that drips
        a byte a second would otherwise hold the crawl for days)."""
        until = time.monotonic() + self.timeout_s * READ_TIMEOUTS
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = response.read1(min(65536, MAX_BYTES + 1 - size))     # what has arrived, not a full 64 KiB
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > until:
                raise Refusal(f"{path}: still arriving after {self.timeout_s * READ_TIMEOUTS:g} s; refused")
        return b"".join(chunks)


def _credentials(host: str, port: int) -> str:
    """The Basic authorization header value from the environment or the credentials file ('' for none)."""
    user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    file = os.environ.get(CREDENTIALS_ENV, "")
    if file and not user:
        try:
            data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise TwinError(file, f"cannot read the Redfish credentials file ({type(exc).__name__})",
                            where=f"${CREDENTIALS_ENV}") from None
        hosts = data.get("hosts") if isinstance(data.get("hosts"), dict) else {}
        entry = hosts.get(f"{host}:{port}") or hosts.get(host) or data
        if isinstance(entry, dict):
            user, password = str(entry.get("user", "")), str(entry.get("password", ""))
    if not user:
        return ""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
