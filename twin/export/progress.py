"""Progress bars for long exports (tqdm on stderr), silenced by `--quiet` for CI logs."""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def _stderr():
    """stderr for a progress bar: beneath the CLI's escaping (twin.cli._SafeText), which would
    show the bar's carriage returns as \\x0d; a bar holds only twin's own words and numbers."""
    return getattr(sys.stderr, "unfiltered", sys.stderr)


def progress(items: Iterable[T], total: int | None = None, desc: str = "", quiet: bool = False,
             unit: str = "it") -> Iterator[T]:
    """`items`, drawing a progress bar on stderr unless `quiet` (or stderr is not a terminal
    and the run is short: tqdm then prints a few plain lines)."""
    if quiet:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit=unit, file=_stderr(), leave=False, dynamic_ncols=True)


class Stages:
    """A bar over named stages of one export (meshes → nodes → write): `stages(name)` advances it."""

    def __init__(self, names: tuple[str, ...], desc: str, quiet: bool = False):
        self._bar = None
        if not quiet:
            from tqdm import tqdm

            self._bar = tqdm(total=len(names), desc=desc, unit="step", file=_stderr(), leave=False)
        self._started = False

    def __call__(self, name: str) -> None:
        if self._bar is None:
            return
        if self._started:
            self._bar.update(1)
        self._started = True
        self._bar.set_postfix_str(name)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._bar.total - self._bar.n)
            self._bar.close()
