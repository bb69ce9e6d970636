"""Writing output files safely: every file twin writes for a user goes through `atomic_output`.

Why one place: an export that dies half-way (disk full, killed CI job, an error in the middle
of a report) must never leave a truncated GLB or PNG under the name a pipeline picks up next,
nor a temporary file beside it; and `-o` must never replace something that is not a file.

What `-o` names decides how it is written:
- nothing yet, or a regular file: a temporary file beside it (same folder, so the rename is
  atomic), fsync, then one `os.replace`. The final name holds either the old file or the
  complete new one.
- a symbolic link to a regular file: the link is kept and its target is replaced atomically as
  above (a `latest.png` link keeps pointing where it did). A dangling link is refused.
- a FIFO or a character device (`/dev/null`, a named pipe, a terminal): written through. The
  output is first made complete in a temporary file, then streamed into the node; the node
  itself is never renamed over, created or unlinked.
- an open descriptor (`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`): written
  into that descriptor, so `-o /dev/stdout > f.csv` and `| gzip` behave as a shell expects.
- a folder, a block device or a socket: refused.

Every failure (disk full included) removes the temporary file and becomes one `TwinError`
naming the output file and the reason. A process killed outright (kill -9, power loss) cannot
clean up: the next write to the same name removes temporary files whose process is gone
(their names carry the writer's pid).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import secrets
import shutil
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from twin.errors import TwinError

log = logging.getLogger(__name__)

_REASONS = {
    errno.ENOSPC: "disk full while writing",
    errno.EDQUOT: "disk quota exceeded while writing",
    errno.EFBIG: "file size limit reached while writing",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENXIO: "no process reads the named pipe",
    errno.EPIPE: "the reader went away",
}
#: Links through these name an open descriptor of this process, not a file.
_DESCRIPTOR = re.compile(r"^/(?:proc/(self|\d+)|dev)/fd/(\d+)$")
_STANDARD = {"/dev/stdout": 1, "/dev/stderr": 2}
_MAX_LINKS = 40
_CHUNK = 1 << 20
#: Longest name a pattern field becomes (characters); a file name must stay under 255 bytes.
COMPONENT_CHARS = 64
#: Characters a pattern field may not carry into a file name: separators, NUL, every control
#: character, and the invisible ones (bidi overrides, zero-width) that make a name lie.
_NOT_IN_NAME = re.compile("[/\\\\\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
                          "\ud800-\udfff]")


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OS error, in words a pipeline log reader understands."""
    return _REASONS.get(exc.errno, exc.strerror or str(exc))


@dataclass(frozen=True)
class Target:
    """Where an output really goes: `kind` is "file" (replace `path` atomically), "node" (write
    through the FIFO or character device at `path`) or "descriptor" (write into `fd`)."""

    kind: str
    path: Path
    fd: int = -1


def resolve_target(path: str | Path) -> Target:
    """How `path` is to be written (see the module doc); TwinError for what must not be."""
    given = Path(path)
    current = os.path.abspath(given)
    for _ in range(_MAX_LINKS):
        fd = _STANDARD.get(current)
        match = _DESCRIPTOR.match(current)
        if fd is None and match and match.group(1) in (None, "self", str(os.getpid())):
            fd = int(match.group(2))
        if fd is not None:
            return Target("descriptor", given, fd)
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            if current != os.path.abspath(given):
                raise TwinError(given, f"is a symbolic link to {current}, which does not exist; not written") from None
            return Target("file", Path(current))
        except OSError as exc:
            raise TwinError(given, f"cannot write: {describe_os_error(exc)}") from None
        if stat.S_ISLNK(info.st_mode):
            link = os.readlink(current)
            current = os.path.join(os.path.realpath(os.path.dirname(current)), link)
            current = os.path.normpath(current)
            continue
        mode = info.st_mode
        if stat.S_ISREG(mode):
            return Target("file", Path(current))
        if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
            return Target("node", Path(current))
        what = ("a folder; give a file name to write" if stat.S_ISDIR(mode) else
                "a block device; refusing to write to it" if stat.S_ISBLK(mode) else
                "a socket; refusing to write to it" if stat.S_ISSOCK(mode) else "not a regular file; not written")
        raise TwinError(given, f"is {what}")
    raise TwinError(given, "has too many levels of symbolic links; not written")


def is_stream(path: str | Path) -> bool:
    """Whether `path` is written through (a FIFO, a device, an open descriptor such as
    /dev/stdout): the CLI then prints its "wrote …" line on stderr, not into the data."""
    try:
        return resolve_target(path).kind != "file"
    except TwinError:
        return False


def safe_component(value: object, limit: int = COMPONENT_CHARS) -> str:
    """`value` as exactly one safe file-name component: no separator, no `.` or `..`, no control
    or invisible character, not hidden, at most `limit` characters (plus a tag).

    A clean value is kept as it is. A value that had to change gets `-` and 8 hex digits of a
    hash of the original, so two different names never fold into one file, and the same name
    gives the same file in every run."""
    raw = bytes(value) if isinstance(value, (bytes, bytearray)) else None
    text = raw.decode("utf-8", "replace") if raw is not None else str(value)
    if not text:
        return ""                   # an empty field (a rack with no row) adds nothing to the name
    clean = _NOT_IN_NAME.sub("_", text).strip()
    clean = re.sub(r"^\.+", lambda m: "_" * len(m.group()), clean) or "_"
    if raw is None and clean == text and len(clean) <= limit and len(clean.encode("utf-8")) <= 2 * limit:
        return clean
    digest = hashlib.sha256(raw if raw is not None else text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    clean = clean[:limit]
    while len(clean.encode("utf-8")) > 2 * limit:      # 64 CJK characters are 192 bytes
        clean = clean[:-1]
    return f"{clean}-{digest}"


def contained(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` resolves (symbolic links followed) to a place inside `folder`."""
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, base]) == base


def prepare_folder(path: str | Path) -> Target:
    """Create the folder `path` will be written into (for a file target) and return the target;
    TwinError if that is impossible."""
    path = Path(path)
    target = resolve_target(path)
    if target.kind != "file":
        return target
    folder = target.path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TwinError(path, f"cannot create the output folder {folder}: {describe_os_error(exc)}") from None
    if not folder.is_dir():
        raise TwinError(path, f"cannot write into {folder}: not a folder")
    if not os.access(folder, os.W_OK):
        raise TwinError(path, f"cannot write into {folder}: permission denied")
    return target


def check_writable(path: str | Path) -> Path:
    """Fail early (before minutes of work) when `path` cannot be written; returns it as a Path."""
    prepare_folder(path)
    return Path(path)


def _temp_parts(name: str) -> tuple[str, str]:
    stem, suffix = os.path.splitext(name)
    return f".{stem[:80]}.", f".tmp{suffix[:16]}"


def _temp_name(folder: Path, name: str) -> Path:
    """A fresh hidden name in `folder`; it keeps the suffix (usd-core picks the format from it)."""
    head, tail = _temp_parts(name)
    return folder / f"{head}{os.getpid()}.{secrets.token_hex(4)}{tail}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True             # someone else's process: alive
    return True


def remove_stale_temps(folder: Path, name: str) -> list[Path]:
    """Remove temporary files for `name` in `folder` left by writers that no longer run."""
    head, tail = _temp_parts(name)
    pattern = re.compile(re.escape(head) + r"(\d+)\.[0-9a-f]{8}" + re.escape(tail) + "$")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            try:
                if entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _stream(tmp: Path, target: Target) -> None:
    """Copy the finished temp file into a FIFO, a character device or an open descriptor."""
    if target.kind == "descriptor":
        import sys

        for stream in (sys.stdout, sys.stderr):     # what print() buffered goes first
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        out = os.dup(target.fd)
    else:
        # no O_CREAT and no O_TRUNC: the node is written to, never made or replaced
        out = os.open(target.path, os.O_WRONLY | os.O_NOCTTY)
    try:
        with open(tmp, "rb") as src:
            while chunk := src.read(_CHUNK):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
    finally:
        os.close(out)


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for `path`'s content; on success put it in place, else remove it.

    Use as `with atomic_output(out) as tmp: write(tmp)`. The temp path does not exist yet (a
    writer such as usd-core or SQLite creates it). Any OSError inside, or in putting the file
    in place, becomes a TwinError naming `path`; other exceptions pass through. In every
    failure the temp file is removed and `path` is left as it was.
    """
    path = Path(path)
    target = prepare_folder(path)
    if target.kind == "file":
        folder = target.path.parent
        remove_stale_temps(folder, target.path.name)
        tmp = _temp_name(folder, target.path.name)
    else:
        remove_stale_temps(Path(tempfile.gettempdir()), path.name or "stream")
        tmp = _temp_name(Path(tempfile.gettempdir()), path.name or "stream")
    try:
        yield tmp
        if not tmp.exists():
            raise TwinError(path, "could not write: the writer produced no file")
        if target.kind == "file":
            _fsync(tmp)
            os.replace(tmp, target.path)
            _fsync_folder(folder)
        else:
            _stream(tmp, target)
    except OSError as exc:
        raise TwinError(path, f"could not write: {describe_os_error(exc)}") from None
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove the temporary file %s: %s", tmp, exc)


def write_bytes_atomic(path: str | Path, data: bytes | bytearray | memoryview) -> Path:
    """Write `data` to `path` through a temp file and a rename (or through the node); returns the path."""
    path = Path(path)
    with atomic_output(path) as tmp:
        with open(tmp, "xb") as handle:
            handle.write(data)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 `text` to `path` through a temp file and a rename (or through the node); returns the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def copy_file_atomic(source: str | Path, path: str | Path) -> Path:
    """Copy a finished file (made by a writer that needs its own path) to `path` atomically."""
    with atomic_output(path) as tmp:
        shutil.copyfile(source, tmp)
    return Path(path)
