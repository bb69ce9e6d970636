"""Tessellate one STEP file into GLB with OpenCASCADE (cascadio), in a process of its own.

Run as a script by `twin.geometry.steptess`, never imported: OpenCASCADE is C++ that a
hostile or broken file can crash or keep busy, so it runs apart from the viewer, under a
memory cap (RLIMIT_AS) and the parent's timeout. Arguments: STEP path, GLB path, linear
deflection, angular deflection (radians), memory cap in bytes. Exit 0 with the GLB
written, else non-zero with the reason on stderr.
"""

import sys


def main(argv: list[str]) -> int:
    src, dst, tol_linear, tol_angular, mem = argv
    try:
        import resource

        cap = int(mem)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ImportError, ValueError, OSError):
        pass
    try:
        import cascadio
    except ImportError as exc:
        print(f"cascadio (OpenCASCADE) is not installed ({exc})", file=sys.stderr)
        return 3
    status = cascadio.step_to_glb(src, dst, tol_linear=float(tol_linear), tol_angular=float(tol_angular),
                                  tol_relative=False, merge_primitives=True, use_parallel=True)
    if status != 0:
        print("OpenCASCADE could not read it as STEP", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
