"""A real Redfish service for tests: sushy-tools' `sushy-static` serving a copy of a DMTF mockup
on 127.0.0.1 (it reads the files again on every request, so a test edits a reading by editing
the copied file), with chosen chassis serial numbers."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def redfish_service(mockup: Path, copy: Path, serials: dict[str, str] | None = None) -> Iterator[str]:
    """Serve a copy of `mockup` (at `copy`) and yield its service root URL. `serials`: resource
    folder (e.g. 'Chassis/1U') → the SerialNumber written into its index.json."""
    shutil.copytree(mockup, copy)
    for folder, serial in (serials or {}).items():
        index = copy / folder / "index.json"
        doc = json.loads(index.read_text())
        doc["SerialNumber"] = serial
        index.write_text(json.dumps(doc, indent=4))
    port = free_port()
    exe = Path(sys.executable).with_name("sushy-static")
    proc = subprocess.Popen([str(exe), "--mockup-files", str(copy), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/redfish/v1"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"sushy-static did not start on port {port}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
