"""Every command of the CLI against hostile files: one line naming the source, rc 1, nothing else touched.

The table below pairs each `twin` command (enumerated from the argparse parser, so a new
command without a row fails `test_every_command_has_a_row_and_every_kind_is_used`) with
the hostile inputs of tests/hostile_inputs.py: cut-off
and garbage SQLite, a foreign schema, a BLOB or 10 MB design name, non-finite and 1e308
numbers, duplicate ids, a trigger, an empty table, NULLs, a FIFO where a file belongs, a
hall of 1e9 m, a tray at infinity; specs with garbage, 1e12 racks, NaN and overlapping
rows; device-type libraries with a billion-laughs YAML, a 100k-deep list, a symlink out
and a FIFO schema; NetBox dumps 100k deep, with infinite heights, list-valued fields and
a 1e8 U device; CFD fields with a 300,000-character CSV cell or a .vti declaring 10^15 points.

Each row runs `python -m twin` in a subprocess with its own copy of the input, under
RLIMIT_AS (3 GB), RLIMIT_CPU, no core files and a wall-clock timeout, and asserts:
- no traceback, no generic "(run with --debug …)" message, no native crash (rc 0 or 1);
- `error` rows: rc 1 and exactly one `twin: error:` line, the last one, naming the source
  (the file, and the table, key, row or object where the row says so);
- `warn` rows: rc 0 and a `twin: warning:` line naming the source; `ok` rows: rc 0;
- nothing in the row's folder changed but the command's output (`out*`; a design file the
  command writes notes into, when it succeeded), every file hashed before and after.
The rows run two at a time (the machine has two cores); only the selected rows run. A
`view` row can only check that, with no display, the viewer refuses in one line naming
the file: the window's own handling of bad files is tested in tests/test_app*.py.
`test_a_full_disk_is_one_line_naming_the_output` adds a full disk (RLIMIT_FSIZE) to every
command that writes a file.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile_inputs import KINDS, design, library, sql

REPO = Path(__file__).resolve().parents[1]
MEMORY_BYTES = 3 * 1024 ** 3
CPU_SECONDS = 60
WALL_SECONDS = 90


# ---------------------------------------------------------------- commands

def _argv(command: tuple[str, ...], source: Path, folder: Path, src: dict) -> list[str]:
    """The argument list for `command` reading `source` and writing under `folder`/out*."""
    out = folder / "out"
    design = str(source)
    table: dict[tuple[str, ...], list[str]] = {
        ("build",): ["build", design, "-o", f"{out}.twin.db", "-q"],
        ("info",): ["info", design],
        ("check",): ["check", design],
        ("view",): ["view", design],
        ("export", "image"): ["export", "image", design, "-o", f"{out}.png", "--size", "64x48"],
        ("export", "cables"): ["export", "cables", design, "-o", f"{out}.csv"],
        ("export", "glb"): ["export", "glb", design, "-o", f"{out}.glb", "-q"],
        ("export", "usd"): ["export", "usd", design, "-o", f"{out}.usda", "-q"],
        ("export", "report"): ["export", "report", design, "-o", f"{out}.html", "-q", "--size", "64x48"],
        ("export", "csv"): ["export", "csv", design, "-o", f"{out}-csv", "-q"],
        ("import", "device-types"): ["import", "device-types", design, "-o", f"{out}.toml"],
        ("import", "netbox"): ["import", "netbox", design, "-o", f"{out}.twin.db"],
        ("import", "cad"): ["import", "cad", design, "--as", "rack-type", "hostile", "-o", f"{out}.toml"],
        ("notes", "add"): ["notes", "add", design, "--at", "1,1,1", "--text", "hostile", "--author", "t"],
        ("notes", "list"): ["notes", "list", design],
        ("notes", "edit"): ["notes", "edit", design, "1", "--text", "x"],
        ("notes", "resolve"): ["notes", "resolve", design, "1"],
        ("notes", "delete"): ["notes", "delete", design, "1"],
        ("notes", "bcf"): ["notes", "bcf", design, "-o", f"{out}.bcfzip"],
        ("notes", "import-bcf"): ["notes", "import-bcf", design, str(src["bcf"])],
        ("viewpoints", "list"): ["viewpoints", "list", design],
        ("viewpoints", "add"): ["viewpoints", "add", design, "--name", "v", "--camera", "1,2,3:4,5,6"],
        ("viewpoints", "image"): ["viewpoints", "image", design, "v", "-o", f"{out}.png", "--size", "64x48"],
        ("viewpoints", "delete"): ["viewpoints", "delete", design, "v"],
        ("compare",): ["compare", design, str(src["pod"])],
        ("telemetry", "watch"): ["telemetry", "watch", design, "http://127.0.0.1:9/redfish/v1", "--every", "1s",
                                 "--for", "1s", "--timeout", "1"],
        ("scenario", "add"): ["scenario", "add", design, "--name", "hostile", "--fail", "UPS-1A"],
        ("scenario", "list"): ["scenario", "list", design],
        ("scenario", "delete"): ["scenario", "delete", design, "hostile"],
        ("contingency",): ["contingency", design],
    }
    if command == ("notes", "import-bcf") and source.suffix == ".bcf":    # the hostile input is the BCF file
        return ["notes", "import-bcf", str(folder / "design.twin.db"), design]
    if command[0] == "telemetry" and command[1] != "watch":   # the design, or a telemetry source, is the hostile one
        if source.name.startswith("in.twin.db"):
            readings = folder / "out-readings.csv"
            readings.write_text("ts,sensor,value,unit\n2026-11-24T00:00:00Z,meter,1,kW\n")
            return ["telemetry", command[1], design, str(readings)]
        shutil.copy(src["pod"], f"{out}-design.twin.db")
        return ["telemetry", command[1], f"{out}-design.twin.db", design]
    if command == ("export", "image") and source.suffix in (".csv", ".vti"):
        return ["export", "image", str(src["pod"]), "-o", f"{out}.png", "--size", "64x48", "--field", design]
    return table[command]


#: Commands that write into the design file they read (it is then their output, when they succeed).
WRITES_DESIGN = {("notes", "add"), ("notes", "edit"), ("notes", "resolve"), ("notes", "delete"),
                 ("notes", "import-bcf"), ("viewpoints", "add"), ("viewpoints", "delete"), ("scenario", "add"),
                 ("scenario", "delete")}
DESIGN_COMMANDS = [("info",), ("check",), ("view",), ("export", "image"), ("export", "cables"), ("export", "glb"),
                   ("export", "usd"), ("export", "report"), ("export", "csv"), ("notes", "add"), ("notes", "list"),
                   ("notes", "edit"), ("notes", "resolve"), ("notes", "delete"), ("notes", "bcf"),
                   ("notes", "import-bcf"), ("viewpoints", "list"), ("viewpoints", "add"), ("viewpoints", "image"),
                   ("viewpoints", "delete"), ("compare",), ("telemetry", "import"), ("telemetry", "bindings"),
                   ("scenario", "add"), ("scenario", "list"), ("scenario", "delete"), ("contingency",)]


@dataclass(frozen=True)
class Row:
    command: tuple[str, ...]
    kind: str
    expect: str                     # error | warn | ok | named (a warning or an error, naming the source)
    names: tuple[str, ...] = ()     # besides the input's path: what the error or a warning must name
    path_named: bool = True         # False: a warning names the object inside (dcim.rack pk 3), not the file

    @property
    def id(self) -> str:
        return f"{'-'.join(self.command)}:{self.kind}"


def _rows() -> list[Row]:
    rows: list[Row] = []
    for command in DESIGN_COMMANDS:                  # every design command: a cut-off file
        rows.append(Row(command, "truncated-sqlite", "error"))
    for command in (("info",), ("check",), ("export", "image"), ("export", "usd"), ("notes", "add"),
                    ("notes", "list"), ("notes", "bcf"), ("notes", "import-bcf"), ("viewpoints", "list"),
                    ("viewpoints", "add"), ("compare",)):
        rows.append(Row(command, "fifo-design", "error"))      # the reader's open and the review store's open
    for command in (("info",), ("check",), ("notes", "add"), ("export", "glb")):
        rows.append(Row(command, "garbage-sqlite", "error"))
        rows.append(Row(command, "wrong-schema", "error", ("meta",)))
    for command in (("info",), ("export", "image"), ("export", "glb"), ("export", "report")):
        rows.append(Row(command, "blob-design-name", "ok"))
    rows += [Row(("info",), "huge-design-name", "ok"), Row(("export", "image"), "huge-design-name", "ok")]
    for command in (("info",), ("check",), ("export", "image"), ("export", "glb")):
        rows.append(Row(command, "inf-positions", "warn", ("table parts",)))
    rows += [Row(("info",), "1e308-power", "ok"), Row(("export", "glb"), "1e308-power", "ok"),
             Row(("check",), "1e308-power", "ok")]
    for command in (("info",), ("check",), ("export", "cables")):
        rows.append(Row(command, "duplicate-ids", "error", ("parts",)))
    rows += [Row(("contingency",), "fifo-design", "error"), Row(("contingency",), "duplicate-ids", "error", ("parts",)),
             Row(("contingency",), "1e308-power", "ok"), Row(("contingency",), "empty-parts", "error", ("table parts",))]
    rows += [Row(("scenario", "add"), "fifo-design", "error"), Row(("scenario", "list"), "fifo-design", "error"),
             Row(("scenario", "add"), "garbage-sqlite", "error"), Row(("scenario", "add"), "wrong-schema", "error")]
    rows += [Row(("notes", "add"), "trigger-on-notes", "error", ("trigger",)),
             Row(("info",), "trigger-on-notes", "ok")]
    for command in (("info",), ("check",), ("export", "glb"), ("compare",)):
        rows.append(Row(command, "empty-parts", "error", ("table parts",)))
    rows += [Row(("info",), "null-lead-time", "ok"), Row(("compare",), "null-lead-time", "ok")]
    rows += [Row(("export", "image"), "hall-1e9-m", "error", ("table halls",)),
             Row(("info",), "hall-1e9-m", "error", ("table halls",))]
    for command in (("export", "image"), ("export", "glb"), ("export", "usd")):
        rows.append(Row(command, "tray-at-inf", "named", ("cable_trays",)))
    rows += [Row(("build",), "spec-garbage", "error"), Row(("build",), "spec-1e12-racks", "error", ("racks",)),
             Row(("build",), "spec-nan", "error", ("liquid_supply_c",)),
             Row(("build",), "spec-overlapping-rows", "error", ("rows A and B",)),
             Row(("build",), "fifo-spec", "error")]
    rows += [Row(("import", "device-types"), "yaml-billion-laughs", "warn", ("bad.yaml",)),
             Row(("import", "device-types"), "yaml-100k-deep", "warn", ("bad.yaml",)),
             Row(("import", "device-types"), "library-symlink-out", "warn", ("bad.yaml",)),
             Row(("import", "device-types"), "library-fifo-schema", "warn", ("devicetype.json",)),
             Row(("import", "device-types"), "library-1e8-u-only", "error")]
    rows += [Row(("import", "netbox"), "json-100k-deep", "error"),
             Row(("import", "netbox"), "dump-inf-heights", "warn", ("dcim.rack pk", "u_height"), False),
             Row(("import", "netbox"), "dump-1e400-heights", "warn", ("dcim.devicetype pk", "u_height"), False),
             Row(("import", "netbox"), "dump-list-fields", "warn", ("dcim.device pk", "rack"), False),
             Row(("import", "netbox"), "dump-1e8-u", "warn", ("dcim.devicetype pk", "u_height"), False),
             Row(("import", "netbox"), "fifo-dump", "error")]
    rows += [Row(("import", "cad"), kind, "error") for kind in ("step-truncated", "step-garbage", "fifo-step")]
    rows.append(Row(("export", "image"), "csv-300k-cell", "error", ("line 2",)))
    rows.append(Row(("export", "image"), "vti-1e15-points", "error"))
    rows += [Row(("telemetry", "watch"), kind, "error", names) for kind, names in (
        ("truncated-sqlite", ()), ("garbage-sqlite", ()), ("wrong-schema", ("meta",)), ("fifo-design", ()),
        ("trigger-on-notes", ("trigger",)))]
    rows += [Row(("telemetry", "import"), "fifo-design", "error"), Row(("telemetry", "import"), "garbage-sqlite", "error"),
             Row(("telemetry", "import"), "wrong-schema", "error", ("meta",)),
             Row(("telemetry", "import"), "trigger-on-notes", "error", ("trigger",))]
    for command in (("telemetry", "import"), ("telemetry", "bindings")):
        rows += [Row(command, "prom-garbage", "error"), Row(command, "csv-bad-rows", "error", ("line 3",)),
                 Row(command, "fifo-metrics", "error"), Row(command, "mockup-100k-deep", "error", ("nested",))]
    rows += [Row(("notes", "import-bcf"), "bcf-path-traversal", "error", ("outside the archive",)),
             Row(("notes", "import-bcf"), "bcf-zip-bomb", "error", ("zip bomb",)),
             Row(("notes", "import-bcf"), "bcf-billion-laughs", "error", ("DTD or entities",)),
             Row(("notes", "import-bcf"), "fifo-bcf", "error", ("not a regular file",)),
             Row(("notes", "import-bcf"), "trigger-on-notes", "error", ("trigger",)),
             Row(("viewpoints", "add"), "trigger-on-notes", "error", ("trigger",))]
    return rows


ROWS = _rows()


def _leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [prefix]
    out: list[tuple[str, ...]] = []
    for action in subs:
        for name, child in action.choices.items():
            out += _leaf_commands(child, prefix + (name,))
    return out


# ---------------------------------------------------------------- running a row

def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (not following links): a hash for files, the kind for anything else."""
    out: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = os.lstat(path)
            rel = str(path.relative_to(folder))
            if stat.S_ISREG(st.st_mode):
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = "link:" + os.readlink(path)
            else:
                out[rel] = "dir" if stat.S_ISDIR(st.st_mode) else f"special:{stat.S_IFMT(st.st_mode)}"
    return out


@dataclass
class Outcome:
    row: Row
    source: Path
    returncode: int
    stderr: str
    stdout: str
    changed: list[str]
    seconds: float


def _run(row: Row, folder: Path, src: dict) -> Outcome:
    import time

    folder.mkdir(parents=True)
    source = KINDS[row.kind].make(folder, src)
    before = _snapshot(folder)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "twin", *_argv(row.command, source, folder, src)],
                              capture_output=True, text=True, timeout=WALL_SECONDS, cwd=REPO, env=env,
                              preexec_fn=_limits, stdin=subprocess.DEVNULL)
        code, stderr, stdout = done.returncode, done.stderr, done.stdout
    except subprocess.TimeoutExpired as exc:
        code, stderr, stdout = -9, f"still running after {WALL_SECONDS} s\n{exc.stderr or ''}", ""
    seconds = time.perf_counter() - start
    after = _snapshot(folder)
    writes = row.command in WRITES_DESIGN and code == 0
    allowed = (lambda rel: rel.startswith("out") or (writes and rel.startswith(source.name)))
    changed = sorted(rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel) and not allowed(rel))
    return Outcome(row, source, code, stderr if isinstance(stderr, str) else stderr.decode(errors="replace"),
                   stdout, changed, seconds)


@pytest.fixture(scope="module")
def sources(pod_db: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The real inputs the hostile ones are made from (read-only for the rows)."""
    folder = tmp_path_factory.mktemp("hostile-sources")
    library = shared_data / "netbox-devicetypes"
    good = next(library.rglob("PDU81005.yaml"))
    outside = folder / "outside" / "secret.yaml"            # a valid device type: only containment keeps it out
    outside.parent.mkdir()
    outside.write_text(good.read_text().replace("slug: ", "slug: secret-", 1))
    return {"pod": pod_db, "spec": REPO / "scenes" / "nvl72-pod.toml", "library": library,
            "good_type": good, "outside_yaml": outside,
            "dump": shared_data / "netbox-demo" / "netbox-demo-v3.6.json", "folder": folder,
            "step": shared_data / "step" / "base_interface_AP214.STEP",
            "bcf": shared_data / "bcf-2.1-testcases" / "Visualization_Single_visible_wall.bcf"}


@pytest.fixture(scope="module")
def outcomes(request, sources, tmp_path_factory) -> dict[str, Outcome]:
    """Every selected row run once, two at a time; the sources hashed before and after the lot."""
    wanted = {item.callspec.params["row"].id for item in request.session.items
              if getattr(item, "callspec", None) and "row" in item.callspec.params}
    rows = [row for row in ROWS if row.id in wanted]
    base = tmp_path_factory.mktemp("hostile-rows")
    shared_before = _snapshot(sources["folder"]), Path(sources["pod"]).read_bytes()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda ik: _run(ik[1], base / f"row{ik[0]:03d}", sources), enumerate(rows)))
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    print(f"\n{len(rows)} hostile rows: {cpu:.0f} s of CPU in the commands")
    assert (_snapshot(sources["folder"]), Path(sources["pod"]).read_bytes()) == shared_before
    slow = sorted(results, key=lambda o: -o.seconds)[:8]
    print("\nslowest hostile rows: " + ", ".join(f"{o.row.id} {o.seconds:.1f} s" for o in slow))
    return {o.row.id: o for o in results}


# ---------------------------------------------------------------- the table

def test_every_command_has_a_row_and_every_kind_is_used():
    from twin.cli import build_parser

    commands = set(_leaf_commands(build_parser()))
    covered = {row.command for row in ROWS}
    assert commands - covered == set(), f"commands with no hostile-input row: {sorted(commands - covered)}"
    assert covered - commands == set(), f"rows for commands twin does not have: {sorted(covered - commands)}"
    assert {row.kind for row in ROWS} == set(KINDS)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_hostile_input(row: Row, outcomes: dict[str, Outcome]):
    out = outcomes[row.id]
    err = out.stderr
    context = f"{row.id}: rc {out.returncode} in {out.seconds:.1f} s\n{err[-3000:]}"
    assert "Traceback" not in err and "--debug" not in err, context
    assert "RuntimeWarning" not in err and "Fatal Python error" not in err, context
    assert out.returncode in (0, 1), context                 # not killed, no abort (134) or segfault (139)
    errors = [line for line in err.splitlines() if line.startswith("twin: error:")]
    warnings = [line for line in err.splitlines() if line.startswith("twin: warning:")]
    warnings += [line for line in out.stdout.splitlines() if line.startswith("  warning: ")]   # twin info's summary
    expect = row.expect if row.expect != "named" else ("error" if out.returncode == 1 else "warn")
    if expect == "error":
        assert out.returncode == 1 and len(errors) == 1, context
        assert err.strip().splitlines()[-1] == errors[0], context
        assert str(out.source) in errors[0] and all(n in errors[0] for n in row.names), context
    else:
        assert out.returncode == 0 and not errors, context
    if expect == "warn":
        assert any((str(out.source) in w or not row.path_named) and all(n in w for n in row.names)
                   for w in warnings), context
    assert out.changed == [], f"{row.id}: changed outside the output: {out.changed}"
    catalog = out.source.parent / "out.toml"
    assert not catalog.exists() or "secret-" not in catalog.read_text(), "a file outside the library was imported"


# ---------------------------------------------------------------- a full disk

#: Commands that write a file, each with a file-size limit its output passes (RLIMIT_FSIZE: past it a
#: write fails with EFBIG, as on a full disk). The output must not exist afterwards, nor any temp file.
FULL_DISK = {
    ("build",): 64 * 1024,
    ("import", "netbox"): 64 * 1024,
    ("import", "device-types"): 256,
    ("export", "usd"): 64 * 1024,
    ("export", "glb"): 64 * 1024,
    ("export", "cables"): 16 * 1024,
    ("notes", "bcf"): 1024,
    ("viewpoints", "image"): 1024,
}


@pytest.mark.parametrize("command", list(FULL_DISK), ids=["-".join(c) for c in FULL_DISK])
def test_a_full_disk_is_one_line_naming_the_output(command, sources, tmp_path):
    if command == ("build",):
        source = Path(sources["spec"])
    elif command == ("import", "netbox"):
        source = Path(sources["dump"])
    elif command == ("import", "device-types"):
        source = library(None)(tmp_path, sources)
    else:
        source = design(tmp_path, sources)
    if command == ("notes", "bcf"):
        sql(source, "INSERT INTO notes (author, text, status, created, updated) VALUES ('t', 'a note to fill "
                     "a zip entry', 'open', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
    if command == ("viewpoints", "image"):
        sql(source, "INSERT INTO viewpoints (name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle) "
                     "VALUES ('v', 1, -8, 3, 1, 0, 1, 0, 0, 1, 30)")
    argv = _argv(command, source, tmp_path, sources)
    output = Path(argv[argv.index("-o") + 1])
    cap = FULL_DISK[command]

    def small_files() -> None:
        _limits()
        resource.setrlimit(resource.RLIMIT_FSIZE, (cap, cap))

    before = _snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "twin", *argv], capture_output=True, text=True, cwd=REPO,
                          timeout=WALL_SECONDS, preexec_fn=small_files, stdin=subprocess.DEVNULL)
    errors = [line for line in done.stderr.splitlines() if line.startswith("twin: error:")]
    context = f"rc {done.returncode}\n{done.stderr[-2000:]}"
    assert done.returncode == 1 and len(errors) == 1 and str(output) in errors[0], context
    assert "Traceback" not in done.stderr and "--debug" not in done.stderr, context
    assert _snapshot(tmp_path) == before, "the output or a temporary file was left behind"
