"""Text from a design file made safe to show: on a terminal, and in the 3D view.

A design file is written by someone else, and its names reach two places that trust them:
- the terminal, where an escape sequence repaints the screen and a right-to-left override
  or a zero-width character makes a name read as something it is not. `terminal_safe`
  shows every such character as a visible escape (`\\x1b`, `\\u202e`); tabs and newlines stay.
- VTK's text renderer, which aborts the whole process on invalid UTF-8
  (`vtk_utf8::invalid_utf8`) and spends gigabytes on a 10 MB caption. `display_text` is the
  one door every caption, label and legend text goes through: any value (a BLOB, a number,
  text with lone surrogates) becomes valid UTF-8 on one line, invisible characters escaped,
  at most `DISPLAY_CHARS` characters.

No VTK here: the CLI (terminal) and the scene (labels) share these rules.
"""

from __future__ import annotations

from twin.model.limits import limit

#: Characters that change how the text around them reads without showing themselves:
#: bidirectional embeddings, overrides and isolates, marks, zero-width spaces and joiners,
#: invisible operators, line and paragraph separators, the byte-order mark.
INVISIBLE = (0x061C, 0x180E, *range(0x200B, 0x2010), 0x2028, 0x2029, *range(0x202A, 0x202F),
             *range(0x2060, 0x2070), 0xFEFF)
#: Longest text drawn in the 3D view; a longer one ends in "…".
DISPLAY_CHARS = int(limit("name_chars"))

_CONTROL = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_TERMINAL = {c: f"\\x{c:02x}" for c in _CONTROL if c not in (0x09, 0x0A)} | {c: f"\\u{c:04x}" for c in INVISIBLE}
_DISPLAY = {c: f"\\x{c:02x}" for c in _CONTROL} | {c: f"\\u{c:04x}" for c in INVISIBLE} | \
    {0x09: " ", 0x0A: " ", 0x0D: " "}
_DISPLAY_LINES = _DISPLAY | {0x0A: "\n"}


def terminal_safe(text: object) -> str:
    """`text` with control characters (ESC, CR, BEL, C1 codes…) shown as \\xNN and invisible
    ones (bidi overrides, zero-width) as \\uNNNN; tabs and newlines kept."""
    return str(text).translate(_TERMINAL)


def display_text(value: object, limit: int = DISPLAY_CHARS, lines: bool = False) -> str:
    """`value` as text VTK can draw: valid UTF-8 (bad bytes become U+FFFD), one line (or
    several, with `lines`), control and invisible characters escaped, at most `limit`
    characters. Cost is bounded by `limit`, not by the size of `value`."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = bytes(value[:limit * 4]).decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value[:limit * 2]
    else:
        text = str(value)[:limit * 2]
    text = text.encode("utf-8", "replace").decode("utf-8")       # lone surrogates cannot be encoded
    text = text.translate(_DISPLAY_LINES if lines else _DISPLAY)
    return text[:limit - 1] + "…" if len(text) > limit else text
