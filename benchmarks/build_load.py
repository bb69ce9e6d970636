"""How long the sample scenes take to build (spec → .twin.db) and to load into the model.

Each figure is the median of several runs in this process. Targets (hall-2000, 2 cores):
build under 60 s, load under 3 s.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, SCENES, median_time, print_table  # noqa: E402

from twin.specs import build_design  # noqa: E402
from twin.store import load_design  # noqa: E402


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCENES:
            out = Path(tmp) / f"{name}.twin.db"
            spec = REPO / "scenes" / f"{name}.toml"
            repeats = 3 if name == "hall-2000" else 5
            build_s = median_time(lambda spec=spec, out=out: build_design(spec, out), repeats)
            load_s = median_time(lambda out=out: load_design(out), repeats)
            design = load_design(out)
            rows.append([name, f"{len(design.racks):,}", f"{len(design.parts):,}", f"{len(design.cables):,}",
                         f"{out.stat().st_size / 2**20:.1f}", f"{build_s:.2f}", f"{load_s:.3f}"])
    print_table("build and load (median seconds)", ["scene", "racks", "parts", "cables", "MiB", "build s", "load s"],
                rows)


if __name__ == "__main__":
    main()
