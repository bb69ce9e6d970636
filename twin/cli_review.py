"""The review commands of `twin`: `notes`, `viewpoints` and `compare` (thin: parse, call, print).

Kept apart from `twin/cli.py` so the main parser stays short; `add_review_commands` hangs
them on its sub-parsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _point(text: str) -> tuple[float, float, float]:
    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--at must look like 12.5,3.0,1.2 (metres), not {text!r}") from None
    return x, y, z


def _store(args: argparse.Namespace):
    from twin.store.notes import ReviewStore

    return ReviewStore(args.file)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _notes_add(args: argparse.Namespace) -> int:
    with _store(args) as store:
        note = store.add_note(args.text, part=args.part, point=args.at, author=args.author)
    _print_json(note.to_dict()) if args.json else print(f"added note {note.id}")
    return 0


def _notes_list(args: argparse.Namespace) -> int:
    from twin.store.notes import iter_note_rows

    with _store(args) as store:
        notes = store.notes(status=args.status, part=args.part)
    if args.json:
        _print_json({"file": args.file, "notes": [n.to_dict() for n in notes]})
    else:
        for line in iter_note_rows(notes):
            print(line)
        print(f"{len(notes)} note{'s' if len(notes) != 1 else ''}", file=sys.stderr)
    return 0


def _notes_edit(args: argparse.Namespace) -> int:
    with _store(args) as store:
        note = store.edit_note(args.id, text=args.text, status=args.status, author=args.author)
    print(f"note {note.id} is {note.status}")
    return 0


def _notes_resolve(args: argparse.Namespace) -> int:
    with _store(args) as store:
        note = store.resolve_note(args.id)
    print(f"note {note.id} is {note.status}")
    return 0


def _notes_delete(args: argparse.Namespace) -> int:
    with _store(args) as store:
        store.delete_note(args.id)
    print(f"deleted note {args.id}")
    return 0


def _bcf(args: argparse.Namespace) -> int:
    from twin.cli_export import announce
    from twin.export.bcf import write_bcf

    path = write_bcf(args.file, args.output, snapshots=not args.no_snapshots)
    announce(path, f"wrote {path}")
    return 0


def _import_bcf(args: argparse.Namespace) -> int:
    from twin.store.bcf_import import import_bcf

    report = import_bcf(args.file, args.bcf)
    for line in report.unknown + report.warnings:
        print(f"twin: warning: {args.bcf}: {line}", file=sys.stderr)

    def count(n: int, what: str) -> str:
        return f"{n} {what}{'s' if n != 1 else ''}"

    where = f" into review #{report.review_id} ({report.review_name!r})" if report.review_id else ""
    line = (f"imported {args.bcf} (BCF {report.version}){where}: {count(report.topics, 'topic')}, "
            f"{count(report.notes + report.comments, 'note')} ({report.comments} from comments), "
            f"{count(report.viewpoints, 'viewpoint')}, {count(len(report.unknown), 'unknown component')}")
    if report.already:
        line += f"; {report.already} already in this design ({report.updated} updated from the BCF)"
    print(line)
    return 0


def _compare(args: argparse.Namespace) -> int:
    from twin.analysis.compare import compare_designs, compare_generations, format_comparison
    from twin.store import load_design

    design = load_design(args.file)
    comparison = (compare_generations(design, args.base) if args.other is None
                  else compare_designs(design, load_design(args.other)))
    if args.image:
        from twin.export.diff import export_diff_image

        if args.other is None:
            raise argparse.ArgumentTypeError("--image needs a second design file to show what changed")
        print(f"wrote {export_diff_image(args.file, args.other, args.image, view=args.view)}", file=sys.stderr)
    _print_json(comparison.to_dict()) if args.json else print(format_comparison(comparison, per_rack=args.racks))
    return 0


def add_review_commands(sub: argparse._SubParsersAction) -> None:
    """Add `notes`, `viewpoints` and `compare` to the `twin` command's sub-parsers."""
    p = sub.add_parser("notes", help="review notes stored in a design file",
                       description="Add, list, edit and resolve review notes pinned to parts or 3D points.")
    nsub = p.add_subparsers(dest="notes_command", metavar="ACTION")
    a = nsub.add_parser("add", help="add a note", description="Add a note pinned to a part (or rack) or a point.")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--part", help="part name (a rack name pins to its frame)")
    a.add_argument("--at", type=_point, metavar="X,Y,Z", help="pin to this point, metres (with or without --part)")
    a.add_argument("--text", required=True, help="the note, stored verbatim")
    a.add_argument("--author", help="who writes it (default: your login name)")
    a.add_argument("--json", action="store_true", help="print the new note as JSON")
    a.set_defaults(func=_notes_add)
    a = nsub.add_parser("list", help="list notes", description="List notes, oldest first; text verbatim.")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--status", choices=["open", "resolved"], help="only notes with this status")
    a.add_argument("--part", help="only notes on this part")
    a.add_argument("--json", action="store_true", help="print JSON: {file, notes: [{id, part, point, author, "
                                                       "text, status, created, updated}]}")
    a.set_defaults(func=_notes_list)
    a = nsub.add_parser("edit", help="change a note's text, status or author")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("id", type=int, help="note id (see notes list)")
    a.add_argument("--text", help="new text")
    a.add_argument("--status", choices=["open", "resolved"], help="new status")
    a.add_argument("--author", help="new author")
    a.set_defaults(func=_notes_edit)
    a = nsub.add_parser("resolve", help="mark a note resolved")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("id", type=int, help="note id")
    a.set_defaults(func=_notes_resolve)
    a = nsub.add_parser("delete", help="delete a note")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("id", type=int, help="note id")
    a.set_defaults(func=_notes_delete)
    a = nsub.add_parser("bcf", help="export notes and viewpoints as BCF 2.1 (.bcfzip) for BIM tools")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("-o", "--output", required=True, help="BCF file to write (.bcfzip)")
    a.add_argument("--no-snapshots", action="store_true", help="leave out the PNG snapshot of each viewpoint (faster)")
    a.set_defaults(func=_bcf)
    a = nsub.add_parser("import-bcf", help="import the topics, comments and viewpoints of a BCF 2.x/3.x file",
                        description="Topics and comments become notes (in a new review named after the file), "
                                    "viewpoints become saved viewpoints; components are matched to parts by their "
                                    "IFC GUID. Components no part has are reported. One transaction: a failed "
                                    "import changes nothing.")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("bcf", help="BCF file (.bcf or .bcfzip)")
    a.set_defaults(func=_import_bcf)
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])

    from twin.cli_viewpoints import add_viewpoint_commands

    add_viewpoint_commands(sub)

    p = sub.add_parser("compare", help="compare rack generations, or two design files",
                       description="Per rack type and per rack: power, heat, weight, cost, domestic share, longest "
                                   "lead time, cable count and liquid fraction, with deltas. With OTHER, FILE is "
                                   "the baseline and OTHER the new design (added, removed and changed parts too).")
    p.add_argument("file", help="design file (.twin.db); the baseline when OTHER is given")
    p.add_argument("other", nargs="?", help="a second design file to compare against FILE")
    p.add_argument("--base", help="within one design: the baseline generation (default: the first)")
    p.add_argument("--racks", action="store_true", help="also print one row per rack")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--image", metavar="PNG", help="with OTHER: render OTHER coloured by added / changed parts")
    p.add_argument("--view", default="top", help="view of --image (default top)")
    p.set_defaults(func=_compare)
