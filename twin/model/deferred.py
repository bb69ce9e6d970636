"""A table whose columns are read from the design file on first use, by whichever thread asks first.

Why: hall-2000's 297,440 cables (and the campus's 1.2 million) are most of what opening a
design reads, yet the first frame draws no cable. The viewer opens a design with its cables
deferred, draws, and reads them in the background; whatever touches a cable column before
they arrive waits for that one read (never a second), so every caller sees the same columns
as an eager load would have given.

The row count is known at once (the reader counted the rows to check them against twin's
limits), so `len(design.cables)` never waits. A read that fails (a damaged table) raises its
`TwinError`, naming the file and table, to the caller that touched the columns, and to every
later caller again: it is never swallowed in a background thread.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from twin.model.design import Columns


class DeferredColumns(Columns):
    """`Columns` filled by `read()` on the first access to any column (thread-safe, read once)."""

    def __init__(self, read: Callable[[], dict[str, np.ndarray]], length: int):
        self.__dict__["_read"] = read
        self.__dict__["_lock"] = threading.Lock()
        self.__dict__["_error"] = None
        self.__dict__["_length"] = int(length)

    @property
    def ready(self) -> bool:
        """True once the columns are read (an attempt that failed is not ready)."""
        return "_columns" in self.__dict__

    def load(self) -> None:
        """Read the columns now unless they are already read; re-raises a failed read's error."""
        if "_columns" in self.__dict__:
            return
        with self.__dict__["_lock"]:
            if "_columns" in self.__dict__:
                return
            error = self.__dict__["_error"]
            if error is not None:
                raise error
            try:
                columns = self.__dict__["_read"]()
            except Exception as exc:
                self.__dict__["_error"] = exc
                raise
            lengths = {len(col) for col in columns.values()}
            self.__dict__["_length"] = lengths.pop() if lengths else 0
            self.__dict__["_columns"] = dict(columns)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):           # copy/pickle probes: never a reason to read the file
            raise AttributeError(name)
        self.load()
        if name == "_columns":
            return self.__dict__["_columns"]
        return super().__getattr__(name)


def waiting(columns: Columns) -> bool:
    """True while `columns` is a deferred table not read yet (reading it now would block); False
    once read, and after a read that failed (asking again raises its error at once)."""
    return isinstance(columns, DeferredColumns) and not columns.ready and columns.__dict__["_error"] is None
