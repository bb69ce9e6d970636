"""A served copy of a DMTF Redfish mockup for the live-mode tests: the copy's chassis serial
numbers set to parts of a design, served by sushy-static (`tests.redfish_server`), which reads
the files again on every request, so a test changes a reading by editing the copied file."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Iterator

from tests.redfish_server import free_port, mockup_server

__all__ = ["free_port", "redfish_service"]


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
    with mockup_server(copy, copy.parent / f"{copy.name}-server.log") as url:
        yield url
