"""The scripting API: `twin.open(path)` and everything a pipeline asks of a design.

    import twin
    t = twin.open("build/ai-hall.twin.db")
    t.view(overlay="thermal", camera="rack:A06").save_image("a06.png", size=(1920, 1080))
    for f in t.findings():
        print(f.to_text())
    t.export_glb("hall.glb", overlay="power")

A thin facade over the same pieces the app and the CLI use: the design loaded by
`twin.store`, one `ReviewSession` (analysis results cached), one export scene reused for
every image (`twin.export.batch.ImageRenderer`), and the GLB/USD/report/CSV writers. No Qt
is imported and no display is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from twin.analysis.findings import Finding, findings_to_dicts
from twin.model import Design
from twin.session import ReviewSession


class Twin:
    """An open design file: its model (`design`), its review session (`session`) and exports."""

    def __init__(self, design: Design, at: str | None = None):
        self.design = design
        self.session = ReviewSession(design, at)
        self._renderer = None

    @property
    def path(self) -> Path:
        return Path(self.design.source)

    # ------------------------------------------------------------------ questions
    def racks(self, row: str | None = None) -> list[str]:
        """Rack names (of one row), in the design's order."""
        from twin.export.batch import rack_names

        return rack_names(self.session, row)

    def rows(self) -> list[str]:
        """Row names, sorted."""
        return sorted(set(self.design.racks.row.tolist()))

    def overlays(self) -> dict[str, str | None]:
        """Every overlay → None when it can be shown on this design, else why not."""
        return self.session.overlay_availability()

    def findings(self, analyses: Iterable[str] | None = None) -> list[Finding]:
        """Findings of every available analysis (or of `analyses`), most severe first."""
        return self.session.findings(analyses)

    def parts(self) -> dict[str, np.ndarray]:
        """The parts table as named numpy columns (name, kind, vendor, supplier, power_w, rack…)."""
        from twin.export.parts_table import parts_table

        return parts_table(self.design)

    def parts_records(self) -> list[dict[str, Any]]:
        """The parts table as plain Python rows (one dict per part; for small designs and JSON)."""
        from twin.export.tables import records

        return records(self.parts())

    def findings_records(self, analyses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The findings as plain Python dicts (JSON-ready)."""
        return findings_to_dicts(self.findings(analyses))

    def summary(self) -> dict[str, Any]:
        """Counts, power and cabling of the design (what `twin info --json` prints)."""
        from twin.analysis.summary import design_summary

        return design_summary(self.design)

    # ------------------------------------------------------------------ images
    def view(self, overlay: str = "none", camera: str = "iso") -> "View":
        """A view of the design: `camera` is iso, top, front, aisle, rack:NAME or rack:NAME:VIEW
        (VIEW: front, iso, top, rear); `overlay` one of `overlays()`. Checked at once."""
        renderer = self.renderer()
        renderer.check_overlay(overlay)
        renderer.check_camera(camera)
        return View(self, camera, overlay)

    def renderer(self):
        """The export scene, built on first use and reused for every later image."""
        if self._renderer is None:
            from twin.export.image import ImageRenderer

            self._renderer = ImageRenderer(self.session)
        return self._renderer

    # ------------------------------------------------------------------ exports
    def export_glb(self, path: str | Path, overlay: str = "none") -> Path:
        """Write a GLB (Y up, metres; overlay colours baked in; part metadata in node extras)."""
        from twin.export.glb import export_glb

        return export_glb(self.design, path, overlay=self._overlay(overlay))

    def export_usd(self, path: str | Path, overlay: str = "none") -> Path:
        """Write an OpenUSD stage (Z up, metres; needs the `usd` extra: usd-core)."""
        from twin.export.usd import export_usd

        return export_usd(self.design, path, overlay=self._overlay(overlay))

    def report(self, path: str | Path, size: tuple[int, int] = (960, 540)) -> Path:
        """Write the self-contained HTML review report (summary, findings, an image per overlay, notes)."""
        from twin.export.report import write_report

        return write_report(self.session, path, size=size, renderer=self.renderer())

    def export_csv(self, folder: str | Path) -> list[Path]:
        """Write parts.csv and findings.csv into `folder`; returns their paths."""
        from twin.export.tables import write_csv_tables

        return write_csv_tables(self.session, folder)

    def _overlay(self, name: str):
        from twin.errors import TwinError

        try:
            return self.session.overlay(name)
        except ValueError as exc:
            raise TwinError(self.design.source, str(exc), where="overlay") from None


@dataclass(frozen=True)
class View:
    """A camera and an overlay on an open design; renders through the design's one export scene."""

    twin: Twin
    camera: str = "iso"
    overlay: str = "none"

    def image(self, size: tuple[int, int] = (1920, 1080)) -> np.ndarray:
        """The view as an (h, w, 3) uint8 array, top row first."""
        return self.twin.renderer().render(self.camera, self.overlay, size)

    def save_image(self, path: str | Path, size: tuple[int, int] = (1920, 1080)) -> Path:
        """Render and write a PNG (through a temp file and a rename); returns the path."""
        from twin.export.image import write_png

        return write_png(self.image(size), path)


def open_design(path: str | Path, at: str | None = None) -> Twin:
    """Open a `.twin.db` design file; `at` picks the sensor readings moment (default: latest)."""
    from twin.store import load_design

    return Twin(load_design(path), at)
