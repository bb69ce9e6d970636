"""Where a mesh file may come from, and how it is read: contained, regular, bounded.

Design files and specs come from other people. A mesh path written in one must not read
`/etc/shadow`, `../../secrets` or a symlink that leads out of the design's folder, must not
hang on a FIFO or stream `/dev/zero`, and must not tell its author which files exist on
the reviewer's machine. So:
- a mesh path is relative, has no `..` part and no part over 255 bytes, and resolves
  (symlinks followed) inside one of the allowed folders: the design's folder, the spec's
  folder, or the packaged `assets/` folder;
- the file is opened without blocking and checked on the open descriptor to be a regular
  file, then read with a byte cap;
- every refusal, whatever its cause (missing, outside, a FIFO, unreadable), reads the same:
  `REFUSED`.
Side files a mesh names (glTF buffers and images, OBJ materials) follow the same rules with
the mesh's own folder as the only root (`contained_resolver`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath
from typing import Iterable, Sequence

from twin.model.limits import LIMITS, limit

#: The one message for every refused path: it does not reveal whether the file exists.
REFUSED = ("not found or not allowed (a mesh must be a regular file inside the design's folder, "
           "the spec's folder or assets/, named by a relative path without '..')")

def assets_dir() -> Path:
    """The packaged part meshes (twin/assets when installed, assets/ in a checkout)."""
    from .assets import bundled_asset_dir      # not at import: assets imports the mesh loader

    return bundled_asset_dir()


class AssetRefused(Exception):
    """A path that may not be used; str() is `REFUSED` or a size message (only for allowed files)."""


def _parts_ok(name: str) -> bool:
    if not name or "\x00" in name:
        return False
    pure = PurePath(name.replace("\\", "/"))
    if pure.is_absolute() or name.startswith(("/", "\\", "~")) or (len(name) > 1 and name[1] == ":"):
        return False
    cap = int(limit("file_name_bytes"))
    return all(part not in ("..", "") and len(part.encode("utf-8", "surrogatepass")) <= cap for part in pure.parts)


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def resolve_contained(name: str, roots: Iterable[Path]) -> Path:
    """The real path of `name` under the first root that holds it as a regular file; AssetRefused otherwise."""
    if not _parts_ok(str(name)):
        raise AssetRefused(REFUSED)
    rel = str(name).replace("\\", "/")
    for root in roots:
        try:
            real_root = os.path.realpath(root)
            real = os.path.realpath(os.path.join(real_root, rel))
            if _inside(real, real_root) and stat.S_ISREG(os.stat(real).st_mode):
                return Path(real)
        except (OSError, ValueError):
            continue
    raise AssetRefused(REFUSED)


def mesh_roots(design) -> list[Path]:
    """Allowed mesh folders for a loaded design: `design_roots` of its file and its meta table."""
    meta = getattr(design, "meta", {}) or {}
    return design_roots(Path(design.source), meta.get("spec_folder"), meta.get("source"))


def design_roots(design_source: Path, spec_folder: str | None = None, spec_name: str | None = None) -> list[Path]:
    """Allowed mesh folders for a design file: its own folder, the folder of the spec it was
    built from, and assets/.

    The spec's folder (written by `twin build` into the meta table) counts only while it still
    holds that spec (`spec_name`, a .toml file): an edited design file cannot name an arbitrary
    folder such as /etc and have its files read as meshes.
    """
    roots = [Path(design_source).resolve().parent]
    if spec_folder and spec_name and str(spec_name).endswith(".toml") and _parts_ok(str(spec_name)) \
            and "/" not in str(spec_name):
        folder = Path(str(spec_folder))
        try:
            if folder.is_absolute() and stat.S_ISREG(os.stat(folder / str(spec_name)).st_mode):
                roots.append(folder)
        except (OSError, ValueError):
            pass
    roots.append(assets_dir())
    return roots


def read_regular(path: Path, cap: int) -> bytes:
    """The bytes of `path`, which must be a regular file of at most `cap` bytes.

    Opened with O_NONBLOCK and O_NOFOLLOW (callers pass resolved paths) and checked with fstat
    on the descriptor: a FIFO, device or symlink put in place after resolution is still
    refused, never waited on or read without end.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        raise AssetRefused(REFUSED) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise AssetRefused(REFUSED)
        if st.st_size > cap:
            raise AssetRefused(f"file is {st.st_size:,} bytes, over the limit of {cap:,} bytes")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise AssetRefused(f"file is over the limit of {cap:,} bytes")
    return data


def side_file_cap() -> int:
    return int(limit("mesh_side_file_bytes"))


_resolver_class = None


def contained_resolver(folder: Path, roots: Sequence[Path] | None = None):
    """A trimesh resolver for the files a mesh names: only regular files in the mesh's folder.

    trimesh asks it for glTF buffers and images and OBJ material libraries; `get` returns
    their bytes (size-capped) or raises, which the loaders treat as a missing side file.
    Its `refused` list collects the names refused, so the mesh's warning can list them.
    (Built on first use so that importing this module does not import trimesh.)
    """
    global _resolver_class
    if _resolver_class is None:
        from trimesh.resolvers import Resolver

        class ContainedResolver(Resolver):
            def __init__(self, folder: Path, roots: Sequence[Path] | None = None):
                self.folder = Path(folder)
                self.roots = list(roots) if roots is not None else [self.folder]
                self.refused: list[str] = []

            def get(self, name: str) -> bytes:
                try:
                    return read_regular(resolve_contained(name, self.roots), side_file_cap())
                except AssetRefused:
                    self.refused.append(str(name))
                    raise

            def write(self, name, data):
                raise AssetRefused(REFUSED)

            def keys(self):
                return iter(())

            def namespaced(self, namespace: str):
                if not _parts_ok(namespace):
                    return ContainedResolver(self.folder, [])
                return ContainedResolver(self.folder / namespace, [r / namespace for r in self.roots])

        _resolver_class = ContainedResolver
    return _resolver_class(folder, roots)


__all__ = ["assets_dir", "AssetRefused", "LIMITS", "contained_resolver", "REFUSED", "design_roots", "mesh_roots",
           "read_regular", "resolve_contained"]
