"""Two rows of a spec on the same floor space are a spec error naming both (they built silently)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
POD = (REPO / "scenes" / "nvl72-pod.toml").read_text()     # row A: 8 racks from x 4.0 m on y 5.0 m


def _row(name: str, x: float, y: float, racks: int = 4, facing: str = "+y") -> str:
    return (f'\n[[rows]]\nname = "{name}"\ngeneration = "blackwell"\nracks = {racks}\norigin_m = [{x}, {y}]\n'
            f'facing = "{facing}"\ncdu = "cdu-inrow-1350"\n')


def build(tmp_path: Path, extra: str) -> subprocess.CompletedProcess:
    spec = tmp_path / "pod.toml"
    spec.write_text(POD + extra)
    return subprocess.run([sys.executable, "-m", "twin", "build", spec, "-o", tmp_path / "pod.twin.db", "-q"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)


@pytest.mark.parametrize("x,y", [(6.0, 5.3), (4.0, 5.0), (2.0, 4.6)])
def test_overlapping_rows_are_refused_naming_both(tmp_path, x, y):
    done = build(tmp_path, _row("B", x, y))
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and lines[-1].startswith("twin: error: "), done.stderr[-1500:]
    assert "rows A and B" in lines[-1] and "rows[0] and rows[1]" in lines[-1] and "Traceback" not in done.stderr
    assert not (tmp_path / "pod.twin.db").exists()
    # the same row across the aisle (row A is ~1.1 m deep on y 5.0; this is 2.4 m away) shares no floor
    assert build(tmp_path, _row("B", x, 7.4)).returncode == 0


def test_a_repeat_whose_pitch_is_smaller_than_a_rack_overlaps_itself(tmp_path):
    done = build(tmp_path, _row("C", 4.0, 9.0, racks=2).replace('cdu = "cdu-inrow-1350"',
                                                                'cdu = "cdu-inrow-1350"\nrepeat = [1, 2]\n'
                                                                'pitch_m = [0.0, 0.5]'))
    assert done.returncode == 1 and "rows C01 and C02" in done.stderr, done.stderr[-1500:]
