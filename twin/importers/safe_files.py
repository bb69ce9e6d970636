"""Reading files to import the way mesh paths are read: contained, regular, bounded.

A device-type library or a NetBox dump comes from someone else. One file in it must not
be able to take the machine or hang the import, and the import must not wander out of
the folder it was given:
- `library_files` lists the files under a library folder without following a symlink
  that leads outside it (each such link is one warning naming it);
- `read_bounded` opens a file without blocking, checks on the open descriptor that it is
  a regular file (a FIFO or device is refused, never waited on) and reads at most a
  byte cap from `twin.model.limits`;
- `load_yaml` parses YAML with a SafeLoader that counts aliases, the values they expand
  to and the nesting depth while it composes, and refuses past the limits before any
  object is built: a 600-byte "billion laughs" or a 100,000-deep list is one error.
Every refusal is an `ImportRefused` whose text says why; the importer turns it into one
warning naming the file and goes on with the next.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterable

import yaml

from twin.geometry.assetpath import AssetRefused, read_regular
from twin.model.limits import LIMITS, limit


class ImportRefused(Exception):
    """A file the importer will not read; str() says why, for a warning that names the file."""


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def contained(path: Path, root: Path) -> bool:
    """True when `path`, symlinks followed, is a regular file inside `root`."""
    real = os.path.realpath(path)
    return _inside(real, os.path.realpath(root)) and os.path.isfile(real)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def library_files(root: Path, suffixes: Iterable[str], warn) -> list[Path]:
    """Regular files under `root` ending in `suffixes`, sorted; symlinks out of `root` are not followed.

    `warn(path, message)` is called once per refused entry: a link leading outside the
    folder, a FIFO or other special file with a wanted suffix. Links that stay inside are
    skipped quietly (their target is listed under its own name).
    """
    suffixes = tuple(suffixes)
    real_root = os.path.realpath(root)
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        for d in list(dirs):
            full = os.path.join(folder, d)
            if os.path.islink(full) and not _inside(os.path.realpath(full), real_root):
                warn(Path(full), "a symlink to a folder outside the library; not followed")
        for name in names:
            if not name.endswith(suffixes):
                continue
            full = os.path.join(folder, name)
            try:
                st = os.lstat(full)
            except OSError as exc:
                warn(Path(full), f"cannot be read ({exc.strerror}); skipped")
                continue
            if stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(full)
                if not _inside(target, real_root):
                    warn(Path(full), "a symlink to a file outside the library; not followed")
                continue
            if not stat.S_ISREG(st.st_mode):
                warn(Path(full), f"is {_kind(st.st_mode)}, not a regular file; not opened")
                continue
            found.append(Path(full))
    return sorted(found)


def read_bounded(path: Path, cap_key: str) -> bytes:
    """The bytes of regular file `path`, at most limit `cap_key`; ImportRefused with the reason otherwise."""
    try:
        return read_regular(path, int(limit(cap_key)))
    except AssetRefused as exc:
        try:
            st = os.lstat(path)
        except OSError:
            raise ImportRefused("no such file or not readable") from None
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(path)
            try:
                st = os.stat(target)
            except OSError:
                raise ImportRefused("a symlink to nothing") from None
            if stat.S_ISREG(st.st_mode):         # a link to a regular file: read it through its real path
                return read_bounded(Path(target), cap_key)
        if not stat.S_ISREG(st.st_mode):
            raise ImportRefused(f"is {_kind(st.st_mode)}, not a regular file; not opened") from None
        if st.st_size > limit(cap_key):
            raise ImportRefused(f"is {st.st_size:,} bytes, over the limit of {LIMITS[cap_key].text()}") from None
        raise ImportRefused(str(exc)) from None


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a document with too many aliases, values or levels while composing it.

    PyYAML shares an aliased node rather than copying it, so the document itself stays
    small; the blow-up comes later, when code walks the structure (validation, `str()`).
    The expanded size of every node is therefore added up here (an alias counts the full
    size of what it names) and bounded before anything is constructed.
    """

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._sizes: dict[int, int] = {}
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > limit("yaml_aliases"):
                raise ImportRefused(f"more than {LIMITS['yaml_aliases'].text()}; not read")
        self._depth += 1
        if self._depth > limit("import_nesting"):
            raise ImportRefused(f"nested deeper than {LIMITS['import_nesting'].text()}; not read")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if id(node) not in self._sizes:
            if isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._sizes.get(id(child), 1) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value)
            else:
                size = 1
            self._sizes[id(node)] = size
            if size > limit("yaml_nodes"):
                raise ImportRefused(f"expands to more than {LIMITS['yaml_nodes'].text()}; not read")
        return node


def load_yaml(text: str) -> Any:
    """`text` parsed as YAML within the alias, size and depth limits (ImportRefused or yaml.YAMLError)."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:
        raise ImportRefused(f"nested deeper than {LIMITS['import_nesting'].text()}; not read") from None
    except ValueError as exc:         # an integer of thousands of digits, a date that is no date
        raise ImportRefused(f"holds a value that cannot be read ({exc})") from None
    finally:
        loader.dispose()
