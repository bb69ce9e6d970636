"""The viewer's live mode: File → Connect telemetry… polls sources into the open design in the
background, and the view follows the newest reading.

Why this shape: a poll crawls BMCs over HTTP (seconds, or a timeout) and writes the design
file, so it runs in a worker thread (`LivePoller`, a QThread around `twin.live_poll.Watch`)
and never on the GUI thread. Each poll's `PollReport` comes back as a queued signal. When a
poll added readings the session forgets what it had read (`ReviewSession.readings_changed`),
the History plot reloads, and the Overlay panel moves the moment to the newest reading: the
view state's moment changes, so the overlay, the findings (design against live included),
Power and Properties follow it the way they follow the time slider. A poll that bound new
sensors reopens the design, since the sensors are part of the loaded design.

The status bar shows the source, the time of the last poll, bound and unbound counts, and
the stale sensors (their names in the tooltip). Credentials are taken from the environment
or a credentials file, as `twin telemetry` takes them; a user and password typed into the
dialog live in this process's environment while connected and are never written anywhere.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from twin.errors import TwinError
from twin.live_poll import PollReport, Watch, age_words, check_design

log = logging.getLogger(__name__)

#: Environment variables the Redfish client reads credentials from.
USER_ENV, PASSWORD_ENV = "TWIN_REDFISH_USER", "TWIN_REDFISH_PASSWORD"


@dataclass
class Connection:
    """What the reviewer connected to: sources, poll interval and import options (no credentials)."""

    sources: list[str]
    every_s: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)


class LivePoller(QThread):
    """Polls a design's sources until stopped; each report is sent with `polled` (queued to
    the GUI thread), a failure that stops polling (an unreadable design) with `failed`."""

    polled = Signal(object)
    failed = Signal(str)

    def __init__(self, design: Path, connection: Connection, parent=None):
        super().__init__(parent)
        self.watch = Watch(design, list(connection.sources), connection.every_s, None, dict(connection.options))

    def run(self) -> None:
        try:
            self.watch.run(self.polled.emit)
        except TwinError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:                # a bug: say so in the status bar, keep the window
            log.warning("live polling stopped", exc_info=True)
            self.failed.emit(f"{type(exc).__name__}: {exc}")

    def stop(self) -> None:
        """Ask the loop to end (at once while waiting; after the poll under way otherwise)."""
        self.watch.stop()


class LiveMode:
    """Live telemetry for `window`: the Connect / Disconnect actions, the poller and the status."""

    def __init__(self, window):
        self.window = window
        self.connection: Connection | None = None
        self.poller: LivePoller | None = None
        self.last: PollReport | None = None
        self.reports = 0                                 # polls received (tests wait on it)
        self._old_env: dict[str, str | None] = {}
        self._retired: list[LivePoller] = []            # stopped pollers still finishing a poll
        self.label = QLabel("")
        self.label.setObjectName("liveStatus")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        self.connect_action = QAction("Connect &telemetry…", window)
        self.connect_action.setStatusTip("poll Redfish, Prometheus or CSV sources into the open design and follow "
                                         "the newest readings")
        self.connect_action.triggered.connect(lambda _c=False: self.connect_dialog())
        self.disconnect_action = QAction("&Disconnect telemetry", window)
        self.disconnect_action.triggered.connect(lambda _c=False: self.disconnect())
        self.disconnect_action.setEnabled(False)
        self.dialog = None
        self._keep: dict[str, Any] | None = None        # overlay, camera and selection before a reopen

    @property
    def connected(self) -> bool:
        return self.poller is not None

    # ------------------------------------------------------------------ connecting
    def connect_dialog(self) -> None:
        """File → Connect telemetry…: ask for the sources (window-modal, not blocking)."""
        from twin.app.live_dialog import ConnectDialog

        if self.window.design is None:
            self.window.report_error("Connect telemetry", "Open a design first: readings are added to its file.")
            return
        self.dialog = ConnectDialog(self.window, self.window.settings)
        self.dialog.accepted.connect(lambda: self._from_dialog(self.dialog))
        self.dialog.open()

    def _from_dialog(self, dialog) -> None:
        try:
            connection, user, password = dialog.connection()
            self.connect(connection, user=user, password=password)
        except TwinError as exc:
            self.window.report_error("Connect telemetry", str(exc))

    def connect(self, connection: Connection, user: str = "", password: str = "") -> None:
        """Start polling `connection` into the open design (replacing any earlier connection)."""
        if self.window.design is None:
            raise TwinError(None, "open a design first", where="Connect telemetry")
        check_design(self.window.design.source)      # not a design, or one carrying triggers: refused now
        self.disconnect()
        if user or password:
            self._set_env({USER_ENV: user, PASSWORD_ENV: password})
        self.connection = connection
        self.poller = LivePoller(Path(self.window.design.source), connection)
        self.poller.polled.connect(self._on_report)
        self.poller.failed.connect(self._on_failed)
        self.poller.start()
        self.label.setText(f"live: {self._sources_text()} · connecting…")
        self.label.setVisible(True)
        self.disconnect_action.setEnabled(True)

    def disconnect(self) -> None:
        """Stop polling; a poll under way finishes in its thread and its report is dropped."""
        if self.poller is not None:
            poller, self.poller = self.poller, None
            poller.polled.disconnect(self._on_report)
            poller.failed.disconnect(self._on_failed)
            poller.stop()
            self._retired = [p for p in self._retired if p.isRunning()] + [poller]
            self.label.setText(f"live: disconnected from {self._sources_text()}")
        self._restore_env()
        self.connection = None
        self.disconnect_action.setEnabled(False)

    def shutdown(self, wait_ms: int = 15000) -> None:
        """The window closes: stop and wait for every poller (a poll's transaction completes)."""
        self.disconnect()
        for poller in self._retired:
            poller.wait(wait_ms)
        self._retired = []

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._old_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _restore_env(self) -> None:
        for key, value in self._old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._old_env = {}

    # ------------------------------------------------------------------ following
    def _sources_text(self) -> str:
        sources = self.connection.sources if self.connection is not None else []
        if not sources:
            return "no source"
        return sources[0] + (f" +{len(sources) - 1}" if len(sources) > 1 else "")

    def _on_report(self, report: PollReport) -> None:
        """A poll came back (GUI thread): show it, and follow new readings."""
        w = self.window
        if w.design is None or self.poller is None or Path(w.design.source) != self.poller.watch.design:
            self.disconnect()                    # another design was opened: its file is not polled into
            return
        self.last = report
        self.reports += 1
        self._show_status(report)
        if w.session is None or w.loading or (not report.added and report.sensors == len(w.design.sensors)):
            return
        if report.sensors != len(w.design.sensors):
            w.statusBar().showMessage(f"live: the file now holds {report.sensors:,} sensors; reopening the design",
                                      8000)
            self._keep = {"overlay": w.view.overlay_name, "options": dict(w.view.overlay_options),
                          "camera": w.scene.camera.camera_pose() if w.scene is not None else None,
                          "selection": list(w.selection)}
            w.open_file(w.design.source)          # the sensors are part of the loaded design
            return
        self.follow()

    def installed(self) -> None:
        """A design was installed in the window: a reopen of the polled design gets its overlay,
        camera and selection back (the parts are the same rows); another design ends the
        connection (its file is not polled into)."""
        w, keep, self._keep = self.window, self._keep, None
        if self.poller is None or w.design is None:
            return
        if Path(w.design.source) != self.poller.watch.design:
            self.disconnect()
            return
        if keep is None:
            return
        if keep["overlay"] != "none":
            try:
                w.view.set_overlay(w.session.overlay(keep["overlay"], **keep["options"]), keep["options"])
            except ValueError:                   # no longer available on the new sensors: plain colours
                log.info("overlay %s not available after the reopen", keep["overlay"])
        if keep["camera"] is not None and w.scene is not None:
            w.scene.camera.set_camera_pose(keep["camera"])
        if keep["selection"]:
            w.select_parts(keep["selection"])

    def follow(self) -> None:
        """Readings were added to the open design: the session forgets what it read, History
        plots again and the moment moves to the newest reading."""
        w = self.window
        if w.session is None:
            return
        w.session.readings_changed()
        w.history.reload()
        w.overlays.follow_newest()

    def _on_failed(self, message: str) -> None:
        self.label.setText(f"live: stopped: {message}")
        self.window.statusBar().showMessage(f"Telemetry polling stopped: {message}", 15000)
        self.disconnect()

    def _show_status(self, report: PollReport) -> None:
        failed = report.failed
        text = (f"live: {self._sources_text()} · last poll {report.at[11:19]}Z · {report.bound:,} bound · "
                f"{report.unbound:,} unbound · {len(report.stale):,} stale")
        if failed:
            text += f" · {len(failed)} source{'s' if len(failed) > 1 else ''} failed"
        self.label.setText(text)
        tips = [f"{s.source}: " + (f"+{s.added:,} readings, {s.bound:,} bound, {s.unbound:,} unbound" if s.ok
                                   else f"failed: {s.error}") for s in report.sources]
        if report.stale:
            tips.append("stale: " + ", ".join(f"{name} ({age_words(age)})"
                                              for name, age in report.stale[:20])
                        + (f" and {len(report.stale) - 20} more" if len(report.stale) > 20 else ""))
        self.label.setToolTip("\n".join(tips))
