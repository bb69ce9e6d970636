"""How warnings reach a command-line user: as `twin: warning: …` lines on stderr, one each.

- `print_load_warnings`: what the loader noticed in a design file (positions moved to the
  origin, keys that point nowhere, sizes replaced). Every command that loads a design calls
  it once, so `twin export …` and `twin check` say what `twin info` says.
- `numeric_warnings`: a Python warning (numpy's "overflow encountered in multiply" and the
  like) raised while a command runs becomes one such line, without numpy's source line, each
  distinct message once.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from typing import Iterator


def print_load_warnings(design, start: int = 0) -> int:
    """A loaded design's warnings from the `start`-th on as `twin: warning: …` lines on stderr;
    returns how many it has, so a command whose design read its cables later (`defer_cables`)
    can print the cable warnings that came with them, and only those, when it is done."""
    warnings_ = list(getattr(design, "warnings", ()))
    for warning in warnings_[start:]:
        print(f"twin: warning: {warning}", file=sys.stderr)
    return len(warnings_)


@contextmanager
def numeric_warnings() -> Iterator[None]:
    """While a command runs, show each distinct Python warning once as a `twin: warning:` line
    (no file name, no source line); numpy's floating-point ones say what they mean for a user."""
    seen: set[str] = set()

    def show(message, category, _filename, _lineno, _file=None, _line=None) -> None:
        text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
        if text in seen:
            return
        seen.add(text)
        if issubclass(category, RuntimeWarning) and "encountered" in text:
            text = f"a number in the design is beyond what can be computed ({text}); results that use it are not meaningful"
        try:
            print(f"twin: warning: {text}", file=sys.stderr)
        except (BrokenPipeError, ValueError):
            pass

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield
