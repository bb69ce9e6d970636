"""twin: digital twin viewer for AI data-center racks and halls."""

__version__ = "0.1.0"
