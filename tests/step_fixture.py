"""Write small STEP AP214 assemblies of boxes, for tests that need a CAD assembly with named children.

Each child is its own product (a faceted B-rep box modelled at its own origin) placed in
the assembly by a NEXT_ASSEMBLY_USAGE_OCCURRENCE with a translation, as CAD tools export
a rack: a frame and the trays in it. Lengths are written in millimetres (the file says so
with SI_UNIT(.MILLI.,.METRE.)), so a reader must apply the file's unit to get metres.
"""

from __future__ import annotations

from pathlib import Path


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str) -> str:
        self.lines.append(f"#{len(self.lines) + 1}={text};")
        return f"#{len(self.lines)}"


def _axis(w: _Writer, x: float, y: float, z: float) -> str:
    p = w.add(f"CARTESIAN_POINT('',({x:.6f},{y:.6f},{z:.6f}))")
    a = w.add("DIRECTION('',(0.,0.,1.))")
    r = w.add("DIRECTION('',(1.,0.,0.))")
    return w.add(f"AXIS2_PLACEMENT_3D('',{p},{a},{r})")


def write_box_assembly(path: Path, assembly: str, children: list[tuple[str, tuple, object]]) -> Path:
    """An AP214 file: product `assembly` holding one child per (name, origin_mm, what).

    `what` is a box's (x, y, z) size in mm, or a list of children in the same shape: a
    sub-assembly placed at `origin_mm`, whose own children are placed relative to it.
    """
    w = _Writer()
    app = w.add("APPLICATION_CONTEXT('automotive design')")
    w.add(f"APPLICATION_PROTOCOL_DEFINITION('international standard','automotive_design',2000,{app})")
    pctx = w.add(f"PRODUCT_CONTEXT('',{app},'mechanical')")
    pdctx = w.add(f"PRODUCT_DEFINITION_CONTEXT('part definition',{app},'design')")
    length = w.add("(LENGTH_UNIT()NAMED_UNIT(*)SI_UNIT(.MILLI.,.METRE.))")
    angle = w.add("(NAMED_UNIT(*)PLANE_ANGLE_UNIT()SI_UNIT($,.RADIAN.))")
    solid = w.add("(NAMED_UNIT(*)SI_UNIT($,.STERADIAN.)SOLID_ANGLE_UNIT())")
    unc = w.add(f"UNCERTAINTY_MEASURE_WITH_UNIT(LENGTH_MEASURE(1.E-05),{length},'distance_accuracy_value','')")
    ctx = w.add(f"(GEOMETRIC_REPRESENTATION_CONTEXT(3)GLOBAL_UNCERTAINTY_ASSIGNED_CONTEXT(({unc}))"
                f"GLOBAL_UNIT_ASSIGNED_CONTEXT(({length},{angle},{solid}))REPRESENTATION_CONTEXT('',''))")

    def product(name: str) -> tuple[str, str]:
        prod = w.add(f"PRODUCT('{name}','{name}','',({pctx}))")
        w.add(f"PRODUCT_RELATED_PRODUCT_CATEGORY('part',$,({prod}))")
        form = w.add(f"PRODUCT_DEFINITION_FORMATION('','',{prod})")
        pd = w.add(f"PRODUCT_DEFINITION('design','',{form},{pdctx})")
        pds = w.add(f"PRODUCT_DEFINITION_SHAPE('','',{pd})")
        return pd, pds

    def box(name: str, size: tuple) -> tuple[str, str, str]:
        pd, pds = product(name)
        sx, sy, sz = size
        corners = [(x, y, z) for z in (0, sz) for y in (0, sy) for x in (0, sx)]
        pts = [w.add(f"CARTESIAN_POINT('',({x:.6f},{y:.6f},{z:.6f}))") for x, y, z in corners]
        # corner index = x + 2y + 4z; each face's loop runs counter-clockwise seen from outside
        quads = [(0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)]
        normals = [(0, 0, -1), (0, 0, 1), (0, -1, 0), (0, 1, 0), (-1, 0, 0), (1, 0, 0)]
        faces = []
        for q, n in zip(quads, normals):
            loop = w.add(f"POLY_LOOP('',({','.join(pts[i] for i in q)}))")
            bound = w.add(f"FACE_OUTER_BOUND('',{loop},.T.)")
            o = w.add("CARTESIAN_POINT('',({:.6f},{:.6f},{:.6f}))".format(*corners[q[0]]))
            nd = w.add(f"DIRECTION('',({n[0]:.1f},{n[1]:.1f},{n[2]:.1f}))")
            ref = w.add("DIRECTION('',(1.,0.,0.))" if n[0] == 0 else "DIRECTION('',(0.,1.,0.))")
            ax = w.add(f"AXIS2_PLACEMENT_3D('',{o},{nd},{ref})")
            plane = w.add(f"PLANE('',{ax})")
            faces.append(w.add(f"FACE_SURFACE('',({bound}),{plane},.T.)"))
        shell = w.add(f"CLOSED_SHELL('',({','.join(faces)}))")
        brep = w.add(f"FACETED_BREP('{name}',{shell})")
        axis = _axis(w, 0, 0, 0)
        rep = w.add(f"FACETED_BREP_SHAPE_REPRESENTATION('',({brep},{axis}),{ctx})")
        w.add(f"SHAPE_DEFINITION_REPRESENTATION({pds},{rep})")
        return pd, rep, axis

    def assembly_of(name: str, children: list) -> tuple[str, str, str]:
        pd, pds = product(name)
        axis = _axis(w, 0, 0, 0)
        rep = w.add(f"SHAPE_REPRESENTATION('',({axis}),{ctx})")
        w.add(f"SHAPE_DEFINITION_REPRESENTATION({pds},{rep})")
        for k, (child, origin, what) in enumerate(children):
            cpd, crep, caxis = box(child, what) if isinstance(what[0], (int, float)) else assembly_of(child, what)
            placed = _axis(w, *origin)
            nauo = w.add(f"NEXT_ASSEMBLY_USAGE_OCCURRENCE('{k + 1}','{child}','',{pd},{cpd},$)")
            npds = w.add(f"PRODUCT_DEFINITION_SHAPE('','',{nauo})")
            idt = w.add(f"ITEM_DEFINED_TRANSFORMATION('','',{caxis},{placed})")
            rel = w.add(f"(REPRESENTATION_RELATIONSHIP('','',{crep},{rep})"
                        f"REPRESENTATION_RELATIONSHIP_WITH_TRANSFORMATION({idt})SHAPE_REPRESENTATION_RELATIONSHIP())")
            w.add(f"CONTEXT_DEPENDENT_SHAPE_REPRESENTATION({rel},{npds})")
        return pd, rep, axis

    assembly_of(assembly, children)
    head = ["ISO-10303-21;", "HEADER;", "FILE_DESCRIPTION(('twin test assembly'),'2;1');",
            f"FILE_NAME('{Path(path).name}','2026-01-01T00:00:00',(''),(''),'','','');",
            "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));", "ENDSEC;", "DATA;"]
    Path(path).write_text("\n".join(head + w.lines + ["ENDSEC;", "END-ISO-10303-21;", ""]), encoding="ascii")
    return Path(path)
