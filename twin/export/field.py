"""The demo air field of a design, written as a VTK image file (.vti) the viewer's Field panel opens.

Why in the exports: it reads the design file and runs the thermal analysis through a review
session, then writes a file; the scene only draws fields it is given.
Run `python -m twin.export.field DESIGN.twin.db OUT.vti`.
"""

from __future__ import annotations

from pathlib import Path

from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkIOXML import vtkXMLImageDataWriter

from twin.analysis.airfield import synthesize_air_field
from twin.errors import TwinError
from twin.files import atomic_output
from twin.scene.field import image_field
from twin.session import ReviewSession
from twin.store import load_design


def write_vti(image: vtkImageData, path: str | Path) -> Path:
    """Write image data as compressed VTK XML (.vti), atomically (twin.files)."""
    path = Path(path)
    with atomic_output(path) as tmp:
        writer = vtkXMLImageDataWriter()
        writer.SetFileName(str(tmp))
        writer.SetInputData(image)
        writer.SetDataModeToAppended()
        writer.SetCompressorTypeToZLib()
        writer.EncodeAppendedDataOff()
        if not writer.Write():
            raise TwinError(path, "could not write the field")
    return path


def write_demo_field(design_path: str | Path, out: str | Path) -> Path:
    """Synthesise the demo air field of a design (see twin.analysis.airfield) and write it as .vti."""
    design = load_design(design_path)
    thermal = ReviewSession(design).result("thermal").detail       # with the latest readings
    values, origin, spacing = synthesize_air_field(design, thermal)
    return write_vti(image_field(values, origin, (spacing,) * 3, name="T"), out)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m twin.export.field DESIGN.twin.db OUT.vti  (writes the demo air field)")
    print(write_demo_field(sys.argv[1], sys.argv[2]))
