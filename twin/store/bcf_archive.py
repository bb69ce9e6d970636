"""Reading a BCF archive from elsewhere, bounded: a zip of small XML files, read into memory only.

Why careful: a BCF file comes from another tool, or from anyone. Nothing of it is ever
written to disk, and before any of it is believed:
- it must be a regular file and a zip (a FIFO, a folder or garbage is one clear error);
- member names must be relative paths inside the archive (no `..`, no absolute or drive
  paths, no backslashes or NUL): an archive that tries to step outside is refused whole;
- at most `MAX_MEMBERS` members; each XML member at most `MAX_XML_BYTES` once inflated and
  all of them at most `MAX_TOTAL_BYTES`, counted while inflating (a zip's own sizes can
  lie), and no member may inflate more than `MAX_RATIO` times: a zip bomb stops at the cap;
- XML is parsed by defusedxml with DTDs forbidden: no entity expansion (billion laughs,
  quadratic blow-up), no external entities, no network. BCF never needs a DTD.
Any of these is a `TwinError` naming the file and the member; nothing is imported.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from twin.errors import TwinError

#: Bounds on what an archive may hold (a real BCF file of a thousand topics fits far inside).
MAX_MEMBERS = 20_000
MAX_XML_BYTES = 16 * 1024 ** 2
MAX_TOTAL_BYTES = 256 * 1024 ** 2
MAX_RATIO = 200
#: Members twin reads: the version, markups, viewpoints and twin's own snippets.
READ_SUFFIXES = (".version", ".bcf", ".bcfv", ".bcfp", ".json")


class BcfArchive:
    """The XML (and twin snippet) members of a BCF zip, checked and inflated into memory."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise TwinError(self.path, f"cannot read it ({exc.strerror or exc})", where="BCF") from None
        if not stat.S_ISREG(st.st_mode):
            raise TwinError(self.path, "is not a regular file (a BCF file is a zip archive)", where="BCF")
        try:
            with zipfile.ZipFile(self.path) as z:
                infos = z.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise TwinError(self.path, f"holds {len(infos):,} members, more than the {MAX_MEMBERS:,} a BCF "
                                    "file is allowed here; nothing was imported", where="BCF")
                for info in infos:
                    _check_name(self.path, info.filename)
                self.members: dict[str, bytes] = {}
                total = 0
                for info in infos:
                    if info.is_dir() or not info.filename.lower().endswith(READ_SUFFIXES):
                        continue
                    data = _inflate(self.path, z, info, MAX_TOTAL_BYTES - total)
                    total += len(data)
                    self.members[info.filename] = data
        except TwinError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
            raise TwinError(self.path, f"is not a readable BCF zip archive ({exc}); nothing was imported",
                            where="BCF") from None
        except OSError as exc:
            raise TwinError(self.path, f"cannot read it ({exc.strerror or exc}); nothing was imported",
                            where="BCF") from None

    def names(self) -> list[str]:
        return list(self.members)

    def xml(self, name: str) -> Element:
        """The parsed member `name`; TwinError naming it when it is not XML, or carries a DTD."""
        return parse_xml(self.path, name, self.members[name])

    def json(self, name: str) -> Any:
        import json

        try:
            return json.loads(self.members[name])
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None


def _check_name(path: Path, name: str) -> None:
    bad = (not name or "\\" in name or "\x00" in name or name.startswith("/")
           or (len(name) > 1 and name[1] == ":") or ".." in PurePosixPath(name).parts)
    if bad:
        raise TwinError(path, f"member {name!r} points outside the archive (an absolute path or '..'); "
                        "the archive is refused and nothing was imported", where="BCF")


def _inflate(path: Path, z: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> bytes:
    """The member's bytes, read with a cap (the sizes in the zip's directory are not trusted)."""
    cap = min(MAX_XML_BYTES, room)
    if info.file_size > cap or (info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                                and info.file_size > 1024 * 1024):
        raise _bomb(path, info.filename, info.file_size)
    with z.open(info) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise _bomb(path, info.filename, len(data))
    return data


def _bomb(path: Path, name: str, size: int) -> TwinError:
    return TwinError(path, f"member {name!r} inflates to {size:,} bytes or more, past the "
                     f"{MAX_XML_BYTES // 1024 ** 2} MB per file ({MAX_TOTAL_BYTES // 1024 ** 2} MB in all) a BCF "
                     "file may hold here (a zip bomb?); nothing was imported", where="BCF")


def parse_xml(path: Path, name: str, data: bytes) -> Element:
    """XML from `data` with DTDs, entities and external references refused (defusedxml)."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise TwinError(path, f"member {name!r} declares a DTD or entities ({type(exc).__name__}), which BCF "
                        "never needs and twin does not expand; nothing was imported", where="BCF") from None
    except (ParseError, ValueError) as exc:
        raise TwinError(path, f"member {name!r} is not well-formed XML ({exc}); nothing was imported",
                        where="BCF") from None


def local(tag: str) -> str:
    """An element's name without its namespace (`{ns}Topic` → `Topic`)."""
    return tag.rsplit("}", 1)[-1]
