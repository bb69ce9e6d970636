"""Write tests/data/netbox-rest: NetBox 4.x REST API pages (shapes from NetBox's REST API docs), paginated.

Run from the repository root to remake the fixture: `python tests/tools/make_netbox_rest.py`.
"""
import json
from pathlib import Path

H = "http://netbox.example"
OUT = Path("tests/data/netbox-rest")

def ref(ep, pk, **kw):
    return {"id": pk, "url": f"{H}/api/{ep}/{pk}/", "display": kw.get("name") or kw.get("cid") or str(pk), **kw}

def ch(v, label=None):
    return {"value": v, "label": label or v.replace("-", " ").title()}

def obj(ep, pk, **kw):
    return {"id": pk, "url": f"{H}/api/{ep}/{pk}/", "display": str(kw.get("name") or kw.get("cid") or pk), **kw,
            "tags": [], "custom_fields": {}, "created": "2026-01-05T10:00:00Z", "last_updated": "2026-01-05T10:00:00Z"}

def write(ep, objects, per_page=None):
    per_page = per_page or max(1, len(objects))
    pages = [objects[i:i + per_page] for i in range(0, len(objects), per_page)] or [[]]
    for k, results in enumerate(pages):
        off = k * per_page
        nxt = f"{H}/api/{ep}/?limit={per_page}&offset={off + per_page}" if k + 1 < len(pages) else None
        prev = (f"{H}/api/{ep}/?limit={per_page}" + (f"&offset={off - per_page}" if off - per_page else "")) if k else None
        name = f"{ep}.json" if k == 0 else f"{ep}-offset-{off}.json"
        path = OUT / "api" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"count": len(objects), "next": nxt, "previous": prev, "results": results},
                                   indent=1) + "\n")

site = ref("dcim/sites", 1, name="Lab A", slug="lab-a")
write("dcim/sites", [obj("dcim/sites", 1, name="Lab A", slug="lab-a", status=ch("active"), region=None,
                         facility="Building 7", time_zone="UTC", physical_address="", latitude=None, longitude=None)])
write("dcim/locations", [obj("dcim/locations", 1, name="Row 1", slug="row-1", site=site, parent=None, status=ch("active"),
                             _depth=0)])
acme = ref("dcim/manufacturers", 1, name="Acme Networks", slug="acme-networks")
dell = ref("dcim/manufacturers", 2, name="Dell", slug="dell")
write("dcim/manufacturers", [obj("dcim/manufacturers", 1, name="Acme Networks", slug="acme-networks"),
                             obj("dcim/manufacturers", 2, name="Dell", slug="dell")])
leaf_role = ref("dcim/device-roles", 1, name="Leaf switch", slug="leaf")
srv_role = ref("dcim/device-roles", 2, name="Server", slug="server")
rtr_role = ref("dcim/device-roles", 3, name="Edge router", slug="edge-router")
write("dcim/device-roles", [obj("dcim/device-roles", 1, name="Leaf switch", slug="leaf", color="2196f3", vm_role=False),
                            obj("dcim/device-roles", 2, name="Server", slug="server", color="4caf50", vm_role=False),
                            obj("dcim/device-roles", 3, name="Edge router", slug="edge-router", color="ff9800",
                                vm_role=False)])
sw_type = ref("dcim/device-types", 1, manufacturer=acme, model="AS-48", slug="acme-as-48")
srv_type = ref("dcim/device-types", 2, manufacturer=dell, model="PowerEdge R650", slug="dell-r650")
write("dcim/device-types", [
    obj("dcim/device-types", 1, manufacturer=acme, model="AS-48", slug="acme-as-48", part_number="", u_height=1.0,
        exclude_from_utilization=False, is_full_depth=False, subdevice_role=None, airflow=ch("front-to-rear"),
        weight=6.5, weight_unit=ch("kg", "Kilograms"), description="", comments=""),
    obj("dcim/device-types", 2, manufacturer=dell, model="PowerEdge R650", slug="dell-r650", part_number="", u_height=1.0,
        exclude_from_utilization=False, is_full_depth=True, subdevice_role=None, airflow=ch("front-to-rear"),
        weight=20.0, weight_unit=ch("kg", "Kilograms"), description="", comments="")])
write("dcim/interface-templates", [
    obj("dcim/interface-templates", k, device_type=sw_type, module_type=None, name=f"swp{k}",
        type=ch("25gbase-x-sfp28", "SFP28 (25GE)"), enabled=True, mgmt_only=False) for k in range(1, 5)] + [
    obj("dcim/interface-templates", 5, device_type=srv_type, module_type=None, name="eno1",
        type=ch("25gbase-x-sfp28", "SFP28 (25GE)"), enabled=True, mgmt_only=False)])
write("dcim/power-port-templates", [obj("dcim/power-port-templates", 1, device_type=srv_type, module_type=None,
                                        name="PSU1", type=ch("iec-60320-c14", "C14"), maximum_draw=800,
                                        allocated_draw=600)])
racks = [obj("dcim/racks", k, name=f"R{k}", facility_id="", site=site, location=ref("dcim/locations", 1, name="Row 1"),
             status=ch("active"), role=None, rack_type=None, form_factor=ch("4-post-cabinet", "4-post cabinet"),
             width=ch(19, "19 inches"), u_height=42, starting_unit=1, outer_width=600, outer_depth=1200,
             outer_unit=ch("mm", "Millimeters"), desc_units=False, weight=None, airflow=None)
         for k in (1, 2, 3)]
write("dcim/racks", racks, per_page=2)
def rack(k):
    return ref("dcim/racks", k, name=f"R{k}")
devs = [("leaf1", sw_type, leaf_role, 1, 42), ("srv1", srv_type, srv_role, 1, 10), ("srv2", srv_type, srv_role, 2, 10),
        ("edge1", sw_type, rtr_role, 3, 40)]
write("dcim/devices", [obj("dcim/devices", k + 1, name=n, device_type=t, role=r, tenant=None, platform=None,
                           serial=f"SN{k + 1:04d}", asset_tag=None, site=site,
                           location=ref("dcim/locations", 1, name="Row 1"), rack=rack(rk), position=float(pos),
                           face=ch("front"), parent_device=None, status=ch("active"), airflow=None)
                       for k, (n, t, r, rk, pos) in enumerate(devs)], per_page=2)
def dev(k):
    return ref("dcim/devices", k, name=devs[k - 1][0])
ifaces = [(1, 1, "swp1"), (2, 1, "swp2"), (3, 1, "swp3"), (4, 2, "eno1"), (5, 3, "eno1"), (6, 4, "swp1")]
write("dcim/interfaces", [obj("dcim/interfaces", pk, device=dev(d), module=None, name=n,
                              type=ch("25gbase-x-sfp28", "SFP28 (25GE)"), enabled=True, mgmt_only=False,
                              cable=None, mark_connected=False) for pk, d, n in ifaces], per_page=4)
write("dcim/power-ports", [obj("dcim/power-ports", 1, device=dev(2), module=None, name="PSU1",
                               type=ch("iec-60320-c14", "C14"), maximum_draw=800, allocated_draw=600)])
def iface_term(pk):
    d, n = next((d, n) for p, d, n in ifaces if p == pk)
    return {"object_type": "dcim.interface", "object_id": pk,
            "object": {"id": pk, "url": f"{H}/api/dcim/interfaces/{pk}/", "display": n, "device": dev(d), "name": n,
                       "cable": None, "_occupied": True}}
circuit = ref("circuits/circuits", 1, cid="CKT-0001")
write("dcim/cables", [
    obj("dcim/cables", 1, type="cat6", a_terminations=[iface_term(1)], b_terminations=[iface_term(4)], status=ch("connected"),
        tenant=None, label="", color="", length=2.0, length_unit=ch("m", "Meters")),
    obj("dcim/cables", 2, type="", a_terminations=[iface_term(2)], b_terminations=[iface_term(5)], status=ch("connected"),
        tenant=None, label="", color="", length=None, length_unit=None),
    obj("dcim/cables", 3, type="smf", a_terminations=[iface_term(6)], b_terminations=[
        {"object_type": "circuits.circuittermination", "object_id": 1,
         "object": {"id": 1, "url": f"{H}/api/circuits/circuit-terminations/1/", "display": "CKT-0001: Termination A",
                    "circuit": circuit, "term_side": "A", "cable": None, "_occupied": True}}],
        status=ch("connected"), tenant=None, label="uplink", color="", length=15.0, length_unit=ch("m", "Meters"))])
write("circuits/providers", [obj("circuits/providers", 1, name="Carrier One", slug="carrier-one")])
write("circuits/circuits", [obj("circuits/circuits", 1, cid="CKT-0001", provider=ref("circuits/providers", 1,
                                name="Carrier One"), type=ref("circuits/circuit-types", 1, name="Internet"),
                                status=ch("active"), commit_rate=10000000)])
write("circuits/circuit-terminations", [obj("circuits/circuit-terminations", 1, circuit=circuit, term_side="A",
                                            termination_type="dcim.site", termination_id=1, termination=site,
                                            port_speed=10000000, upstream_speed=None, xconnect_id="XC-77",
                                            cable=ref("dcim/cables", 3, name="#3"), mark_connected=False)])
write("dcim/power-panels", [obj("dcim/power-panels", 1, name="Panel A", site=site, location=None)])
write("dcim/power-feeds", [obj("dcim/power-feeds", 1, name="Feed R1-A", power_panel=ref("dcim/power-panels", 1,
                                                                                     name="Panel A"),
                               rack=rack(1), status=ch("active"), type=ch("primary"), supply=ch("ac", "AC"),
                               phase=ch("single-phase"), voltage=230, amperage=32, max_utilization=80,
                               mark_connected=False, cable=None)])
source = ref("dcim/cooling-sources", 1, name="Chiller 1")
write("dcim/cooling-sources", [obj("dcim/cooling-sources", 1, site=site, location=None, name="Chiller 1",
                                   type=ch("chiller"), status=ch("active"), cooling_capacity=500.0,
                                   supply_temperature=18.0, return_temperature=28.0,
                                   temperature_unit=ch("celsius", "Celsius"))])
write("dcim/cooling-feeds", [obj("dcim/cooling-feeds", 1, cooling_source=source, rack=rack(1), name="CF-R1",
                                 status=ch("active"), type=ch("supply"), fluid_type=ch("water"), cooling_capacity=80.0,
                                 flow_rate=120.0, flow_rate_unit=ch("l/min", "L/min"), pressure=None,
                                 pressure_unit=None, supply_temperature=None, return_temperature=None,
                                 temperature_unit=None, mark_connected=False, cable=None, tenant=None)])
