"""`twin telemetry watch DESIGN SOURCE… --every 30s [--for 10m]`: poll live sources into a design.

A thin shell over `twin.live_poll`: each poll imports every source (one transaction each, so
an unreachable BMC is reported and the others still land) and prints one line: the time,
per source the readings added and the sensors bound and unbound (or why it failed), and the
stale sensors. Ctrl-C ends it cleanly between polls or during one (a source's transaction is
rolled back or committed whole) with a summary line and exit 0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from twin.errors import TwinError


def add_watch_command(tsub: Any) -> None:
    """Add `watch` to the `telemetry` subcommands."""
    w = tsub.add_parser("watch", help="poll live sources into a design file, one line per poll",
                        description="Poll Redfish services (or any telemetry source) every --every and append "
                                    "their readings to the design, one transaction per source. Prints one line "
                                    "per poll; an unreachable source is reported each poll and the others go on. "
                                    "Ctrl-C stops cleanly.")
    w.add_argument("file", help="design file (.twin.db)")
    w.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a Redfish service root (http(s)://host[:port]/redfish/v1) or any source "
                        "`twin telemetry import` reads")
    w.add_argument("--every", default="30s", help="time between polls: 30s, 5m, 1h (default 30s)")
    w.add_argument("--for", dest="for_", metavar="DURATION", help="stop after this long (default: until Ctrl-C)")
    w.add_argument("--map", dest="bindings_map", metavar="TOML", help="explicit bindings (source → part, rack or loop)")
    w.add_argument("--ca-bundle", metavar="PEM", help="CA certificates to verify HTTPS sources with")
    w.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)")
    w.add_argument("--stale-after", default="60m", metavar="DURATION",
                   help="a sensor whose newest reading is older than this is stale (default 60m)")
    w.set_defaults(func=watch_command)


def watch_command(args: argparse.Namespace) -> int:
    from twin.live_poll import MIN_EVERY_S, PollReport, Watch, check_design, parse_duration

    try:
        every = parse_duration(args.every, "--every")
        if every < MIN_EVERY_S:
            raise TwinError(None, f"{args.every!r}: poll at most once a second", where="--every")
        for_s = parse_duration(args.for_, "--for") if args.for_ is not None else None
        stale_min = parse_duration(args.stale_after, "--stale-after") / 60.0
        if not 0 < args.timeout <= 600:
            raise TwinError(None, f"{args.timeout!r}: give a timeout between 0 and 600 seconds", where="--timeout")
    except TwinError as exc:                 # a usage error: exit 2, naming the option
        raise argparse.ArgumentTypeError(f"{exc.where}: {exc.message}") from None
    path = Path(args.file)
    check_design(path)
    for option in ("bindings_map", "ca_bundle"):
        given = getattr(args, option)
        if given and not Path(given).is_file():
            raise TwinError(Path(given), "no such file", where="--" + option.replace("_", "-").replace("bindings-", ""))
    watch = Watch(path, list(args.sources), every, for_s,
                  options={"bindings_map": args.bindings_map, "ca_bundle": args.ca_bundle, "timeout_s": args.timeout,
                           "stale_after_min": stale_min})
    failures = 0

    def show(report: PollReport) -> None:
        nonlocal failures
        failures += len(report.failed)
        print(report.line(), flush=True)

    try:
        watch.run(show)
    except KeyboardInterrupt:
        print(f"stopped after {watch.polls} poll{'s' if watch.polls != 1 else ''}", file=sys.stderr)
        return 0
    print(f"done: {watch.polls} poll{'s' if watch.polls != 1 else ''}, {failures} failed source poll"
          f"{'s' if failures != 1 else ''}", file=sys.stderr)
    return 1 if watch.polls and failures == watch.polls * len(args.sources) else 0      # nothing ever came in
