"""The scenario commands of `twin`: `scenario add/list/delete`, the `--scenario` option of
`check` and `compare`, and `contingency` (thin: parse, call, print).

Kept apart from `twin/cli.py` so the main parser stays short; `add_scenario_commands` hangs
the commands on its sub-parsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _add(args: argparse.Namespace) -> int:
    from twin.store.scenarios import ScenarioStore, changes_from_options

    changes = changes_from_options(args.fail or [], args.set or [], args.scale or [], args.swap or [])
    with ScenarioStore(args.file) as store:
        scenario = store.add(args.name, changes, description=args.description or "", author=args.author,
                             replace=args.replace)
    if args.json:
        _print_json(scenario.to_dict())
    else:
        print(f"stored scenario {scenario.name!r}: " + "; ".join(c.text() for c in scenario.changes))
    return 0


def _list(args: argparse.Namespace) -> int:
    from twin.store.scenarios import ScenarioStore

    with ScenarioStore(args.file) as store:
        scenarios = store.scenarios()
    if args.json:
        _print_json({"file": args.file, "scenarios": [s.to_dict() for s in scenarios]})
        return 0
    for s in scenarios:
        print(f"{s.name}  ({s.author}, {s.created})" + (f"  {s.description}" if s.description else ""))
        for c in s.changes:
            print(f"    {c.text()}")
    print(f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''}", file=sys.stderr)
    return 0


def _delete(args: argparse.Namespace) -> int:
    from twin.store.scenarios import ScenarioStore

    with ScenarioStore(args.file) as store:
        store.delete(args.name)
    print(f"deleted scenario {args.name!r}")
    return 0


def stored_scenario(path: str, name: str):
    """The scenario called `name` in the design file at `path` (TwinError naming it otherwise)."""
    from twin.store.scenarios import ScenarioStore

    with ScenarioStore(path) as store:
        return store.scenario(name)


def _compare_scenario(args: argparse.Namespace) -> int:
    """`twin compare FILE --scenario NAME`: what the scenario changes against the design as it is."""
    from twin.analysis.scenario_compare import compare_results, delta_lines
    from twin.session import ReviewSession
    from twin.store import load_design

    if args.other is not None:
        raise argparse.ArgumentTypeError("--scenario compares FILE with itself under the scenario: give no OTHER")
    scenario = stored_scenario(args.file, args.scenario)
    session = ReviewSession(load_design(args.file))
    names = [n for n, why in session.available().items() if why is None]
    base = {n: session.result(n, scenario=None) for n in names}
    session.set_scenario(scenario)
    under = {n: session.result(n) for n, why in session.available().items() if why is None}
    delta = compare_results(session.design, scenario.name, base, under)
    _print_json(delta.to_dict()) if args.json else print("\n".join(delta_lines(delta)))
    return 0


def _kinds(text: str) -> tuple[str, ...]:
    from twin.analysis.contingency import KINDS

    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"--kinds {text!r}: choose from {', '.join(KINDS)}")
    return kinds


def _contingency(args: argparse.Namespace) -> int:
    """`twin contingency FILE`: the N-1 sweep, its table and verdicts; exit codes as `twin check`'s."""
    from twin.analysis.contingency import elements, sweep
    from twin.analysis.contingency_report import baseline_outcome, exit_code, new_only, report_lines, verdicts
    from twin.errors import TwinError
    from twin.session import ReviewSession
    from twin.store import load_design

    design = load_design(args.file)
    session = ReviewSession(design)
    available = session.available()
    for name in ("power", "thermal"):
        if available.get(name):
            raise TwinError(design.source, f"the N-1 sweep needs the {name} analysis: {available[name]}",
                            where="contingency")
    power, thermal = session.result("power").detail, session.result("thermal").detail
    base = baseline_outcome(design, power, thermal)
    outcomes = [new_only(o, base) for o in sweep(design, power, thermal, args.kinds)]
    counts = {k: len(elements(design, k)[0]) for k in args.kinds}
    if args.json:
        _print_json({"file": str(design.source), "kinds": list(args.kinds), "elements": counts,
                     "single_points_of_failure": verdicts(outcomes, args.kinds),
                     "outcomes": [o.to_dict() for o in outcomes if o.critical or args.all]})
    else:
        print("\n".join(report_lines(design.source, outcomes, args.kinds, counts)))
    return exit_code(outcomes, args.fail_on)


def add_scenario_commands(sub: argparse._SubParsersAction) -> None:
    """Add `scenario` and `contingency` to the `twin` command's sub-parsers, and `--scenario` to `compare`."""
    compare = sub.choices.get("compare")
    if compare is not None:
        compare.add_argument("--scenario", metavar="NAME", help="compare FILE with itself under this stored "
                                                                "scenario: findings and figures that change")
        plain = compare.get_default("func")
        compare.set_defaults(func=lambda a: _compare_scenario(a) if a.scenario else plain(a))
    p = sub.add_parser("scenario", help="store, list and delete what-if scenarios in a design file",
                       description="A scenario is a name and changes: elements failed or out for maintenance, "
                                   "settings, load scaling, part type swaps. Run the checks under one with "
                                   "`twin check FILE --scenario NAME`.")
    ssub = p.add_subparsers(dest="what", metavar="WHAT")
    a = ssub.add_parser("add", help="store a scenario", description="Store a scenario in the design file. Every "
                        "name must be in the design (an unknown one is an error naming it, and nothing is written).")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--name", required=True, help="the scenario's name")
    a.add_argument("--fail", action="append", metavar="ELEMENT[,ELEMENT…]",
                   help="elements failed or out for maintenance, as the design names them: power nodes (UPS-1A, "
                        "SWB-2, A-busway), CDUs, cooling loops, CRAHs, switches, cable trays, racks (repeatable)")
    a.add_argument("--set", action="append", metavar="SETTING[@WHERE]=VALUE",
                   help="supply_air_c[@HALL]=25, ashrae_class=A2, coolant_supply_c[@LOOP]=40 (repeatable)")
    a.add_argument("--scale", action="append", metavar="RACK|ROW|GEN=FACTOR",
                   help="scale the load of a rack, a row or a generation, e.g. B04=1.2 or gen:rubin=1.1 (repeatable)")
    a.add_argument("--swap", action="append", metavar="PART_OR_TYPE=TYPE",
                   help="a part (or every part of a type) becomes another catalog type, e.g. G-CDU1=cdu-inrow-2000")
    a.add_argument("--description", help="a line saying what the scenario is for")
    a.add_argument("--author", help="who made it (default: your login name)")
    a.add_argument("--replace", action="store_true", help="replace a scenario of the same name")
    a.add_argument("--json", action="store_true", help="print the stored scenario as JSON")
    a.set_defaults(func=_add)
    a = ssub.add_parser("list", help="list the scenarios of a design file")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--json", action="store_true", help="print JSON")
    a.set_defaults(func=_list)
    a = ssub.add_parser("delete", help="delete a scenario")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("name", help="the scenario's name")
    a.set_defaults(func=_delete)
    p.set_defaults(func=lambda _a, p=p: (p.print_help(), 2)[1])

    from twin.analysis.contingency import DEFAULT_KINDS
    p = sub.add_parser("contingency", help="N-1: fail every UPS, busway, switchboard, CDU, CRAH and switch in turn",
                       description="Fails each element of the kinds asked for, one at a time, and lists those whose "
                                   "single failure causes a critical finding (racks that lose power, nodes or loops "
                                   "over capacity, loops that lose cooling, racks cut off the network), with a "
                                   "verdict per kind. Exit codes as `twin check`: 1 with --fail-on when a single "
                                   "failure is that severe.")
    p.add_argument("file", help="design file (.twin.db)")
    p.add_argument("--kinds", type=_kinds, default=DEFAULT_KINDS, metavar="KIND[,KIND…]",
                   help=f"what to fail (default {','.join(DEFAULT_KINDS)})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--all", action="store_true", help="with --json: every element's outcome, not only the critical")
    p.add_argument("--fail-on", choices=["critical", "warning", "info", "never"], default="never",
                   help="exit 1 when a single failure causes a finding at least this severe (for CI); default never")
    p.set_defaults(func=_contingency)
