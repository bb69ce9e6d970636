"""Load user-supplied CAD meshes into twin's frame, robustly.

Any format trimesh reads is accepted, and STEP through OpenCASCADE (`steptess`, tessellated
once per file content and cached beside the design); scenes are flattened with their node transforms,
glTF/GLB (Y-up by spec) is turned Z-up with its front kept facing -Y, and the result is
re-centred so the origin is the centre of the bottom face of its bounds. A file that
cannot be used (missing, empty, corrupt, a point cloud, a zip bomb, a loader whose
optional dependency is absent) never raises: it becomes a placeholder box and one
warning naming the file and the reason, so one bad asset cannot take down a hall view.
"""

from __future__ import annotations

import io
import logging
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.model.limits import LIMITS, limit

from .assetpath import REFUSED, AssetRefused, contained_resolver, read_regular
from .decimate import cluster_decimate
from .mesh import GREY, Mesh, box_mesh
from .steptess import STEP_SUFFIXES, StepUnusable, load_step

log = logging.getLogger("twin.geometry")

MAX_INFLATED_BYTES = int(limit("mesh_inflated_bytes"))  # total uncompressed size allowed inside a zip container
MAX_FILE_BYTES = int(limit("mesh_file_bytes"))  # largest binary file handed to a loader
MAX_TEXT_BYTES = int(limit("mesh_text_bytes"))  # largest text file (text parsers take ~6x its size in memory)
MAX_TRIANGLES = int(limit("triangles_per_mesh"))  # above this a mesh is decimated (or refused before parsing)
LARGE_MESH_TRIANGLES = MAX_TRIANGLES  # kept for callers of the old name
DEFAULT_PLACEHOLDER_SIZE = (0.1, 0.1, 0.1)
PLACEHOLDER_COLOR = (200, 60, 160)  # muted magenta: visibly "missing asset", not a real part

UNIT_SCALES = {"m": 1.0, "mm": 0.001}
MESH_SUFFIXES = (".glb", ".gltf", ".stl", ".obj", ".ply", ".off", ".3mf", ".dae") + STEP_SUFFIXES
_YUP_SUFFIXES = (".glb", ".gltf")
_TEXT_SUFFIXES = (".obj", ".off", ".gltf", ".dae")
_OPTIONAL_DEPS = {".3mf": "networkx and lxml", ".dae": "pycollada"}

# glTF (x, y, z) -> twin (x, -z, y): +90 degrees about X. glTF up (+Y) becomes +Z and the
# glTF front (+Z) becomes -Y, which is twin's front.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass(frozen=True)
class MeshPart:
    """One named part of an assembly (a STEP product instance): its bounds in the mesh's frame.

    `path` is its place in the assembly, the top assembly first and the part itself last.
    """

    name: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    triangles: int
    path: tuple[str, ...] = ()


@dataclass
class MeshLoad:
    """Result of load_mesh: the mesh in twin's frame, warnings to show, and whether it is a stand-in.

    `parts` names the assembly's children (STEP files) with their bounds; empty for other formats.
    """

    mesh: Mesh
    warnings: list[str] = field(default_factory=list)
    placeholder: bool = False
    source: Path = Path()
    parts: list[MeshPart] = field(default_factory=list)


class _Unusable(Exception):
    """Raised internally when a file must be replaced by a placeholder; the message is the reason."""


_cache: dict[tuple, MeshLoad] = {}
_cache_lock = threading.Lock()


def clear_mesh_cache() -> None:
    """Forget every parsed file so the next load_mesh re-reads from disk."""
    with _cache_lock:
        _cache.clear()


def placeholder_mesh(size: tuple[float, float, float] | None = None) -> Mesh:
    """The box used in place of a mesh that could not be loaded."""
    s = DEFAULT_PLACEHOLDER_SIZE if size is None else tuple(float(v) for v in size)
    if len(s) != 3 or not all(np.isfinite(s)) or min(s) <= 0:
        s = DEFAULT_PLACEHOLDER_SIZE
    return box_mesh(s, PLACEHOLDER_COLOR)


def load_mesh(
    path: str | Path,
    units: str = "m",
    fallback_size: tuple[float, float, float] | None = None,
    cache_dir: str | Path | None = None,
) -> MeshLoad:
    """Load a mesh file into twin's frame (metres, Z up, front -Y, origin bottom-centre).

    `units` is the file's length unit, "m" or "mm"; anything else raises ValueError. Problems
    with the file itself never raise: they give a placeholder box of `fallback_size`.
    Results are cached by (resolved path, mtime_ns, size, units). A STEP file states its own
    unit; its tessellation is kept in `cache_dir` (the scene passes `.twin-cache/` beside the
    design), and with no `cache_dir` only in this process: a load writes nothing unasked.
    """
    if units not in UNIT_SCALES:
        raise ValueError(f"unknown mesh units {units!r}: use one of {', '.join(UNIT_SCALES)}")
    source = Path(path)
    try:
        resolved = source.resolve()
        st = resolved.stat()
    except (OSError, RuntimeError, ValueError):
        return _placeholder(source, REFUSED, fallback_size)
    if not resolved.is_file():
        return _placeholder(source, REFUSED, fallback_size)
    fb = None if fallback_size is None else tuple(float(v) for v in fallback_size)
    key = (str(resolved), st.st_mtime_ns, st.st_size, units, fb)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    cache = Path(cache_dir) if cache_dir is not None else None
    result = _load_uncached(source, resolved, units, fallback_size, cache)
    with _cache_lock:
        _cache[key] = result
    return result


def _placeholder(source: Path, reason: str, fallback_size) -> MeshLoad:
    msg = f"{source}: {reason}; using a placeholder box"
    log.warning(msg)
    return MeshLoad(placeholder_mesh(fallback_size), [msg], True, source)


def _load_uncached(source: Path, resolved: Path, units: str, fallback_size, cache_dir: Path | None) -> MeshLoad:
    warnings: list[str] = []
    parts: list[MeshPart] = []
    try:
        if resolved.suffix.lower() in STEP_SUFFIXES:
            mesh = _read_step(resolved, units, warnings, source, cache_dir, parts)
        else:
            mesh = _read(resolved, UNIT_SCALES[units], warnings, source)
    except (_Unusable, StepUnusable) as exc:
        return _placeholder(source, str(exc), fallback_size)
    except AssetRefused as exc:
        return _placeholder(source, str(exc), fallback_size)
    except MemoryError:
        return _placeholder(source, "out of memory while loading", fallback_size)
    except RecursionError:
        return _placeholder(source, "file structure too deeply nested", fallback_size)
    for w in warnings:
        log.warning(w)
    return MeshLoad(mesh, warnings, False, source, parts)


def _read_step(path: Path, units: str, warnings: list[str], source: Path, cache_dir: Path | None,
               parts: list[MeshPart]) -> Mesh:
    """A STEP file's tessellation (cached), cleaned, capped and framed like every mesh; `parts` filled."""
    step = load_step(path, cache_dir)
    if units != "m":
        warnings.append(f"{source}: mesh_units {units!r} ignored: a STEP file states its own length unit")
    ends = np.cumsum(step.part_faces)
    starts = ends - step.part_faces
    boxes = []
    for name, path, a, b in zip(step.names, step.paths or [(n,) for n in step.names], starts, ends):
        used = step.vertices[np.unique(step.faces[a:b])]
        boxes.append((name, used.min(axis=0), used.max(axis=0), int(b - a), tuple(path)))
    mesh, origin = _frame(step.vertices, step.faces, step.colors, 1.0, warnings, source)
    parts += [MeshPart(n, tuple((lo - origin).tolist()), tuple((hi - origin).tolist()), t, p)
              for n, lo, hi, t, p in boxes]
    return mesh


def _read(path: Path, scale: float, warnings: list[str], source: Path) -> Mesh:
    """Read the file (regular, size-capped), check its triangle count, parse, clean and frame it."""
    suffix = path.suffix.lower()
    data = read_regular(path, MAX_FILE_BYTES)
    if not data:
        raise _Unusable("file is empty")
    if suffix in _TEXT_SUFFIXES or (suffix in (".stl", ".ply") and _looks_text(data, suffix)):
        if len(data) > MAX_TEXT_BYTES:
            raise _Unusable(f"text mesh file is {len(data):,} bytes, over the limit of "
                            f"{LIMITS['mesh_text_bytes'].text()}; convert it to binary STL or GLB")
    declared = _declared_triangles(data, suffix)
    if declared is not None and declared > MAX_TRIANGLES:
        raise _Unusable(f"declares {declared:,} triangles, over the limit of {LIMITS['triangles_per_mesh'].text()}; "
                        "decimate it in the CAD tool")
    if suffix == ".3mf" or data[:4] == b"PK\x03\x04":
        _check_zip(data)
    resolver = contained_resolver(path.parent)
    loaded = _trimesh_load(data, suffix, resolver)
    if resolver.refused:
        warnings.append(f"{source}: side file(s) {', '.join(sorted(set(resolver.refused)))}: {REFUSED}")
    try:
        verts, faces, colors = loaded if isinstance(loaded, tuple) else _flatten(loaded)
    except _Unusable as exc:
        if "point cloud" in str(exc) and suffix == ".obj" and _obj_has_lines(data):
            raise _Unusable("has no triangles (lines only)") from None
        raise
    if suffix in _YUP_SUFFIXES:
        verts = verts @ Y_UP_TO_Z_UP.T
    return _frame(verts, faces, colors, scale, warnings, source)[0]


def _frame(verts: np.ndarray, faces: np.ndarray, colors: np.ndarray | None, scale: float, warnings: list[str],
           source: Path) -> tuple[Mesh, np.ndarray]:
    """Clean, cap (decimate) and scale triangles, then move the origin to the bottom centre; (mesh, origin)."""
    verts, faces, colors = _clean(verts, faces, colors, warnings, source)
    if len(faces) > MAX_TRIANGLES:
        before = len(faces)
        verts, faces, colors = cluster_decimate(verts, faces, colors, MAX_TRIANGLES)
        warnings.append(f"{source}: {before:,} triangles is over the limit of {LIMITS['triangles_per_mesh'].text()}; "
                        f"decimated to {len(faces):,}")
    verts = verts * scale
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    verts = verts - origin
    return Mesh(verts.astype(np.float32), faces.astype(np.int32), colors), origin


def _looks_text(data: bytes, suffix: str) -> bool:
    """ASCII STL ("solid" without a matching binary size) or ASCII PLY."""
    if suffix == ".ply":
        return b"format ascii" in data[:512]
    if len(data) >= 84 and 84 + 50 * int.from_bytes(data[80:84], "little") == len(data):
        return False
    return data[:5].lower() == b"solid"


def _declared_triangles(data: bytes, suffix: str) -> int | None:
    """Triangles the file says it holds, read from its header or by counting records (no parsing)."""
    if suffix == ".stl":
        if len(data) >= 84 and 84 + 50 * int.from_bytes(data[80:84], "little") == len(data):
            return int.from_bytes(data[80:84], "little")
        return data.count(b"facet") // 2 if data[:5].lower() == b"solid" else None
    if suffix == ".obj":
        return data.count(b"\nf ")
    if suffix == ".ply":
        head = data[:4096].split(b"end_header")[0]
        for line in head.splitlines():
            words = line.split()
            if len(words) == 3 and words[:2] == [b"element", b"face"] and words[2].isdigit():
                return int(words[2])
    return None


def _obj_has_lines(data: bytes, head: int = 8 * 1024 * 1024) -> bool:
    """Whether an OBJ declares polyline ("l") records in its first `head` bytes (trimesh drops them)."""
    return any(line.lstrip().startswith(b"l ") for line in data[:head].splitlines())


def _check_zip(data: bytes) -> None:
    """Refuse zip containers whose entries would inflate past MAX_INFLATED_BYTES (read from the directory only)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(max(0, info.file_size) for info in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _Unusable(f"corrupt zip container ({exc})") from None
    if total > MAX_INFLATED_BYTES:
        raise _Unusable(
            f"zip container would inflate to {total} bytes, over the {MAX_INFLATED_BYTES} byte inflate cap"
        )


def _trimesh_load(data: bytes, suffix: str, resolver):
    import trimesh

    file_type = suffix.lstrip(".") or None
    try:
        return trimesh.load(io.BytesIO(data), file_type=file_type, resolver=resolver, process=False)
    except ImportError as exc:
        if suffix in _OPTIONAL_DEPS:
            dep = _OPTIONAL_DEPS[suffix]
            raise _Unusable(f"cannot read {suffix} files: missing optional dependency {dep} ({exc})") from None
        # trimesh only reaches for a charset detector when a file is neither valid binary nor text
        raise _Unusable(f"unreadable or corrupt (not a valid {suffix} file; {exc})") from None
    except IndexError as exc:
        if suffix == ".obj":
            # trimesh's OBJ reader gives up on a face index out of range; read it plainly so
            # the good faces survive and _clean drops (and reports) the bad ones
            return _read_obj_plain(data)
        raise _Unusable(f"unreadable or corrupt (IndexError: {exc})") from None
    except Exception as exc:  # any loader failure means the file is unusable, not that twin is
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if "not supported" in text.lower() and suffix in _OPTIONAL_DEPS:
            raise _Unusable(
                f"cannot read {suffix} files: missing optional dependency {_OPTIONAL_DEPS[suffix]}"
            ) from None
        raise _Unusable(f"unreadable or corrupt ({type(exc).__name__}: {text})") from None


def _read_obj_plain(data: bytes):
    """Minimal OBJ reader (v and f records, polygons fanned) used when trimesh rejects a file.

    Returns raw (vertices, faces, None) without index checks; _clean drops and reports bad faces.
    """
    verts: list[list[float]] = []
    faces: list[list[int]] = []
    try:
        for line in data.decode("utf-8", errors="replace").splitlines():
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "v" and len(parts) >= 4:
                verts.append([float(x) for x in parts[1:4]])
            elif parts[0] == "f" and len(parts) >= 4:
                idx = []
                for tok in parts[1:]:
                    i = int(tok.split("/")[0])
                    idx.append(i - 1 if i > 0 else len(verts) + i)
                faces.extend([idx[0], idx[k], idx[k + 1]] for k in range(1, len(idx) - 1))
    except ValueError as exc:
        raise _Unusable(f"unreadable or corrupt OBJ ({exc})") from None
    v = np.asarray(verts, dtype=np.float64).reshape(-1, 3)
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    if len(f) == 0:
        raise _Unusable("has no triangles (point cloud)" if len(v) else "contains no triangle faces")
    return v, f, None


def _flatten(loaded) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Concatenate every triangle geometry in a Trimesh/Scene with its node transform applied."""
    import trimesh

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    other_kinds: set[str] = set()

    def add(geom, transform: np.ndarray | None) -> None:
        if isinstance(geom, trimesh.Trimesh):
            v = np.asarray(geom.vertices, dtype=np.float64).reshape(-1, 3)
            f = np.asarray(geom.faces, dtype=np.int64).reshape(-1, 3)
            if len(f) == 0:
                if len(v):
                    other_kinds.add("points")
                return
            if transform is not None:
                v = v @ transform[:3, :3].T + transform[:3, 3]
            parts.append((v, f, _face_colors(geom, len(f))))
        elif isinstance(geom, trimesh.PointCloud):
            other_kinds.add("points")
        elif geom is not None and hasattr(geom, "entities"):
            other_kinds.add("lines")

    if isinstance(loaded, trimesh.Scene):
        for node in loaded.graph.nodes_geometry:
            transform, name = loaded.graph[node]
            add(loaded.geometry.get(name), np.asarray(transform, dtype=np.float64))
    else:
        add(loaded, None)

    if not parts:
        if "points" in other_kinds:
            raise _Unusable("has no triangles (point cloud)")
        if "lines" in other_kinds:
            raise _Unusable("has no triangles (lines only)")
        raise _Unusable("contains no triangle faces")
    offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    verts = np.concatenate([p[0] for p in parts])
    faces = np.concatenate([p[1] + o for p, o in zip(parts, offsets)])
    colors = None
    if any(p[2] is not None for p in parts):
        grey = np.array(GREY, dtype=np.uint8)
        colors = np.concatenate([p[2] if p[2] is not None else np.tile(grey, (len(p[1]), 1)) for p in parts])
    return verts, faces, colors


def _face_colors(geom, nfaces: int) -> np.ndarray | None:
    """Per-face RGB from a trimesh visual: explicit face/vertex colours, else a material's main colour."""
    try:
        visual = geom.visual
        kind = getattr(visual, "kind", None)
        if kind in ("face", "vertex"):
            fc = np.asarray(visual.face_colors)
            if fc.shape == (nfaces, 4) or fc.shape == (nfaces, 3):
                return fc[:, :3].astype(np.uint8)
            return None
        material = getattr(visual, "material", None)
        if material is not None and hasattr(material, "main_color"):
            rgb = np.asarray(material.main_color, dtype=np.uint8).reshape(-1)[:3]
            return np.tile(rgb, (nfaces, 1))
    except Exception:  # colour is decoration; a broken visual must not lose the geometry
        return None
    return None


def _clean(verts: np.ndarray, faces: np.ndarray, colors: np.ndarray | None, warnings: list[str], source: Path):
    """Drop faces with out-of-range indices, non-finite vertices or repeated corners; compact vertices."""
    n = len(verts)
    keep = np.all((faces >= 0) & (faces < n), axis=1)
    bad_index = int((~keep).sum())
    if bad_index:
        warnings.append(f"{source}: dropped {bad_index} face(s) with vertex indices out of range")
    finite_v = np.all(np.isfinite(verts), axis=1)
    safe = np.where(keep[:, None], faces, 0)
    finite_f = np.all(finite_v[safe], axis=1) & keep
    bad_value = int((keep & ~finite_f).sum())
    if bad_value:
        warnings.append(f"{source}: dropped {bad_value} face(s) with NaN/inf vertex coordinates")
    keep = finite_f
    keep &= (safe[:, 0] != safe[:, 1]) & (safe[:, 1] != safe[:, 2]) & (safe[:, 0] != safe[:, 2])
    faces = faces[keep]
    if colors is not None:
        colors = colors[keep]
    if len(faces) == 0:
        if bad_index or bad_value:
            raise _Unusable("no valid triangles left after dropping bad faces")
        raise _Unusable("contains no triangle faces (all degenerate)")
    used, inverse = np.unique(faces.reshape(-1), return_inverse=True)
    return verts[used], inverse.reshape(-1, 3), colors


def is_mesh_file(path: str | Path) -> bool:
    """True when the suffix is one of the mesh formats load_mesh is meant for."""
    return Path(path).suffix.lower() in MESH_SUFFIXES
