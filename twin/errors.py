"""The one error type twin shows to users: it names the file and the place in it."""

from __future__ import annotations

from pathlib import Path


class TwinError(Exception):
    """A problem with user input, phrased for the person who supplied it.

    `source` is the file at fault, `where` the key, table or row inside it. The CLI prints
    `str(error)` as one line and exits 1; the app shows it in a dialog.
    """

    def __init__(self, source: str | Path | None, message: str, where: str | None = None):
        self.source = Path(source) if source is not None else None
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        head = str(self.source) if self.source is not None else "twin"
        if self.where:
            head = f"{head}: {self.where}"
        return f"{head}: {self.message}"
