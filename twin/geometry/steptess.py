"""STEP (AP203, AP214, AP242) → triangles, tessellated once per file content and cached.

A STEP file is exact geometry (B-rep), not triangles: OpenCASCADE, through cascadio,
tessellates it at a stated tolerance into GLB, which trimesh reads back with the
assembly's node names and transforms. Lengths come from the file: OpenCASCADE applies the
file's own length unit (metre, millimetre, inch…) and writes metres, so a STEP carries no
`mesh_units` of its own.

Tessellating a rack assembly takes seconds to minutes, so it is never done twice for the
same bytes: the result is kept in a cache folder (by default `.twin-cache/step/` beside
the design), one `.npz` file per content hash and tolerance, written atomically
(temporary file, fsync, rename). A cache entry is checked before it is used (its key, its
arrays' shapes and index ranges, a SHA-256 of its arrays): a corrupt or foreign entry is
re-made, never trusted. A cache folder that cannot be written costs only speed.

OpenCASCADE runs in a child process (`_step_child.py`) under a memory cap and a timeout,
so a STEP file that crashes or stalls it becomes a placeholder with a reason, not a dead
viewer.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.model.limits import LIMITS, limit

from .assetpath import AssetRefused, read_regular

log = logging.getLogger("twin.geometry")

STEP_SUFFIXES = (".step", ".stp")
#: Tessellation tolerance: chordal deviation at most 0.1 of OpenCASCADE's working length unit
#: (millimetres) and 0.5 rad between the normals of neighbouring facets; absolute, not relative
#: to the edge length, so a small fillet on a 2 m rack frame is drawn as finely as on a 1U tray.
TOL_LINEAR_MM = 0.1
TOL_ANGULAR_RAD = 0.5
CACHE_FORMAT = 2
TESSELLATE_SECONDS = float(limit("step_tessellate_seconds"))
TESSELLATE_MEMORY = int(limit("step_tessellate_bytes"))

_stats_lock = threading.Lock()
#: How many times OpenCASCADE was run in this process (tests and benchmarks read it).
tessellations = 0


class StepUnusable(Exception):
    """A STEP file that cannot become a mesh; the message is the reason."""


@dataclass(frozen=True)
class StepParts:
    """Triangles of a STEP file in metres with per-part face counts (assembly order) and names."""

    vertices: np.ndarray          # (n, 3) float64, metres, the file's own axes (Z up in CAD)
    faces: np.ndarray             # (m, 3) int64
    colors: np.ndarray | None     # (m, 3) uint8 or None
    names: tuple[str, ...]        # one per part (assembly leaf), as the file names it
    part_faces: np.ndarray        # (k,) int64: faces of each part, in order; sums to m
    schema: str                   # AP203 / AP214 / AP242 / the FILE_SCHEMA text
    cached: bool                  # read from the cache, not tessellated now
    paths: tuple[tuple[str, ...], ...] = ()   # each part's assembly path, top assembly first, the part last


def is_step(path: str | Path) -> bool:
    return Path(path).suffix.lower() in STEP_SUFFIXES


def step_schema(data: bytes) -> str:
    """The application protocol a STEP file declares; raises StepUnusable when it is not STEP."""
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.upper().startswith(b"ISO-10303-21;"):
        raise StepUnusable("not a STEP file (no ISO-10303-21 header)")
    tail = data[-4096:].rstrip().upper()
    if not tail.endswith(b"END-ISO-10303-21;"):
        raise StepUnusable("truncated STEP file (no END-ISO-10303-21; at its end)")
    upper = head.upper()
    at = upper.find(b"FILE_SCHEMA")
    text = upper[at:at + 400].decode("ascii", "replace") if at >= 0 else ""
    for ap, words in (("AP242", ("AP242", "MANAGED_MODEL_BASED")), ("AP214", ("AUTOMOTIVE_DESIGN", "AP214")),
                      ("AP203", ("CONFIG_CONTROL_DESIGN", "AP203"))):
        if any(w in text for w in words):
            return ap
    return text.split("(")[-1].strip(" ')\r\n;") if text else "unknown schema"


def cache_key(data: bytes) -> str:
    """What a cache entry is valid for: the file's bytes, the tolerance and the tessellator."""
    try:
        from importlib.metadata import version

        tess = version("cascadio")
    except Exception:              # not installed: the key still differs from any installed one
        tess = "none"
    digest = hashlib.sha256(data).hexdigest()
    return f"{digest}-lin{TOL_LINEAR_MM:g}-ang{TOL_ANGULAR_RAD:g}-cascadio{tess}-f{CACHE_FORMAT}"


def load_step(path: Path, cache_dir: Path | None) -> StepParts:
    """Triangles of the STEP file at `path` (resolved, regular); from `cache_dir` when cached there."""
    try:
        data = read_regular(path, int(limit("mesh_file_bytes")))
    except AssetRefused as exc:
        raise StepUnusable(str(exc)) from None
    if not data or data.isspace():
        raise StepUnusable("file is empty")
    schema = step_schema(data)
    key = cache_key(data)
    entry = None if cache_dir is None else Path(cache_dir) / "step" / f"{key[:64]}-{_short(key)}.npz"
    if entry is not None:
        hit = _read_entry(entry, key)
        if hit is not None:
            v, f, c, paths, counts = hit
            return StepParts(v, f, c, tuple(p[-1] for p in paths), counts, schema, True, paths)
    v, f, c, paths, counts = _tessellate(data)
    if entry is not None:
        _write_entry(entry, key, v, f, c, paths, counts)
    return StepParts(v, f, c, tuple(p[-1] for p in paths), counts, schema, False, paths)


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


# ---------------------------------------------------------------- tessellation
def _tessellate(data: bytes):
    """Run OpenCASCADE in a child process on a private copy of the bytes; read its GLB back."""
    global tessellations
    with _stats_lock:
        tessellations += 1
    child = Path(__file__).with_name("_step_child.py")
    with tempfile.TemporaryDirectory(prefix="twin-step-") as tmp:
        src, dst = Path(tmp) / "in.step", Path(tmp) / "out.glb"
        src.write_bytes(data)
        cmd = [sys.executable, "-I", str(child), str(src), str(dst), repr(TOL_LINEAR_MM), repr(TOL_ANGULAR_RAD),
               str(TESSELLATE_MEMORY)]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=TESSELLATE_SECONDS,
                                 stdin=subprocess.DEVNULL, errors="replace")
        except subprocess.TimeoutExpired:
            raise StepUnusable(f"tessellation took longer than {LIMITS['step_tessellate_seconds'].text()}; "
                               "simplify or split the assembly in the CAD tool") from None
        except OSError as exc:
            raise StepUnusable(f"could not start the tessellator ({exc})") from None
        if run.returncode != 0 or not dst.is_file():
            raise StepUnusable(_child_reason(run.returncode, run.stderr))
        glb = read_regular(dst, int(limit("mesh_file_bytes")))
    triangles = _glb_triangles(glb)
    if triangles > 4 * int(limit("triangles_per_mesh")):
        raise StepUnusable(f"tessellates to {triangles:,} triangles, far over the limit of "
                           f"{LIMITS['triangles_per_mesh'].text()}; simplify the assembly in the CAD tool")
    return _flatten_glb(glb)


def _child_reason(code: int, stderr: str) -> str:
    lines = [ln.strip() for ln in (stderr or "").splitlines() if ln.strip()]
    said = lines[-1][:200] if lines else ""
    if code == 3:
        return f"cannot read STEP files: missing optional dependency cascadio ({said})"
    if code == 2:
        return "unreadable or corrupt (OpenCASCADE could not read it as STEP)"
    if code < 0:
        return f"the tessellator stopped on signal {-code} (a corrupt file, or over the memory cap of " \
               f"{LIMITS['step_tessellate_bytes'].text()})"
    if "MemoryError" in (stderr or "") or "bad_alloc" in (stderr or ""):
        return f"tessellation needs more than {LIMITS['step_tessellate_bytes'].text()}"
    return f"unreadable or corrupt (tessellator exit {code}: {said or 'no message'})"


def _glb_triangles(glb: bytes) -> int:
    """Triangles a GLB declares (index accessor counts / 3), read from its JSON chunk only."""
    try:
        length = int.from_bytes(glb[12:16], "little")
        doc = json.loads(glb[20:20 + length])
        total = 0
        for mesh in doc.get("meshes", []):
            for prim in mesh.get("primitives", []):
                idx = prim.get("indices")
                if idx is not None:
                    total += int(doc["accessors"][idx]["count"]) // 3
        return total
    except (ValueError, KeyError, IndexError, TypeError):
        raise StepUnusable("the tessellator wrote an unreadable GLB") from None


def _flatten_glb(glb: bytes):
    """Every triangle geometry of the tessellated assembly, node transforms applied, with its assembly path."""
    import trimesh

    from .meshload import _face_colors

    try:
        scene = trimesh.load(io.BytesIO(glb), file_type="glb", process=False, force="scene")
    except Exception as exc:      # any reader failure on the tessellator's own output: unusable
        raise StepUnusable(f"the tessellator wrote an unreadable GLB ({type(exc).__name__})") from None
    verts, faces, colors, names, counts = [], [], [], [], []
    parents = scene.graph.transforms.parents
    offset = 0
    for node in scene.graph.nodes_geometry:
        transform, geom_name = scene.graph[node]
        geom = scene.geometry.get(geom_name)
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        v = np.asarray(geom.vertices, dtype=np.float64).reshape(-1, 3)
        f = np.asarray(geom.faces, dtype=np.int64).reshape(-1, 3)
        t = np.asarray(transform, dtype=np.float64)
        verts.append(v @ t[:3, :3].T + t[:3, 3])
        faces.append(f + offset)
        colors.append(_face_colors(geom, len(f)))
        path = [str(node)]
        while parents.get(path[-1]) not in (None, scene.graph.base_frame) and len(path) < 64:
            path.append(str(parents[path[-1]]))
        names.append(tuple(reversed(path)))
        counts.append(len(f))
        offset += len(v)
    if not faces:
        raise StepUnusable("contains no solid or surface geometry to tessellate")
    c = None
    if any(x is not None for x in colors):
        c = np.concatenate([x if x is not None else np.full((n, 3), 128, np.uint8) for x, n in zip(colors, counts)])
    return np.concatenate(verts), np.concatenate(faces), c, tuple(names), np.asarray(counts, dtype=np.int64)


# ---------------------------------------------------------------- the cache
def _digest(arrays: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _write_entry(entry: Path, key: str, v, f, c, paths, counts) -> None:
    """Write a cache entry atomically; a folder that cannot be written is logged and skipped."""
    name_bytes = np.frombuffer(json.dumps([list(p) for p in paths]).encode("utf-8"), dtype=np.uint8)
    colors = np.zeros((0, 3), np.uint8) if c is None else np.asarray(c, np.uint8)
    arrays = [np.asarray(v, np.float64), np.asarray(f, np.int64), colors, name_bytes, np.asarray(counts, np.int64)]
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, key=np.frombuffer(key.encode(), dtype=np.uint8), vertices=arrays[0], faces=arrays[1],
                     colors=arrays[2], names=arrays[3], part_faces=arrays[4],
                     digest=np.frombuffer(_digest(arrays).encode(), dtype=np.uint8))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, entry)
        tmp = None
    except OSError as exc:
        log.info("STEP tessellation cache %s not written (%s)", entry.parent, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _read_entry(entry: Path, key: str):
    """A cache entry's arrays when it is whole and made for `key`; None (to re-make it) otherwise."""
    try:
        data = read_regular(entry, int(limit("mesh_file_bytes")))
    except AssetRefused:
        return None                  # absent (the usual case) or not a regular file
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            got = {k: z[k] for k in ("key", "vertices", "faces", "colors", "names", "part_faces", "digest")}
        if got["key"].tobytes().decode() != key:
            raise ValueError("made for other bytes or another tolerance")
        v, f, c, nb, counts = (got[k] for k in ("vertices", "faces", "colors", "names", "part_faces"))
        if got["digest"].tobytes().decode() != _digest([v, f, c, nb, counts]):
            raise ValueError("checksum mismatch")
        names = tuple(tuple(str(n) for n in p) for p in json.loads(nb.tobytes().decode("utf-8")))
        if not all(names):
            raise ValueError("an empty assembly path")
        ok = (v.dtype == np.float64 and v.ndim == 2 and v.shape[1] == 3 and f.dtype == np.int64 and f.ndim == 2
              and f.shape[1] == 3 and len(f) > 0 and int(f.min()) >= 0 and int(f.max()) < len(v)
              and counts.ndim == 1 and len(counts) == len(names) and int(counts.sum()) == len(f)
              and (len(c) == 0 or c.shape == (len(f), 3)))
        if not ok:
            raise ValueError("arrays do not fit together")
    except Exception as exc:         # any defect (zip CRC, bad JSON, wrong shapes): re-make the entry
        log.warning("%s: corrupt STEP cache entry (%s); tessellating again", entry, str(exc)[:120])
        return None
    return v, f, (None if len(c) == 0 else c), names, counts
