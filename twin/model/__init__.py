"""The design as plain Python and numpy: column tables that analysis, scene and app share.

Nothing here imports VTK or Qt. `Design` is what `twin.store.load_design` returns.
"""

from twin.model.design import Columns, Design

__all__ = ["Columns", "Design"]
