"""How long a NetBox import takes: the real demo dump, and synthetic sites of growing size.

The synthetic sites are made as plain records (the same `NetBoxRecords` a REST reader
would fill), so the figure is the mapper and the writer, not JSON parsing. Sizes grow ten
times per step: time that grows ten times too means no hidden per-object scan.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO, median_time, print_table  # noqa: E402

from twin.importers.netbox_dump import NetBoxRecords  # noqa: E402
from twin.importers.netbox_site import import_netbox_dump, import_records  # noqa: E402
from twin.importers.report import ImportReport  # noqa: E402

DUMP = REPO.parent / "shared" / "data" / "netbox-demo" / "netbox-demo-v3.6.json"
DEVICES_PER_RACK = 20
PORTS_PER_DEVICE = 8


def synthetic_site(racks: int) -> NetBoxRecords:
    """One site, `racks` racks in rows of 20, 20 one-U servers each, 8 ports each, a cable per device."""
    rec = NetBoxRecords("synthetic")
    rec.sites[1] = {"pk": 1, "name": "Synthetic", "slug": "synthetic"}
    rec.manufacturers[1] = {"pk": 1, "name": "Acme"}
    rec.device_types[1] = {"pk": 1, "manufacturer": 1, "model": "S1", "slug": "acme-s1", "u_height": "1.0",
                           "is_full_depth": True}
    rec.device_roles[1] = {"pk": 1, "slug": "server"}
    iface = cable = 0
    for r in range(1, racks + 1):
        rec.locations.setdefault(1 + (r - 1) // 20, {"pk": 1 + (r - 1) // 20, "name": f"Row {1 + (r - 1) // 20}"})
        rec.racks[r] = {"pk": r, "name": f"R{r:05d}", "site": 1, "location": 1 + (r - 1) // 20, "u_height": 42,
                        "type": "4-post-cabinet"}
        for k in range(DEVICES_PER_RACK):
            dev = (r - 1) * DEVICES_PER_RACK + k + 1
            rec.devices[dev] = {"pk": dev, "name": f"srv{dev}", "site": 1, "rack": r, "position": f"{2 * k + 1}.0",
                                "face": "front", "device_type": 1, "role": 1}
            for p in range(PORTS_PER_DEVICE):
                iface += 1
                rec.interfaces[iface] = {"pk": iface, "device": dev, "name": f"eth{p}", "type": "25gbase-x-sfp28"}
            if k:                                           # eth0 of each server to eth1 of the first in its rack
                cable += 1
                rec.cables[cable] = {"pk": cable, "type": "dac-passive"}
                rec.terminations[2 * cable] = {"cable": cable, "cable_end": "A", "termination_type": ["dcim", "interface"],
                                               "termination_id": iface - PORTS_PER_DEVICE + 1}
                first = ((r - 1) * DEVICES_PER_RACK) * PORTS_PER_DEVICE + 2
                rec.terminations[2 * cable + 1] = {"cable": cable, "cable_end": "B",
                                                   "termination_type": ["dcim", "interface"], "termination_id": first}
    return rec


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo.twin.db"
        seconds = median_time(lambda: import_netbox_dump(DUMP, out), 3)
        summary = import_netbox_dump(DUMP, out)
        rows.append(["netbox demo dump (all sites)", summary.counts["racks"], summary.counts["parts"],
                     f"{summary.counts['ports']:,}", summary.counts["cables"], f"{seconds:.2f}", "—"])
        base = None
        for racks in (20, 200, 1000):
            records = synthetic_site(racks)
            out = Path(tmp) / f"s{racks}.twin.db"
            seconds = median_time(lambda rec=records, path=out: import_records(rec, path, None, ImportReport("synthetic")),
                                  3 if racks < 1000 else 1)
            counts = import_records(records, out, None, ImportReport("synthetic")).counts
            base = base or seconds / racks
            rows.append([f"synthetic, {racks} racks", counts["racks"], f"{counts['parts']:,}", f"{counts['ports']:,}",
                         f"{counts['cables']:,}", f"{seconds:.2f}", f"{seconds / racks / base:.2f}"])
    print_table("NetBox import (median seconds; last column: time per rack against the 20-rack site)",
                ["source", "racks", "parts", "ports", "cables", "import s", "per rack ×"], rows)


if __name__ == "__main__":
    main()
