"""An imported NetBox site in the real desktop viewer (Xvfb): it opens, and a device's properties read right."""

from __future__ import annotations

import os

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` (it starts Xvfb) "
                       "or under xvfb-run")

from tests.support import shown_window  # noqa: E402
from twin.importers.netbox_site import import_netbox_dump  # noqa: E402


@pytest.fixture(scope="module")
def mdf_db(shared_data, tmp_path_factory):
    dump = shared_data / "netbox-demo" / "netbox-demo-v3.6.json"
    return import_netbox_dump(dump, tmp_path_factory.mktemp("nbv") / "mdf.twin.db", site="ncsu-065").path


def test_imported_site_opens_and_shows_a_device(qtbot, tmp_path, mdf_db) -> None:
    win = shown_window(qtbot, tmp_path, active=False)
    errors = win.errors
    try:
        win.open_file(mdf_db)
        qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
        assert win.scene is not None and not errors, errors
        assert win.counts_label.text().startswith("26 racks")
        part = int(np.flatnonzero(win.design.parts.name == "ncsu-coreswitch1")[0])
        win.select_parts([part])
        text = win.properties.text()
        assert "ncsu-coreswitch1" in win.properties.title.text()
        assert "rack: R103" in text and "Juniper" in text and "EX9214" in text
        image = win.exporting.export_image(tmp_path / "shot.png")
        assert image.is_file() and image.stat().st_size > 10_000
    finally:
        win.loader.cancel()
        win.loader.wait()
