"""Careless and hostile specs: absurd numbers, huge counts, NaN, nesting, pipes and devices.

Each case edits the pod spec (or writes a file of its own) and expects one TwinError that
names the file and the key, raised before anything big is allocated: the limits are checked
on the spec, not on the design it would make.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.errors import TwinError
from twin.model.limits import LIMITS
from twin.specs import build_design, load_spec

REPO = Path(__file__).resolve().parents[1]
# Peak resident memory of the child itself. Not getrusage's ru_maxrss: Linux carries that over
# from the parent across fork and exec, so a child of a 1 GB pytest would report 1 GB.
PEAK = ("def peak_kb():\n    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n            return int(line.split()[1])\n")
POD_SPEC = REPO / "scenes" / "nvl72-pod.toml"
EXTRA_TYPE = """
[part_types.odd-tray]
kind = "compute_tray"
supplier = "nvent"
size = [0.5, 0.8, 0.04]
u_height = 1
"""


def _edited(tmp_path: Path, old: str, new: str, extra: str = "") -> Path:
    text = POD_SPEC.read_text()
    assert old in text, old
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1) + extra)
    return path


def _refused(path: Path, *fragments: str, seconds: float = 5.0) -> str:
    """The spec is refused quickly, with the file and every fragment in one line; nothing is written."""
    out = path.with_suffix(".twin.db")
    start = time.perf_counter()
    with pytest.raises(TwinError) as info:
        build_design(path, out)
    assert time.perf_counter() - start < seconds
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()
    return message


HUGE = "9223372036854775807"
COUNTS = [
    ("racks int64 max", "racks = 8", f"racks = {HUGE}", ["rows[0].racks", "racks"]),
    ("racks ten million", "racks = 8", "racks = 10000000", ["rows[0].racks", "50,000 racks"]),
    ("telemetry hours", "hours = 24", f"hours = {HUGE}", ["telemetry.hours"]),
    ("telemetry steps", "hours = 24\ninterval_min = 15", "hours = 87000\ninterval_min = 1",
     ["telemetry.hours", "time steps"]),
    ("crah_count", "crah_count = 3", "crah_count = 100000000", ["hall.crah_count", "CRAH"]),
    ("switchboards", "switchboards = 1", "switchboards = 1000000000", ["power.switchboards"]),
    ("ups per switchboard", "ups_per_switchboard = 2", "ups_per_switchboard = 27", ["power.ups_per_switchboard"]),
    ("repeat", 'cdu = "cdu-inrow-1350"', f'cdu = "cdu-inrow-1350"\nrepeat = [{HUGE}, 1]', ["rows[0].repeat[0]"]),
    ("repeat product", 'cdu = "cdu-inrow-1350"', 'cdu = "cdu-inrow-1350"\nrepeat = [1000, 1000]',
     ["rows[0]", "over the limit"]),
    ("cdus", 'cdu = "cdu-inrow-1350"', 'cdu = "cdu-inrow-1350"\ncdus = 1000000', ["rows[0].cdus"]),
]
NONSENSE = [
    ("NaN hall size", "size_m = [20.0, 12.0, 4.5]", "size_m = [nan, 12.0, 4.5]", ["hall.size_m[0]", "finite"]),
    ("inf hall size", "size_m = [20.0, 12.0, 4.5]", "size_m = [20.0, inf, 4.5]", ["hall.size_m[1]", "finite"]),
    ("hall of 1e7 m", "size_m = [20.0, 12.0, 4.5]", "size_m = [1e7, 1e7, 4.5]", ["hall.size_m[0]", "5,000 m"]),
    ("zero hall side", "size_m = [20.0, 12.0, 4.5]", "size_m = [20.0, 0.0, 4.5]", ["hall.size_m[1]", "above 0"]),
    ("NaN origin", "origin_m = [4.0, 5.0]", "origin_m = [nan, 5.0]", ["rows[0].origin_m[0]", "finite"]),
    ("NaN supply air", "supply_air_c = 24.0", "supply_air_c = nan", ["hall.supply_air_c", "finite"]),
    ("absurd supply air", "supply_air_c = 24.0", "supply_air_c = 1e6", ["hall.supply_air_c"]),
    ("interval 0", "interval_min = 15", "interval_min = 0", ["telemetry.interval_min", "at least 1"]),
    ("ups per switchboard 0", "ups_per_switchboard = 2", "ups_per_switchboard = 0",
     ["power.ups_per_switchboard", "at least 1"]),
    ("switchboards 0", "switchboards = 1", "switchboards = 0", ["power.switchboards", "at least 1"]),
    ("negative utility", "utility_kw = 2500", "utility_kw = -2500", ["power.utility_kw", "above 0"]),
    ("negative seed", "seed = 7", "seed = -7", ["design.seed"]),
    ("zero design dT", "design_dt_k = 10.0", "design_dt_k = 0.0", ["cooling.design_dt_k"]),
    ("hall 400 m high", "size_m = [20.0, 12.0, 4.5]", "size_m = [20.0, 12.0, 400.0]", ["hall.size_m[2]", "200 m"]),
    ("unknown ASHRAE class", 'ashrae_class = "A1"', 'ashrae_class = "Z9"', ["hall.ashrae_class", "A1, A2"]),
    ("start not a time", 'start = "2026-11-24T00:00:00Z"', 'start = "yesterday"', ["telemetry.start", "ISO-8601"]),
]
PART_TYPE_NONSENSE = [
    ("NaN nominal power", "power_nominal_w = nan", ["part_types.odd-tray.power_nominal_w", "finite"]),
    ("negative u_height", "u_height = -5", ["part_types.odd-tray.u_height", "at least 0"]),
    ("liquid fraction 7.5", "liquid_fraction = 7.5", ["part_types.odd-tray.liquid_fraction", "at most 1"]),
    ("negative port count", 'ports = [ { name = "p", kind = "rj45", count = -3 } ]',
     ["part_types.odd-tray.ports[0].count", "at least 0"]),
    ("huge port count", f'ports = [ {{ name = "p", kind = "rj45", count = {HUGE} }} ]',
     ["part_types.odd-tray.ports[0].count", "ports on one part"]),
    ("ports over the per-part limit in total", 'ports = [ { name = "p", kind = "rj45", count = 3000 }, '
     '{ name = "q", kind = "rj45", count = 3000 } ]', ["part_types.odd-tray.ports", "4,096"]),
    ("negative size", "size = [0.5, -0.8, 0.04]", ["part_types.odd-tray.size[1]"]),
]


@pytest.mark.parametrize("old,new,fragments", [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS])
def test_huge_counts_are_refused_before_generation(tmp_path, old, new, fragments):
    _refused(_edited(tmp_path, old, new), *fragments)


@pytest.mark.parametrize("old,new,fragments", [c[1:] for c in NONSENSE], ids=[c[0] for c in NONSENSE])
def test_values_without_physical_sense_name_the_key(tmp_path, old, new, fragments):
    _refused(_edited(tmp_path, old, new), *fragments)


@pytest.mark.parametrize("line,fragments", [c[1:] for c in PART_TYPE_NONSENSE], ids=[c[0] for c in PART_TYPE_NONSENSE])
def test_part_type_values_are_checked(tmp_path, line, fragments):
    extra = EXTRA_TYPE.replace("u_height = 1\n", "") if "u_height" in line else EXTRA_TYPE
    extra = extra.replace("size = [0.5, 0.8, 0.04]\n", "") if line.startswith("size") else extra
    _refused(_edited(tmp_path, "seed = 7", "seed = 7", extra + line + "\n"), *fragments)


def test_template_layout_count_is_bounded(tmp_path):
    extra = ('\n[rack_templates.greedy]\nframe = "orv3-rack-gb200"\n'
             f'layout = [ {{ type = "gb200-compute-tray", count = {HUGE} }} ]\n')
    _refused(_edited(tmp_path, "seed = 7", "seed = 7", extra), "rack_templates.greedy.layout[0].count")


def test_racks_int64_max_stays_small_in_memory(tmp_path):
    """The issue's worst case (killed by the kernel at 24 GB): refused with memory to spare."""
    path = _edited(tmp_path, "racks = 8", f"racks = {HUGE}")
    code = (PEAK + "from twin.specs import build_design\nfrom twin.errors import TwinError\n"
            f"try:\n    build_design({str(path)!r}, {str(tmp_path / 'x.twin.db')!r})\n"
            "except TwinError as e:\n    print(e)\n"
            "print(peak_kb())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    lines = done.stdout.strip().splitlines()
    assert "rows[0].racks" in lines[0]
    assert int(lines[-1]) < 400 * 1024, f"peak RSS {int(lines[-1]) // 1024} MB"


def test_deeply_nested_toml(tmp_path):
    path = tmp_path / "nested.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    _refused(path, "nested")
    shallow = tmp_path / "shallow.toml"
    shallow.write_text("x = " + "[" * 50 + "]" * 50 + "\n")
    _refused(shallow, "nested more than 32 levels")


def test_spec_over_the_size_limit(tmp_path):
    path = tmp_path / "big.toml"
    with path.open("wb") as fh:
        fh.truncate(int(LIMITS["spec_file_bytes"].value) + 1)
    _refused(path, "over the limit")


def test_fifo_spec_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    _refused(fifo, "not a regular file")


def test_dev_zero_is_not_read(tmp_path):
    out = tmp_path / "zero.twin.db"
    with pytest.raises(TwinError) as info:
        build_design("/dev/zero", out)
    assert "/dev/zero" in str(info.value) and "not a regular file" in str(info.value)
    assert not out.exists()


def test_cli_build_dev_zero_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "twin", "build", "/dev/zero", "-o", str(tmp_path / "z.twin.db")],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["twin: error: /dev/zero: is not a regular file (a pipe, device or "
                                                "socket); give a .toml spec file"]


def test_the_sample_scenes_are_within_every_limit():
    """The control: limits refuse nonsense, not the designs twin ships."""
    for name in ("nvl72-pod", "ai-hall", "hall-2000"):
        assert load_spec(REPO / "scenes" / f"{name}.toml")["design"]["name"] == name


def test_limit_error_costs_no_memory_growth():
    """Refusing 10 million racks is instant and keeps this process's peak memory where it was."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"twin-racks-{os.getpid()}.toml"
    path.write_text(POD_SPEC.read_text().replace("racks = 8", "racks = 10000000"))
    try:
        with pytest.raises(TwinError, match="50,000 racks"):
            load_spec(path)
    finally:
        path.unlink()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024
