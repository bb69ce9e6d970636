"""File → Connect telemetry…: the sources to poll, how often, and the import options.

The sources, interval, bindings map and CA bundle are remembered (QSettings) for the next
connection; a user and password typed here are not: they are handed to the live mode for
this connection only. A source URL with credentials in it (`https://user:pw@bmc/…`) is
refused, so none can be remembered by accident.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QVBoxLayout, QWidget)

from twin.app.live_mode import Connection
from twin.errors import TwinError
from twin.live_poll import MIN_EVERY_S, parse_duration

KEY = "live/"


class ConnectDialog(QDialog):
    def __init__(self, parent: QWidget, settings: QSettings):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Connect telemetry")
        self.setObjectName("connectTelemetry")
        self.sources = QPlainTextEdit()
        self.sources.setObjectName("liveSources")
        self.sources.setPlaceholderText("one source a line: https://bmc.example/redfish/v1, a Redfish mockup "
                                        "folder, a Prometheus capture or a CSV of readings")
        self.sources.setPlainText(str(settings.value(KEY + "sources", "") or ""))
        self.every = QLineEdit(str(settings.value(KEY + "every", "30s") or "30s"))
        self.every.setObjectName("liveEvery")
        self.bindings = QLineEdit(str(settings.value(KEY + "map", "") or ""))
        self.bindings.setPlaceholderText("optional bindings map (TOML)")
        self.ca_bundle = QLineEdit(str(settings.value(KEY + "ca", "") or ""))
        self.ca_bundle.setPlaceholderText("optional CA bundle (PEM) for HTTPS")
        self.user = QLineEdit()
        self.user.setObjectName("liveUser")
        self.user.setPlaceholderText("from $TWIN_REDFISH_USER if empty")
        self.password = QLineEdit()
        self.password.setObjectName("livePassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("never stored")
        form = QFormLayout()
        form.addRow("Sources", self.sources)
        form.addRow("Poll every", self.every)
        form.addRow("Bindings map", self.bindings)
        form.addRow("CA bundle", self.ca_bundle)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        note = QLabel("Credentials are used for this connection only and never saved; without them the "
                      "environment ($TWIN_REDFISH_USER, $TWIN_REDFISH_PASSWORD, $TWIN_REDFISH_CREDENTIALS) is used.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.resize(560, 360)

    def connection(self) -> tuple[Connection, str, str]:
        """(the connection, user, password); TwinError naming the field for bad input. The
        connection's non-secret fields are remembered for next time."""
        sources = [line.strip() for line in self.sources.toPlainText().splitlines() if line.strip()]
        if not sources:
            raise TwinError(None, "give at least one source", where="Sources")
        for source in sources:
            if "://" in source and (urlsplit(source).username or urlsplit(source).password):
                raise TwinError(None, f"{urlsplit(source).hostname}: put credentials in the User and Password "
                                      "fields or the environment, not in the URL", where="Sources")
        every = parse_duration(self.every.text(), "Poll every")
        if every < MIN_EVERY_S:
            raise TwinError(None, f"{self.every.text()!r}: poll at most once a second", where="Poll every")
        options = {"bindings_map": self.bindings.text().strip() or None,
                   "ca_bundle": self.ca_bundle.text().strip() or None}
        for key, value in (("sources", "\n".join(sources)), ("every", self.every.text().strip()),
                           ("map", self.bindings.text().strip()), ("ca", self.ca_bundle.text().strip())):
            self.settings.setValue(KEY + key, value)
        return Connection(sources, every, options), self.user.text(), self.password.text()
