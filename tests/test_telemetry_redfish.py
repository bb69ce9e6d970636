"""Redfish telemetry import against a real Redfish server process (sushy-static) serving DMTF's mockups.

Expectations come from reading the mockup JSON here, with the unit conversions written out in
this file; the design file is read back with plain SQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.redfish_server import auth_server, drip_server, free_port, mockup_server, self_signed
from twin.importers.telemetry import bindings, import_sources

MOCKUPS = ("public-cooling-unit", "public-liquid-cooled-server", "public-power-shelf")
#: ReadingUnits -> (stored unit, factor): the conversions the Redfish mockups need, by hand
UNITS = {"Cel": ("degC", 1.0), "W": ("W", 1.0), "kW": ("W", 1000.0), "kPa": ("kPa", 1.0), "L/min": ("L/min", 1.0),
         "%": ("%", 1.0), "A": ("A", 1.0), "V": ("V", 1.0), "Hz": ("Hz", 1.0), "kW.h": ("kWh", 1.0)}
#: the Sensor schema's unit for each ReadingType, for sensors that leave ReadingUnits out
TYPE_UNITS = {"Voltage": "V", "Current": "A", "Power": "W", "Temperature": "Cel", "Frequency": "Hz",
              "EnergykWh": "kW.h", "Percent": "%", "Heat": "kW", "Humidity": "%"}


def _sensors_in(folder: Path) -> dict[str, tuple[float | None, str]]:
    """Every Sensor resource of a mockup: URI -> (value in the stored unit or None, stored unit).

    The URI is where the resource is served (its folder): one DMTF mockup file repeats another's
    `@odata.id` (the CDU's SecondaryHeatLoad says PrimaryHeatLoad)."""
    out = {}
    for index in folder.rglob("index.json"):
        doc = json.loads(index.read_text(encoding="utf-8"))
        if not str(doc.get("@odata.type", "")).startswith("#Sensor."):
            continue
        unit, factor = UNITS[doc.get("ReadingUnits") or TYPE_UNITS[doc["ReadingType"]]]
        absent = doc.get("Status", {}).get("State") in ("Absent", "Disabled")
        reading = doc.get("Reading")
        uri = "/redfish/v1/" + index.parent.relative_to(folder).as_posix()
        out[uri] = (None if reading is None or absent else reading * factor, unit)
    return out


def _tables(db: Path) -> str:
    """A digest of every row of every table (what a failed import must leave unchanged)."""
    conn = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def servers(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """The three mockups, each served by its own sushy-static on 127.0.0.1."""
    logs = tmp_path_factory.mktemp("sushy")
    with mockup_server(shared_data / "redfish" / MOCKUPS[0], logs / "0.log") as a, \
            mockup_server(shared_data / "redfish" / MOCKUPS[1], logs / "1.log") as b, \
            mockup_server(shared_data / "redfish" / MOCKUPS[2], logs / "2.log") as c:
        yield dict(zip(MOCKUPS, (a, b, c)))


@pytest.fixture()
def design(hall_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ai-hall.twin.db"
    shutil.copy(hall_db, path)
    return path


def test_every_sensor_of_the_three_mockups_is_imported_with_its_value_and_unit(servers, shared_data, design):
    reports = import_sources(design, list(servers.values()))
    assert [r.error for r in reports] == [None, None, None]
    conn = sqlite3.connect(design)
    for name, url in servers.items():
        expected = _sensors_in(shared_data / "redfish" / name)
        assert len(expected) > 10
        got = {uri: (value, unit) for uri, unit, value in conn.execute(
            "SELECT s.source_uri, s.unit, r.value FROM sensors s LEFT JOIN readings r ON r.sensor_id = s.id "
            "WHERE s.source = ?", (url,))}
        for uri, (value, unit) in expected.items():
            assert uri in got, f"{name}: {uri} not imported"
            assert got[uri][1] == unit, uri
            if value is None:
                assert got[uri][0] is None, uri
            else:
                assert got[uri][0] == pytest.approx(value), uri
    # the excerpts that name their sensor (DataSourceUri) are that sensor, not a second one
    dupes = conn.execute("SELECT count(*) FROM sensors WHERE source_uri LIKE '%EnvironmentMetrics#%'").fetchone()[0]
    assert dupes == 0
    # a CDU's secondary (rack-side) connector names the loop's supply, return and flow
    kinds = dict(conn.execute("SELECT source_uri, kind FROM sensors WHERE source = ?", (servers[MOCKUPS[0]],)))
    assert kinds["/redfish/v1/Chassis/CDU/Sensors/SecondarySupplyTemp"] == "supply_temp"
    assert kinds["/redfish/v1/Chassis/CDU/Sensors/SecondaryReturnTemp"] == "return_temp"
    assert kinds["/redfish/v1/Chassis/CDU/Sensors/SecondaryFlow"] == "flow"
    assert kinds["/redfish/v1/Chassis/CDU/Sensors/PrimarySupplyTemp"] == "temperature"
    assert kinds["/redfish/v1/Chassis/CDU/LeakDetectors/Moisture"] == "leak"
    # a second import of the same services adds to the same sensors
    before = conn.execute("SELECT count(*) FROM sensors").fetchone()[0]
    import_sources(design, list(servers.values()))
    assert conn.execute("SELECT count(*) FROM sensors").fetchone()[0] == before
    conn.close()


def _copy_mockup(shared_data: Path, tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(shared_data / "redfish" / name, folder)
    return folder


def _edit(folder: Path, resource: str, change) -> None:
    path = folder / resource / "index.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _part(db: Path, name: str) -> tuple[int, int, str, int, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT p.id, p.rack_id, p.serial, p.u_position, r.name FROM parts p "
                            "JOIN racks r ON r.id = p.rack_id WHERE p.name = ?", (name,)).fetchone()
    finally:
        conn.close()


def test_a_chassis_serial_set_to_a_tray_binds_its_sensors_to_that_tray(shared_data, design, tmp_path):
    part_id, rack_id, serial, _u, _rack = _part(design, "B03-U07")
    folder = _copy_mockup(shared_data, tmp_path, "public-liquid-cooled-server")
    _edit(folder, "Chassis/1U", lambda d: d.update(SerialNumber=serial))
    with mockup_server(folder, tmp_path / "sushy.log") as url:
        (report,) = import_sources(design, [url])
    assert report.ok and report.bound
    conn = sqlite3.connect(design)
    rows = conn.execute("SELECT source_uri, part_id, rack_id, kind FROM sensors WHERE source = ?", (url,)).fetchall()
    chassis = [r for r in rows if r[0].startswith("/redfish/v1/Chassis/1U/")]
    assert len(chassis) >= 30
    assert {(r[1], r[2]) for r in chassis} == {(part_id, rack_id)}
    kinds = {r[0]: r[3] for r in chassis}
    assert kinds["/redfish/v1/Chassis/1U/Sensors/IntakeTemp"] == "inlet_temp"
    assert kinds["/redfish/v1/Chassis/1U/Sensors/TotalPower"] == "power"      # EnvironmentMetrics.PowerWatts names it
    assert kinds["/redfish/v1/Chassis/1U/Sensors/CPU1Power"] == "component_power"   # a processor's, not the tray's
    assert all(f"by serial {serial}" in target for _s, target in report.bound)
    # B03 also has the build's rack meter: the analyses would count the tray twice, and the report says so
    assert any(n.startswith("rack B03 has power sensors on the rack (B03-power) and on parts in it (B03-U07/")
               for n in report.notes), report.notes


def test_a_placement_set_to_a_rack_and_u_binds_to_the_part_in_that_slot(shared_data, design, tmp_path):
    part_id, rack_id, _serial, u, rack = _part(design, "C02-U09")
    row = sqlite3.connect(design).execute("SELECT row FROM racks WHERE id = ?", (rack_id,)).fetchone()[0]
    folder = _copy_mockup(shared_data, tmp_path, "public-liquid-cooled-server")

    def place(doc):
        doc.pop("SerialNumber", None)
        doc["Location"]["Placement"] = {"Row": row, "Rack": rack, "RackOffsetUnits": "EIA_310", "RackOffset": u}
    _edit(folder, "Chassis/1U", place)
    _edit(folder, "Chassis/1U/PowerSubsystem/Batteries/Module1", lambda d: d.pop("SerialNumber", None))
    # the CDU mockup placed in the rack without a U: it measures the rack
    cdu = _copy_mockup(shared_data, tmp_path, "public-cooling-unit")
    _edit(cdu, "Chassis/CDU", lambda d: (d.pop("SerialNumber"), d["Location"].update(Placement={"Rack": rack})))
    with mockup_server(folder, tmp_path / "a.log") as url, mockup_server(cdu, tmp_path / "b.log") as url_cdu:
        preview = bindings(design, [url, url_cdu])
        before = _tables(design)
        assert _tables(design) == before                                  # bindings writes nothing
        import_sources(design, [url, url_cdu])
    conn = sqlite3.connect(design)
    got = set(conn.execute("SELECT part_id, rack_id FROM sensors WHERE source = ? AND source_uri LIKE "
                           "'/redfish/v1/Chassis/1U/%'", (url,)))
    assert got == {(part_id, rack_id)}
    frame = conn.execute("SELECT p.id FROM parts p JOIN part_types t ON t.id = p.part_type_id "
                         "WHERE p.rack_id = ? AND t.kind = 'rack'", (rack_id,)).fetchone()[0]
    got = set(conn.execute("SELECT part_id, rack_id FROM sensors WHERE source = ? AND source_uri LIKE "
                           "'/redfish/v1/Chassis/CDU/%'", (url_cdu,)))
    assert got == {(frame, rack_id)}
    assert any(f"by placement rack {rack} U{u}" in t for _s, t in preview[0].bound)


def test_an_unreachable_host_and_a_401_each_give_one_line_and_change_nothing(design, tmp_path):
    env = dict(os.environ, TWIN_REDFISH_USER="operator-x", TWIN_REDFISH_PASSWORD="hunter2-secret")
    before = _tables(design)
    dead = f"http://127.0.0.1:{free_port()}/redfish/v1"
    with auth_server(tmp_path) as (url_401, log):
        for url, says in ((dead, "no answer"), (url_401, "HTTP 401")):
            run = subprocess.run([sys.executable, "-m", "twin", "telemetry", "import", str(design), url,
                                  "--timeout", "2"], capture_output=True, text=True, env=env, timeout=60)
            assert run.returncode == 1, run.stderr
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("twin: error: ") and url in lines[0], run.stderr
            assert says in lines[0]
            assert "Traceback" not in run.stderr
            for secret in ("operator-x", "hunter2-secret"):
                assert secret not in run.stdout + run.stderr
            assert _tables(design) == before
        assert "auth=yes" in log.read_text()              # the credentials were offered, and refused
    assert b"hunter2-secret" not in design.read_bytes()


def test_hostile_resources_are_bounded_and_refused_and_the_rest_imported(shared_data, design, tmp_path):
    folder = _copy_mockup(shared_data, tmp_path, "public-power-shelf")
    sensors = folder / "Chassis/PowerShelf/Sensors"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "index.json").write_text("{}")
    with mockup_server(tmp_path / "other", tmp_path / "other.log") as other:

        def members(doc):
            doc["Members"] += [{"@odata.id": other + "/Chassis/Evil"},          # off-host: another origin
                               {"@odata.id": "/redfish/v1/Chassis/PowerShelf"},  # a cycle back to the chassis
                               {"@odata.id": "/redfish/v1/Chassis/PowerShelf/Sensors/Huge"},
                               {"@odata.id": "/redfish/v1/Chassis/PowerShelf/Sensors/Deep"}]
        _edit(folder, "Chassis/PowerShelf/Sensors", members)
        (sensors / "Huge").mkdir()
        (sensors / "Huge/index.json").write_text('{"@odata.type": "#Sensor.v1_0_0.Sensor", "Reading": 1, '
                                                 '"ReadingUnits": "W", "Pad": "' + "x" * (5 * 1024 * 1024) + '"}')
        (sensors / "Deep").mkdir()
        (sensors / "Deep/index.json").write_text('{"a": ' + "[" * 50_000 + "]" * 50_000 + "}")
        _edit(folder, "Chassis/PowerShelf/Sensors/PowerA", lambda d: d.update(ReadingUnits="furlongs"))
        with mockup_server(folder, tmp_path / "sushy.log") as url:
            (report,) = import_sources(design, [url])
        assert "/Chassis/Evil" not in (tmp_path / "other.log").read_text()   # the off-host link was never followed
    assert report.ok
    notes = "\n".join(report.notes)
    assert "points off this service; not followed" in notes and "/Chassis/Evil" in notes
    assert "/redfish/v1/Chassis/PowerShelf/Sensors/Huge: over" in notes
    assert "/redfish/v1/Chassis/PowerShelf/Sensors/Deep: JSON nested over" in notes
    assert ("/redfish/v1/Chassis/PowerShelf/Sensors/PowerA", "not imported: unknown unit 'furlongs'") in report.unbound
    expected = set(_sensors_in(shared_data / "redfish" / "public-power-shelf")) - {
        "/redfish/v1/Chassis/PowerShelf/Sensors/PowerA"}
    got = {r[0] for r in sqlite3.connect(design).execute("SELECT source_uri FROM sensors WHERE source = ?", (url,))}
    assert expected <= got


def test_https_verifies_the_certificate_and_takes_a_ca_bundle(shared_data, design, tmp_path):
    cert, key = self_signed(tmp_path)
    before = _tables(design)
    with mockup_server(shared_data / "redfish" / "public-cooling-unit", tmp_path / "tls.log", (cert, key)) as url:
        (refused,) = import_sources(design, [url], timeout_s=5)
        assert not refused.ok and "certificate does not verify" in refused.error and "--ca-bundle" in refused.error
        assert _tables(design) == before
        (trusted,) = import_sources(design, [url], ca_bundle=str(cert), timeout_s=5)
    assert trusted.ok, trusted.error
    count = sqlite3.connect(design).execute("SELECT count(*) FROM sensors WHERE source = ?", (url,)).fetchone()[0]
    assert count == len(trusted.bound) + len(trusted.unbound) > 18


def _write_mockup(folder: Path, resources: dict[str, dict]) -> None:
    for path, doc in resources.items():
        target = folder / path.removeprefix("/redfish/v1").strip("/") / "index.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"@odata.id": path, **doc}))


def test_deprecated_thermal_and_power_are_read_where_the_new_resources_are_missing(design, tmp_path):
    old, new = "/redfish/v1/Chassis/Old", "/redfish/v1/Chassis/New"
    _write_mockup(tmp_path / "m", {
        "/redfish/v1": {"@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot", "Chassis": {"@odata.id": "/redfish/v1/Chassis"}},
        "/redfish/v1/Chassis": {"@odata.type": "#ChassisCollection.ChassisCollection",
                                "Members": [{"@odata.id": old}, {"@odata.id": new}]},
        old: {"@odata.type": "#Chassis.v1_5_0.Chassis", "Thermal": {"@odata.id": old + "/Thermal"},
              "Power": {"@odata.id": old + "/Power"}},
        old + "/Thermal": {"@odata.type": "#Thermal.v1_4_0.Thermal",
                           "Temperatures": [{"MemberId": "0", "Name": "Inlet", "ReadingCelsius": 23.5,
                                             "PhysicalContext": "Intake"},
                                            {"MemberId": "1", "Name": "CPU", "ReadingCelsius": 61}],
                           "Fans": [{"MemberId": "0", "Name": "Fan 1", "Reading": 2100, "ReadingUnits": "RPM"}]},
        old + "/Power": {"@odata.type": "#Power.v1_5_0.Power", "PowerControl": [{"PowerConsumedWatts": 450}],
                         "Voltages": [{"Name": "12V", "ReadingVolts": 12.1}],
                         "PowerSupplies": [{"Name": "PSU1", "PowerInputWatts": 230, "LineInputVoltage": 208}]},
        new: {"@odata.type": "#Chassis.v1_20_0.Chassis", "ThermalSubsystem": {"@odata.id": new + "/ThermalSubsystem"},
              "Thermal": {"@odata.id": new + "/Thermal"}, "Sensors": {"@odata.id": new + "/Sensors"}},
        new + "/ThermalSubsystem": {"@odata.type": "#ThermalSubsystem.v1_0_0.ThermalSubsystem"},
        new + "/Thermal": {"@odata.type": "#Thermal.v1_4_0.Thermal", "Temperatures": [{"ReadingCelsius": 99}]},
        new + "/Sensors": {"@odata.type": "#SensorCollection.SensorCollection",
                           "Members": [{"@odata.id": new + "/Sensors/Inlet"}, {"@odata.id": new + "/Sensors/Flow"}]},
        new + "/Sensors/Inlet": {"@odata.type": "#Sensor.v1_2_0.Sensor", "Id": "Inlet", "Reading": 77,
                                 "ReadingUnits": "[degF]", "ReadingType": "Temperature", "PhysicalContext": "Intake",
                                 "ReadingTime": "2026-11-24T12:00:00-05:00"},
        new + "/Sensors/Flow": {"@odata.type": "#Sensor.v1_2_0.Sensor", "Id": "Flow", "Reading": 10,
                                "ReadingUnits": "[gal_us]/min", "ReadingType": "LiquidFlow"},
    })
    (report,) = import_sources(design, [str(tmp_path / "m")])
    assert report.ok, report.error
    got = {uri: (kind, unit, value, ts) for uri, kind, unit, value, ts in sqlite3.connect(design).execute(
        "SELECT s.source_uri, s.kind, s.unit, r.value, r.ts FROM sensors s JOIN readings r ON r.sensor_id = s.id "
        "WHERE s.source = ?", (str((tmp_path / "m").resolve()),))}
    assert {u: v[:3] for u, v in got.items()} == {
        old + "/Thermal#/Temperatures/0/ReadingCelsius": ("inlet_temp", "degC", 23.5),
        old + "/Thermal#/Temperatures/1/ReadingCelsius": ("temperature", "degC", 61.0),
        old + "/Thermal#/Fans/0": ("fan_speed", "RPM", 2100.0),
        old + "/Power#/PowerControl/0/PowerConsumedWatts": ("power", "W", 450.0),
        old + "/Power#/Voltages/0/ReadingVolts": ("voltage", "V", 12.1),
        old + "/Power#/PowerSupplies/0/PowerInputWatts": ("component_power", "W", 230.0),
        old + "/Power#/PowerSupplies/0/LineInputVoltage": ("voltage", "V", 208.0),
        new + "/Sensors/Inlet": ("inlet_temp", "degC", pytest.approx((77 - 32) * 5 / 9)),
        new + "/Sensors/Flow": ("liquid_flow", "L/min", pytest.approx(10 * 3.785411784)),
    }                                               # and New's deprecated Thermal (99 °C) was not read
    assert got[new + "/Sensors/Inlet"][3] == "2026-11-24T17:00:00Z"


def test_credentials_come_from_a_file_per_host_and_stay_out_of_the_design(design, tmp_path):
    with auth_server(tmp_path) as (url, log):
        port = url.split(":")[2].split("/")[0]
        creds = tmp_path / "redfish-credentials.toml"
        creds.write_text(f'user = "someone-else"\npassword = "x"\n[hosts."127.0.0.1:{port}"]\n'
                         'user = "filed-user"\npassword = "filed-secret"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_REDFISH_")}
        env["TWIN_REDFISH_CREDENTIALS"] = str(creds)
        run = subprocess.run([sys.executable, "-m", "twin", "telemetry", "bindings", str(design), url, "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
        assert run.returncode == 1 and "HTTP 401" in run.stderr
        assert "user=filed-user" in log.read_text()
        assert "filed-secret" not in run.stdout + run.stderr and "filed-user" not in run.stdout + run.stderr
    (report,) = import_sources(design, [url.replace("http://", "http://alice:pa55word@")])
    assert not report.ok and "put no user or password in the URL" in report.error
    assert "pa55word" not in report.error + report.source and "alice" not in report.error + report.source


def test_a_bmc_that_drips_its_answer_is_cut_off_in_bounded_time(design, tmp_path):
    import time

    before = _tables(design)
    with drip_server(tmp_path) as url:
        start = time.monotonic()
        (report,) = import_sources(design, [url], timeout_s=0.5)
        took = time.monotonic() - start
    assert not report.ok and "still arriving after 1.5 s" in report.error, report.error
    assert took < 5
    assert _tables(design) == before
