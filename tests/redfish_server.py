"""Real HTTP servers for the telemetry tests: sushy-static serving a DMTF Redfish mockup, and a
tiny server that demands credentials (HTTP 401) for every request. Each runs as its own process
on 127.0.0.1 and a free port; what it was asked is logged to a file the test may read."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

SUSHY_STATIC = Path(sys.executable).with_name("sushy-static")

AUTH_SERVER = r'''
import base64
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization") or ""
        user = base64.b64decode(auth[6:]).decode().split(":")[0] if auth.startswith("Basic ") else ""
        sys.stdout.write("GET %s auth=%s user=%s\n" % (self.path, "yes" if auth else "no", user))
        sys.stdout.flush()
        body = b'{"error": {"code": "Base.1.0.NoValidSession", "message": "authentication required"}}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="redfish"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


DRIP_SERVER = r'''
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if self.path.startswith("/redfish/v1"):
            self.wfile.write(b'{"Name": "')
            for _ in range(100000):                  # a byte every 0.1 s: each read is quick, the whole never ends
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        else:
            self.wfile.write(b"{}")

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, seconds: float = 20.0) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if proc.poll() is not None:
            raise RuntimeError(f"the server for {url} exited with {proc.returncode}")
        try:
            # the probe only asks whether the port answers; the code under test verifies certificates
            probe = ssl._create_unverified_context() if url.startswith("https:") else None
            urllib.request.urlopen(url, timeout=1, context=probe).close()
            return
        except urllib.error.HTTPError:
            return                      # it answers (401 is an answer)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds} s")


@contextlib.contextmanager
def _process(argv: list[str], url: str, log: Path) -> Iterator[str]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def mockup_server(folder: Path, log: Path, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """sushy-static serving `folder` (a DMTF mockup: the service root's index.json in it); yields the root URL.
    `tls`: (certificate, key) PEM files to serve HTTPS with."""
    port = free_port()
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/redfish/v1"
    argv = [str(SUSHY_STATIC), "-i", "127.0.0.1", "-p", str(port), "-m", str(folder)]
    if tls:
        argv += ["-c", str(tls[0]), "-k", str(tls[1])]
    with _process(argv, url, log) as root:
        yield root


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl), as PEM files in `folder`."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@contextlib.contextmanager
def auth_server(folder: Path) -> Iterator[tuple[str, Path]]:
    """A server answering 401 to everything; yields (root URL, its request log)."""
    script, log = folder / "auth_server.py", folder / "auth_server.log"
    script.write_text(AUTH_SERVER)
    port = free_port()
    url = f"http://127.0.0.1:{port}/redfish/v1"
    with _process([sys.executable, str(script), str(port)], url, log):
        yield url, log


@contextlib.contextmanager
def drip_server(folder: Path) -> Iterator[str]:
    """A server whose service root (/redfish/v1/) answers one byte every 0.1 s, forever; yields its root URL."""
    script = folder / "drip_server.py"
    script.write_text(DRIP_SERVER)
    port = free_port()
    with _process([sys.executable, str(script), str(port)], f"http://127.0.0.1:{port}/", folder / "drip.log"):
        yield f"http://127.0.0.1:{port}/redfish/v1/"
