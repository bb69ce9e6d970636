"""`make bench`: every benchmark script in turn, each printing its own table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in ("build_load.py", "scene.py", "opening.py", "netbox_import.py", "power.py", "cabling.py", "exports.py", "site_exports.py", "review.py", "orbit.py", "history.py", "contingency.py"):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
