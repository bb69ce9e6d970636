"""The VTK scene: the only package (with twin.export) that imports VTK. Never Qt.

`Scene` and `VIEWS` load lazily, so `twin.scene.views` (the view names the CLI lists) can be
imported without starting VTK.
"""

from twin.scene.camera import CameraPose

__all__ = ["VIEWS", "CameraPose", "Scene"]


def __getattr__(name: str):
    if name == "Scene":
        from twin.scene.scene import Scene

        return Scene
    if name == "VIEWS":
        from twin.scene.views import view_names

        return view_names()
    raise AttributeError(f"module 'twin.scene' has no attribute {name!r}")
