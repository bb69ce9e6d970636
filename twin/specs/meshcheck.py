"""Check at build time that every mesh a spec names can be used where the design will live.

A mesh path is looked up the way the viewer will look it up (`twin.geometry.assetpath`):
beside the design file, beside the spec, or in assets/. Building `scenes/x.toml` into
`build/x.twin.db` therefore keeps meshes kept beside the spec, and a mesh that is missing
or not allowed is reported now, naming the spec key, rather than becoming a silent
placeholder in the first review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.geometry.assetpath import REFUSED, AssetRefused, design_roots, resolve_contained


def spec_folder_meta(spec: dict[str, Any]) -> tuple[str, str]:
    """The meta row that tells the viewer which spec folder the design's meshes may come from."""
    return "spec_folder", str(Path(spec["source"]).resolve().parent)


def mesh_warnings(spec: dict[str, Any], out_path: Path) -> list[str]:
    """One warning per part type whose mesh cannot be used from `out_path` (used types first)."""
    source = Path(spec["source"])
    roots = design_roots(out_path, str(source.resolve().parent), source.name)
    warnings = []
    for name, part_type in spec["part_types"].items():
        mesh = part_type["mesh"]
        if not mesh:
            continue
        try:
            resolve_contained(mesh, roots)
        except AssetRefused:
            warnings.append(f"{source}: part_types.{name}.mesh: {mesh!r} is {REFUSED}; "
                            "the viewer will draw a placeholder box")
    return warnings
