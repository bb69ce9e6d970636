"""twin: digital twin viewer for AI data-center racks and halls.

`twin.open(path)` opens a design file for scripting (see `twin.api`); nothing Qt is imported.
"""

from __future__ import annotations

__version__ = "0.1.0"


def open(path, at=None):  # noqa: A001  (the API is `twin.open`, like `sqlite3.connect` or `h5py.File`)
    """Open a `.twin.db` design for scripting: returns a `twin.api.Twin`."""
    from twin.api import open_design

    return open_design(path, at)
