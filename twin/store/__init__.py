"""The `.twin.db` design file: schema, reading into the model, review notes.

SQLite through sqlite-utils; no VTK, no Qt.
"""

from twin.store.reader import load_design, open_database
from twin.store.schema import SCHEMA_VERSION, create_schema

__all__ = ["SCHEMA_VERSION", "create_schema", "load_design", "open_database"]
