"""Stable ids for BCF: IFC-style 22-character GUIDs for parts, and UUIDs for topics and viewpoints.

Why: a BCF viewpoint names the components it is about by `IfcGuid`, the 22-character
compressed form of a 128-bit GUID that IFC uses (base 64 over the alphabet
`0-9 A-Z a-z _ $`, the first character carrying the top 2 bits). Twin parts carry no IFC
GUID, so each part gets one derived from its identity: a name-based UUID (RFC 4122
version 5) of its part name, in twin's own namespace. The same part name gives the same
GUID in every rebuild of the design and in every copy of it, so a BCF file made from one
build matches the parts of the next. Two parts of one design that share a name are told
apart by their order of appearance (`name`, `name#2`, …).
"""

from __future__ import annotations

import uuid
from typing import Iterable

from twin.model.keys import repeat_counted

#: The 64 characters of IFC's GUID encoding, in order.
IFC_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"
#: Twin's namespace for name-based UUIDs (itself a version-5 UUID of "twin" in the URL namespace).
TWIN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "twin")


def compress(value: uuid.UUID) -> str:
    """The 22-character IFC form of a UUID (2 bits, then 21 characters of 6 bits each)."""
    n = value.int
    chars = [IFC_ALPHABET[(n >> (6 * i)) & 63] for i in range(21)]
    chars.append(IFC_ALPHABET[(n >> 126) & 3])
    return "".join(reversed(chars))


def expand(text: str) -> uuid.UUID:
    """The UUID of a 22-character IFC GUID; ValueError for anything else."""
    if len(text) != 22 or any(c not in IFC_ALPHABET for c in text) or IFC_ALPHABET.index(text[0]) > 3:
        raise ValueError(f"not an IFC GUID: {text!r}")
    n = 0
    for c in text:
        n = (n << 6) | IFC_ALPHABET.index(c)
    return uuid.UUID(int=n)


def name_uuid(*parts: object) -> uuid.UUID:
    """A version-5 UUID of `parts` joined with ':' in twin's namespace (the same parts, the same UUID)."""
    return uuid.uuid5(TWIN_NAMESPACE, ":".join(str(p) for p in parts))


def part_guid(name: str) -> str:
    """The IFC GUID of the part called `name` (the first of that name; see `part_guids`)."""
    return compress(name_uuid("part", name))


def part_guids(names: Iterable[str]) -> list[str]:
    """IFC GUIDs for parts named `names`, in order: a repeated name counts its copies (`name#2`…,
    `twin.model.keys`)."""
    return [part_guid(key) for key in repeat_counted(names)]
