"""`twin telemetry watch` as a real subprocess against a real Redfish service (sushy-static on
127.0.0.1 serving a copy of DMTF's CDU mockup, its chassis serial set to an ai-hall CDU) and
a port where nothing listens. What each poll line says is checked against SQL on the design.
"""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.live_support import free_port, redfish_service

from twin.live_poll import parse_duration

REPO = Path(__file__).resolve().parents[1]
POLL = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)  (.*) · stale (\d+)")


def sql(path, query: str, args=()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(query, args).fetchall()


@pytest.fixture
def cdu_service(tmp_path: Path, shared_data: Path, hall_db: Path):
    (serial,), = sql(hall_db, "select serial from parts where name = 'A-CDU1'")
    with redfish_service(shared_data / "redfish" / "public-cooling-unit", tmp_path / "mockup",
                         {"Chassis/CDU": serial}) as url:
        yield url


def watch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", "telemetry", "watch", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def test_watch_polls_reports_each_source_and_appends(cdu_service: str, hall_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "watch.twin.db"
    shutil.copy(hall_db, db)
    dead = f"http://127.0.0.1:{free_port()}/redfish/v1"
    out = watch(str(db), cdu_service, dead, "--every", "1s", "--for", "6s",
                "--timeout", "2")
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    polls = [POLL.match(ln) for ln in lines]
    assert all(polls) and 2 <= len(polls) <= 6, out.stdout     # a poll a second, or as fast as the dead host allows
    added, bound = [], set()
    for poll in polls:
        good, bad = poll.group(2).split(" | ")
        assert bad.startswith(f"{dead}: FAILED ") and "127.0.0.1" in bad
        m = re.fullmatch(re.escape(cdu_service) + r": \+(\d+) readings, (\d+) bound, (\d+) unbound", good)
        assert m, good
        added.append(int(m.group(1)))
        bound.add((int(m.group(2)), int(m.group(3))))
    # every reading the lines announce is in the file, tagged with the service; nothing from the dead one
    stored = sql(db, "select count(*) from readings r join sensors s on s.id = r.sensor_id where s.source = ?",
                 [cdu_service])[0][0]
    assert sum(added) == stored and added[0] > 0
    assert sql(db, "select count(*) from sensors where source = ?", [dead])[0][0] == 0
    in_file = sql(db, "select count(*), sum(part_id is not null or rack_id is not null or cooling_loop_id is not null)"
                      " from sensors where source = ?", [cdu_service])[0]
    assert bound == {(in_file[1], in_file[0] - in_file[1])}       # every poll binds the same sensors
    assert in_file[1] > 0                                          # the CDU's sensors bind by its serial
    assert "done: " in out.stderr and "Traceback" not in out.stderr


def test_ctrl_c_stops_cleanly(cdu_service: str, hall_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "watch.twin.db"
    shutil.copy(hall_db, db)
    proc = subprocess.Popen([sys.executable, "-m", "twin", "telemetry", "watch", str(db), cdu_service, "--every",
                             "30s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert POLL.match(first), first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "stopped after 1 poll" in err and "Traceback" not in err, err
    assert sql(db, "pragma integrity_check") == [("ok",)]
    assert sql(db, "select count(*) from sensors where source = ?", [cdu_service])[0][0] > 0


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("10m", 600), ("1h30m", 5400), ("2d", 172800), ("45", 45),
                                          ("1.5h", 5400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("every,message", [("0s", "above zero"), ("10x", "not a duration"),
                                           ("0.5s", "once a second"), ("999d", "366 days"), ("-5s", "")])
def test_bad_durations_are_one_line(hall_db: Path, every: str, message: str) -> None:
    out = watch(str(hall_db), "http://127.0.0.1:9/redfish/v1", f"--every={every}", "--for", "1s")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("twin: error: --every: ") and message in out.stderr


def test_watch_binds_by_the_map_and_refuses_a_bad_one(tmp_path: Path, shared_data: Path, hall_db: Path) -> None:
    db = tmp_path / "watch.twin.db"
    shutil.copy(hall_db, db)
    bindings = tmp_path / "map.toml"
    bindings.write_text('[[bind]]\nuri = "/redfish/v1/Chassis/CDU/Sensors/SecondaryFlow"\nloop = "A-loop1"\n'
                        'quantity = "flow"\n')
    with redfish_service(shared_data / "redfish" / "public-cooling-unit", tmp_path / "mockup") as url:
        out = watch(str(db), url, "--every", "1s", "--for", "1s", "--map", str(bindings))
        assert out.returncode == 0 and POLL.match(out.stdout), out.stderr
        rows = sql(db, "select l.name, s.kind from sensors s join cooling_loops l on l.id = s.cooling_loop_id "
                       "where s.source = ? and s.source_uri = ?", [url, "/redfish/v1/Chassis/CDU/Sensors/SecondaryFlow"])
        assert rows == [("A-loop1", "flow")]
        bindings.write_text("[[bind]]\nuri = 3\n")
        bad = watch(str(db), url, "--every", "1s", "--for", "1s", "--map", str(bindings))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith(f"twin: error: {bindings}")
