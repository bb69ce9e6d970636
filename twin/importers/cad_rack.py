"""A CAD rack assembly (STEP) → a proposed twin rack type: its frame, and slots at U positions.

A rack engineer's STEP export of a populated rack is an assembly: the frame's members
(posts, rails, side panels, doors) and the equipment mounted in it, each a child of the
top assembly (often an assembly of its own). twin reads it as a mesh (`load_mesh`, which
keeps every part's assembly path and bounds) and proposes:

- the frame: the assembly's outer size, with the STEP itself as its mesh;
- the pitch: EIA-310 (1U = 44.45 mm) or Open Rack (OU = 48 mm), whichever puts more of the
  children on a whole number of units both in height and in position;
- the slots: each child of the top assembly that is not a frame member (a frame member
  stands at least half the rack's height) and sits on that grid becomes a part type of
  its height in U at its U position, counted from the lowest unit the rails reach (the
  highest bottom among the frame members: rails on a plinth, posts on the floor);
- gaps between slots as blanking panels, so the proposed template stacks to the same U.

What it cannot place it says, child by child: not a whole number of units high, off the
grid, overlapping a slot already taken, or too small to be mounted equipment (screws,
brackets). The proposal is a starting point to edit, not a verdict: CAD carries no
meaning, only shapes and names.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.errors import TwinError

EIA_U_M = 0.04445
OPEN_RACK_OU_M = 0.048
PITCHES = (("EIA-310 U", EIA_U_M), ("Open Rack OU", OPEN_RACK_OU_M))
GRID_TOL_M = 0.002          # a child's bottom may sit this far off the unit grid
HEIGHT_SLACK_M = 0.0015     # equipment is a little under its units (a 1U server is 43.66 mm of 44.45)
HEIGHT_TOL_M = 0.0005       # ... and never more than this over them
FRAME_SHARE = 0.5           # a child at least this share of the rack's height is a frame member
_KIND_WORDS = (("power_shelf", r"power|psu|shelf"), ("switch_tray", r"nvlink|switch"),
               ("compute_tray", r"tray|server|compute|node|gpu|blade"), ("cdu", r"\bcdu\b"),
               ("pdu", r"\bpdu\b"))


@dataclass
class Slot:
    name: str
    u: int
    u_height: int
    size: tuple[float, float, float]


@dataclass
class RackProposal:
    """What `propose_rack_type` found: the frame, the slots, and what it could not place (name, why)."""

    name: str
    size: tuple[float, float, float]
    pitch_name: str
    pitch_m: float
    rack_u: int
    base_z_m: float
    slots: list[Slot] = field(default_factory=list)
    unplaced: list[tuple[str, str]] = field(default_factory=list)
    frame_members: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def propose_rack_type(step: str | Path, name: str, cache_dir: Path | None = None) -> RackProposal:
    """Read the STEP assembly at `step` and propose a rack type `name`; TwinError when it is no mesh.

    The tessellation is cached in `cache_dir` when one is given (the CLI gives `.twin-cache/`
    beside its output), so proposing again, or drawing the frame later, does not tessellate.
    """
    from twin.geometry import load_mesh

    path = Path(step)
    quiet = logging.getLogger("twin.geometry")
    was, quiet.disabled = quiet.disabled, True      # a placeholder becomes the error below, not a warning too
    try:
        result = load_mesh(path, cache_dir=cache_dir)
    finally:
        quiet.disabled = was
    for warning in result.warnings if not result.placeholder else []:
        logging.getLogger("twin.importers").warning(warning)
    if result.placeholder:
        reason = result.warnings[0].split(": ", 1)[-1] if result.warnings else "unusable"
        raise TwinError(path, reason.replace("; using a placeholder box", ""))
    size = tuple(float(v) for v in result.mesh.size)
    children = _children(result.parts)
    height = size[2]
    frame = {n: b for n, b in children.items() if b[1][2] - b[0][2] >= FRAME_SHARE * height}
    mounted = {n: b for n, b in children.items() if n not in frame}
    pitch_name, pitch, phase = _pitch(mounted)
    proposal = RackProposal(name, size, pitch_name, pitch, 0, 0.0, frame_members=sorted(frame))
    if not frame:
        proposal.notes.append("no frame member (a child at least half the rack's height): the rails are taken "
                              "to span the whole assembly")
    # the units run where every frame member reaches: above the highest bottom (rails stand on a
    # plinth, posts on the floor) and below the lowest top, but always around the equipment
    sized = [(lo[2], hi[2]) for lo, hi in mounted.values()
             if hi[2] - lo[2] >= 0.5 * pitch and _units(hi[2] - lo[2], pitch) is not None]
    bottoms, tops = [b for b, _ in sized], [t for _, t in sized]
    rail_lo = min([max((b[0][2] for b in frame.values()), default=0.0)] + bottoms)
    rail_hi = max([min((b[1][2] for b in frame.values()), default=height)] + tops)
    base = phase + math.ceil((rail_lo - phase - GRID_TOL_M) / pitch) * pitch
    proposal.base_z_m = round(base, 4)
    proposal.rack_u = max(0, int(math.floor((rail_hi - base + GRID_TOL_M) / pitch)))
    if proposal.rack_u == 0:
        raise TwinError(path, f"not a rack: the assembly is {height * 1000:.1f} mm high, less than one "
                              f"{pitch_name} ({pitch * 1000:g} mm) between its frame members")
    if not mounted:
        proposal.notes.append("no child besides the frame members: an empty rack type")
    taken: dict[int, str] = {}
    small = 0
    for child, (lo, hi) in sorted(mounted.items(), key=lambda kv: (kv[1][0][2], kv[0])):
        h = hi[2] - lo[2]
        if h < 0.5 * pitch:
            small += 1
            proposal.unplaced.append((child, f"{h * 1000:.1f} mm high: too small to be mounted equipment"))
            continue
        units = _units(h, pitch)
        if units is None:
            proposal.unplaced.append((child, f"{h * 1000:.1f} mm high is not a whole number of {pitch_name}s "
                                             f"({pitch * 1000:g} mm)"))
            continue
        offset = (lo[2] - base) / pitch
        if abs(offset - round(offset)) * pitch > GRID_TOL_M:
            proposal.unplaced.append((child, f"its bottom at {lo[2] * 1000:.1f} mm is "
                                             f"{abs(offset - round(offset)) * pitch * 1000:.1f} mm off the "
                                             f"{pitch_name} grid"))
            continue
        u = round(offset) + 1
        if u < 1 or u + units - 1 > proposal.rack_u:
            proposal.unplaced.append((child, f"U{u}–U{u + units - 1} is outside the rails' U1–U{proposal.rack_u}"))
            continue
        clash = next((taken[k] for k in range(u, u + units) if k in taken), None)
        if clash:
            proposal.unplaced.append((child, f"U{u}–U{u + units - 1} overlaps {clash}"))
            continue
        for k in range(u, u + units):
            taken[k] = child
        proposal.slots.append(Slot(child, u, units, tuple(round(float(v), 4) for v in np.asarray(hi) - lo)))
    if small:
        proposal.notes.append(f"{small} small children (fasteners, brackets…) were not taken for equipment")
    return proposal


def _children(parts) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Bounds of each child of the top assembly, from its parts' bounds (depth 1 of their paths)."""
    paths = [p.path or (p.name,) for p in parts]
    tops = {p[0] for p in paths}
    depth = 1 if len(tops) == 1 and all(len(p) > 1 for p in paths) else 0
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for part, path in zip(parts, paths):
        key = path[min(depth, len(path) - 1)]
        lo, hi = np.asarray(part.lo, float), np.asarray(part.hi, float)
        if key in out:
            lo, hi = np.minimum(out[key][0], lo), np.maximum(out[key][1], hi)
        out[key] = (lo, hi)
    return out


def _pitch(mounted: dict[str, tuple[np.ndarray, np.ndarray]]) -> tuple[str, float, float]:
    """(name, pitch, grid phase) of the pitch that puts the most children on whole units."""
    best = (-1, PITCHES[0][0], PITCHES[0][1], 0.0)
    for name, pitch in PITCHES:
        bottoms = [lo[2] for lo, _ in mounted.values()]
        heights = [hi[2] - lo[2] for lo, hi in mounted.values()]
        fits = [h >= 0.5 * pitch and _units(h, pitch) is not None for h in heights]
        phase, score = 0.0, 0
        for z in [b for b, ok in zip(bottoms, fits) if ok]:
            p = z % pitch
            on = sum(ok and min((b - p) % pitch, pitch - (b - p) % pitch) <= GRID_TOL_M for b, ok in zip(bottoms, fits))
            if on > score:
                phase, score = p, on
        if score > best[0]:
            best = (score, name, pitch, phase)
    return best[1], best[2], best[3]


def _units(height: float, pitch: float) -> int | None:
    """Whole units of `pitch` a child `height` high takes (a little under is allowed), or None."""
    n = max(1, math.ceil((height - HEIGHT_TOL_M) / pitch))
    return n if height >= n * pitch - HEIGHT_SLACK_M - HEIGHT_TOL_M else None


def guess_kind(name: str) -> str:
    """A twin part kind from a CAD child's name (`GB200-compute-tray-3` → compute_tray), else `device`."""
    text = name.lower()
    return next((kind for kind, pattern in _KIND_WORDS if re.search(pattern, text)), "device")


def proposal_toml(p: RackProposal, step: Path, out: Path) -> str:
    """The proposal as catalog TOML (suppliers, part types) and a rack template to copy into a spec."""
    import json
    import os

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    def key(text: str) -> str:
        return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else q(text)

    rel = os.path.relpath(Path(step).resolve(), Path(out).resolve().parent)
    lines = [f"# Rack type {p.name!r} proposed by `twin import cad` from {Path(step).name}:",
             f"# {p.pitch_name} pitch ({p.pitch_m * 1000:g} mm), {p.rack_u} units from z = {p.base_z_m:.4f} m in the "
             "CAD model.", f"# Frame members: {', '.join(p.frame_members) or 'none found'}.",
             "# The part types are a catalog (name this file in a spec's [catalog]); copy [rack_templates] into the "
             "spec.", "# Edit the kinds, masses and power: CAD gives shapes and names only."]
    if p.unplaced:
        lines.append("# Not placed:")
        lines += [f"#   {n}: {why}" for n, why in p.unplaced]
    lines += ["", "[suppliers]", 'unknown = { name = "unknown", country = "" }', "",
              f"[part_types.{key(p.name)}]", 'kind = "rack"', 'vendor = ""', f"model = {q(Path(step).stem)}",
              "u_height = 0", f"size = [{p.size[0]:.4f}, {p.size[1]:.4f}, {p.size[2]:.4f}]",
              f"u_pitch_m = {p.pitch_m}", 'supplier = "unknown"',
              f"# mesh = {q(rel)}   # the whole assembly, equipment included: the slots would be drawn twice"]
    types: dict[tuple, str] = {}
    for slot in p.slots:
        sig = (slot.u_height, slot.size, guess_kind(slot.name))
        if sig in types:
            continue
        tname = f"{p.name}-{re.sub(r'[^a-z0-9]+', '-', slot.name.lower()).strip('-') or 'slot'}"
        types[sig] = tname
        lines += ["", f"[part_types.{key(tname)}]", f"kind = {q(sig[2])}", f"model = {q(slot.name)}",
                  f"u_height = {slot.u_height}", f"size = [{slot.size[0]:.4f}, {slot.size[1]:.4f}, {slot.size[2]:.4f}]",
                  f"u_pitch_m = {p.pitch_m}", 'supplier = "unknown"']
    blank = f"{p.name}-blank-1u"
    layout, u = [], 1
    for slot in sorted(p.slots, key=lambda s: s.u):
        if slot.u > u:
            layout.append((blank, slot.u - u, f"U{u}–U{slot.u - 1} empty"))
        layout.append((types[(slot.u_height, slot.size, guess_kind(slot.name))], 1,
                       f"U{slot.u}" + (f"–U{slot.u + slot.u_height - 1}" if slot.u_height > 1 else "") + f" {slot.name}"))
        u = slot.u + slot.u_height
    if any(t == blank for t, _, _ in layout):
        lines += ["", f"[part_types.{key(blank)}]", 'kind = "blanking_panel"', 'model = "blanking panel (empty U)"',
                  "u_height = 1", f"size = [0.4826, 0.0100, {p.pitch_m - 0.0015:.4f}]", f"u_pitch_m = {p.pitch_m}",
                  'supplier = "unknown"']
    lines += ["", f"[rack_templates.{key(p.name)}]", f"frame = {q(p.name)}", "layout = ["]
    lines += [f"  {{ type = {q(t)}, count = {n} }},   # {what}" for t, n, what in layout]
    lines.append("]")
    return "\n".join(lines) + "\n"
