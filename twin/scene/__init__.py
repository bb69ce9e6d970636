"""The VTK scene: the only package (with twin.export) that imports VTK. Never Qt."""

from twin.scene.camera import CameraPose
from twin.scene.scene import VIEWS, Scene

__all__ = ["VIEWS", "CameraPose", "Scene"]
