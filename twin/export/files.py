"""Writing export files safely: a temp file in the same folder, then one atomic rename.

Why: an export that dies half-way (disk full, killed CI job, an error in the middle of a
report) must never leave a truncated GLB or PNG under the name a pipeline picks up next.
Writing `.name.<pid>.tmp.ext` beside the target and `os.replace`-ing it at the end means the
final name holds either the old file or the complete new one. OS errors become one
`TwinError` naming the file and the problem (permission, read-only disk, disk full).
"""

from __future__ import annotations

import errno
import logging
import os
from contextlib import contextmanager
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
}


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OS error, in words a pipeline log reader understands."""
    return _REASONS.get(exc.errno, exc.strerror or str(exc))


def prepare_folder(path: Path) -> None:
    """Create the folder `path` will be written into; TwinError if that is impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TwinError(path, f"cannot create the output folder {path.parent}: {describe_os_error(exc)}") from None
    if path.is_dir():
        raise TwinError(path, "is a folder; give a file name to write")
    if not os.access(path.parent, os.W_OK):
        raise TwinError(path, f"cannot write into {path.parent}: permission denied")


def check_writable(path: str | Path) -> Path:
    """Fail early (before minutes of work) when `path` cannot be written; returns it as a Path."""
    path = Path(path)
    prepare_folder(path)
    return path


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it to `path`, else remove it.

    Use as `with atomic_output(out) as tmp: write(tmp)`. Any OSError inside (or in the
    rename) becomes a TwinError naming `path`; other exceptions pass through, and in every
    failure the temp file is removed and `path` is left as it was.
    """
    path = Path(path)
    prepare_folder(path)
    # the temp name keeps the suffix: writers such as usd-core pick the format from it
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
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
    """Write `data` to `path` through a temp file and a rename; returns the path."""
    path = Path(path)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write UTF-8 `text` to `path` through a temp file and a rename; returns the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))
