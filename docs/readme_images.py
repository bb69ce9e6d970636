"""The README's exported hall images (docs/images/hall-*.png), drawn by the path `twin export image` takes.

    .venv/bin/python docs/readme_images.py build/ai-hall.twin.db

Each entry is what the command line would be given (view, overlay, size, field), so an image
can be checked by running the same `twin export image` by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from twin.export.image import render_design, write_png
from twin.session import ReviewSession
from twin.store import load_design

DOCS = Path(__file__).resolve().parent
FIELD = DOCS.parent / "scenes" / "ai-hall-air.vti"

IMAGES = {
    "hall-thermal": dict(view="iso", overlay="thermal", size=(1600, 900)),
    "hall-cooling": dict(view="iso", overlay="cooling", size=(1600, 900)),
    "hall-field": dict(view="iso", size=(1600, 900), field=FIELD, field_slice="z=1.2", iso=40.0),
    "hall-supply": dict(view="top", overlay="supply", size=(1600, 900)),
    "hall-power": dict(view="top", overlay="power", size=(1920, 1080)),
    "hall-power-trace": dict(view="iso", overlay="power", size=(1920, 1080)),
}


def trace_a06_tray(session: ReviewSession) -> None:
    """Light up the power chain of A06's first compute tray, as the Power panel's trace does."""
    d = session.design
    tray = int(np.flatnonzero((d.parts.rack == d.rack_index("A06")) & (d.part_kind() == "compute_tray"))[0])
    trace = session.result("power").detail.trace(d, part=tray)
    session.view.highlight(parts=trace.parts, cables=trace.cables)


#: What the view state shows besides everything (a trace), per image.
STATES = {"hall-power-trace": trace_a06_tray}


def main(path: str, names: list[str]) -> None:
    design = load_design(path)
    for name in names or list(IMAGES):
        session = ReviewSession(design)
        if name in STATES:
            STATES[name](session)
        image, _ = render_design(design, session=session, **IMAGES[name])
        print("wrote", write_png(image, DOCS / "images" / f"{name}.png"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
