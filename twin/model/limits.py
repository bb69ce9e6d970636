"""The limits twin holds every input to, in one table, so nothing allocates without bound.

Specs, design files and mesh files come from other people: a typo (`racks = 10000000`) or a
hostile edit (a hall 10,000 km wide) must end in one clear error naming the key or row and
the limit, before any memory is spent, never in a process the kernel kills. Each limit is
generous against the largest real design twin is meant for (a campus of ~6,000 racks, about
four times hall-2000) and small against the machine (a few GB of memory).

Code reads the limits through `LIMITS[...]` (or the `limit()` helper, which also says what
the number means in an error message), so the table below is the one place to change them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One bound: its value and the unit or thing it counts, for error messages."""

    value: float
    what: str

    def text(self) -> str:
        value = int(self.value) if float(self.value).is_integer() else self.value
        return f"{value:,} {self.what}"


LIMITS: dict[str, Limit] = {
    # design size (checked on the spec before generation and on a design file before loading)
    "racks": Limit(50_000, "racks"),
    "parts": Limit(2_000_000, "parts"),
    "cables": Limit(8_000_000, "cables"),
    "ports": Limit(16_000_000, "ports"),
    "ports_per_part": Limit(4_096, "ports on one part"),
    "parts_per_rack": Limit(512, "parts in one rack template"),
    "rows": Limit(10_000, "rows"),
    "repeat": Limit(1_000, "copies of a row along one axis"),
    "cdus_per_row": Limit(64, "CDUs in one row"),
    "crah_count": Limit(2_000, "CRAH units"),
    "switchboards": Limit(1_000, "switchboards"),
    "ups_per_switchboard": Limit(26, "UPS units per switchboard (named A…Z)"),
    "part_types": Limit(100_000, "part types"),
    "sensors": Limit(1_000_000, "sensors"),
    "readings": Limit(100_000_000, "readings"),
    "telemetry_steps": Limit(200_000, "time steps of telemetry"),
    # physical extent
    "hall_size_m": Limit(5_000.0, "m along one side of a hall"),
    "hall_height_m": Limit(200.0, "m of hall height"),
    "part_size_m": Limit(500.0, "m along one side of a part"),
    "coordinate_m": Limit(100_000.0, "m from the origin"),
    # meshes
    "triangles_per_mesh": Limit(2_000_000, "triangles in one mesh"),
    "triangles_per_scene": Limit(20_000_000, "triangles in the meshes of one design"),
    "step_tessellate_seconds": Limit(600, "seconds to tessellate one STEP file"),
    "step_tessellate_bytes": Limit(6 * 1024 ** 3, "bytes of memory for tessellating one STEP file"),
    "mesh_file_bytes": Limit(256 * 1024 * 1024, "bytes in one binary mesh file"),
    "mesh_text_bytes": Limit(64 * 1024 * 1024, "bytes in one text mesh file (OBJ, ASCII STL/PLY, OFF, glTF JSON)"),
    "mesh_side_file_bytes": Limit(128 * 1024 * 1024, "bytes in one file a mesh refers to (glTF buffer, image, OBJ material)"),
    "mesh_inflated_bytes": Limit(256 * 1024 * 1024, "bytes inside a zip container once inflated"),
    "file_name_bytes": Limit(255, "bytes in one file name"),
    "field_points": Limit(64_000_000, "points (or cells) in a CFD field"),
    # other files and text
    "spec_file_bytes": Limit(16 * 1024 * 1024, "bytes in a spec file"),
    "spec_nesting": Limit(32, "levels of nested tables or lists in a spec"),
    "search_chars": Limit(200, "characters in a search"),
    # imported files (NetBox device-type libraries and dumps)
    "import_file_bytes": Limit(2 * 1024 * 1024, "bytes in one device-type library file (YAML or JSON schema)"),
    "netbox_dump_bytes": Limit(512 * 1024 * 1024, "bytes in a NetBox dump (parsed whole, ~8x in memory)"),
    "import_nesting": Limit(32, "levels of nested lists or mappings in an imported file"),
    "yaml_aliases": Limit(1_000, "YAML aliases (*name) in one file"),
    "yaml_nodes": Limit(1_000_000, "YAML values in one file once its aliases are expanded"),
    "name_chars": Limit(200, "characters in a name"),
    # what the screen can show: derived geometry is thinned to these
    "grid_lines_per_axis": Limit(400, "floor grid lines along one axis"),
    "row_labels": Limit(24, "row labels"),
}


def limit(key: str) -> float:
    """The value of limit `key` (KeyError for a name not in the table)."""
    return LIMITS[key].value


def over(key: str, value: float) -> str | None:
    """None when `value` is within limit `key`, else the phrase for an error message."""
    if value <= LIMITS[key].value:
        return None
    shown = f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
    return f"{shown} is over the limit of {LIMITS[key].text()}"
