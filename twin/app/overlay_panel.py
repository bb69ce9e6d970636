"""Overlay panel: choose what colours the scene, its range, the moment (for overlays that
follow sensor readings), and a CFD field.

The entries come from the analysis registry; the overlays and the moment come from the
window's `ReviewSession`, so moving the time slider runs each analysis once for every panel.
What the panel chooses goes into the session's view state (overlay, colour range, moment),
which the scene and the other panels follow; the panel follows it too (an overlay set from
elsewhere, such as Compare's diff, shows in its controls).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout,
                               QWidget)

from twin.app.field_panel import FieldGroup
from twin.analysis.settings import BASES, run_settings
from twin.analysis import registry
from twin.analysis.overlays import Overlay
from twin.analysis.registry import overlay_label, overlay_names
from twin.session import ReviewSession

log = logging.getLogger(__name__)

TIME_DEBOUNCE_MS = 120


def follows_readings(name: str) -> bool:
    """Whether an overlay changes with the time slider (its analysis reads sensors); an overlay
    from outside the registry (Compare's diff) does not."""
    if name == registry.NO_OVERLAY or name not in overlay_names():
        return False
    analysis = registry.get_overlay(name).analysis
    return analysis is not None and registry.get_analysis(analysis).uses_readings


#: How the Basis choice reads (twin.analysis.settings.BASES).
BASIS_LABELS = {"nominal": "Nominal (catalog)", "max": "Maximum (catalog)", "measured": "Measured (readings)"}


class OverlayPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session: ReviewSession | None = None
        self.times: list[str] = []
        self.reasons: dict[str, str | None] = {}
        self.combo = QComboBox()
        self.combo.setObjectName("overlayCombo")
        for name in overlay_names():
            self.combo.addItem(overlay_label(name), name)
        self.basis = QComboBox()
        self.basis.setObjectName("basisCombo")
        for basis in BASES:
            self.basis.addItem(BASIS_LABELS[basis], basis)
        self.basis.setToolTip("the power every analysis runs on: the catalog's nominal or maximum figures, or the "
                              "readings (fresh sensor values where there are, nominal elsewhere)")
        self.vmin = QDoubleSpinBox(decimals=1, minimum=-1e9, maximum=1e9, keyboardTracking=False)
        self.vmax = QDoubleSpinBox(decimals=1, minimum=-1e9, maximum=1e9, keyboardTracking=False)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("thermalTime")
        self.time_label = QLabel("")
        range_row = QHBoxLayout()
        range_row.addWidget(self.vmin)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.vmax)
        self.form = QFormLayout()
        self.form.addRow("Overlay", self.combo)
        self.form.addRow("Range", range_row)
        self.form.addRow("Basis", self.basis)
        self.time_row = QWidget()
        t = QVBoxLayout(self.time_row)
        t.setContentsMargins(0, 0, 0, 0)
        t.addWidget(self.slider)
        t.addWidget(self.time_label)
        self.form.addRow("Time", self.time_row)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.form)
        layout.addWidget(self.notes)
        self.field = FieldGroup()
        layout.addWidget(self.field)
        layout.addStretch(1)
        self._time_timer = QTimer(self, singleShot=True, interval=TIME_DEBOUNCE_MS)
        self._time_timer.timeout.connect(self._apply_time)
        self.combo.currentIndexChanged.connect(self._on_choice)
        self.vmin.valueChanged.connect(self._on_range)
        self.vmax.valueChanged.connect(self._on_range)
        self.slider.valueChanged.connect(self._on_slider)
        self.basis.currentIndexChanged.connect(self._on_basis)
        self._quiet = False
        self.set_session(None)

    # ------------------------------------------------------------------ design
    def set_session(self, session: ReviewSession | None) -> None:
        """Show the overlays of the session's design (None: nothing open) and follow its view state."""
        self.after_cables: str | None = None      # chosen while the cables were still being read
        if self.session is not None:
            self.session.view.changed.disconnect(self._on_state)
        self.session = session
        self.reasons = session.overlay_availability() if session is not None else \
            {n: "open a design first" for n in overlay_names() if n != "none"} | {"none": None}
        model: QStandardItemModel = self.combo.model()
        for i, name in enumerate(overlay_names()):
            reason = self.reasons.get(name)
            item = model.item(i)
            item.setEnabled(reason is None)
            item.setToolTip(reason or f"colour the scene by {overlay_label(name).lower()}" if name != "none"
                            else "natural colours")
        try:
            self.times = session.times() if session is not None else []
        except Exception:     # a telemetry problem must not stop the overlays
            log.warning("could not read the reading times; the time slider stays empty", exc_info=True)
            self.times = []
        if session is not None:
            session.set_time(self.slider_time_of(len(self.times) - 1))
            session.view.moment = session.at           # the state starts at the session's moment
        self._quiet = True
        self.slider.setRange(0, max(len(self.times) - 1, 0))
        self.slider.setValue(max(len(self.times) - 1, 0))
        self.combo.setCurrentIndex(0)
        self.basis.setCurrentIndex(BASES.index(session.view.basis) if session is not None else 0)
        self._quiet = False
        if session is not None:
            self._configure_basis(session.view.basis)
            session.view.changed.connect(self._on_state)
        self._sync_controls()

    @property
    def overlay(self) -> Overlay | None:
        """The overlay shown: the view state's (this panel keeps no copy)."""
        return self.session.view.overlay if self.session is not None else None

    def is_enabled(self, name: str) -> bool:
        return self.combo.model().item(overlay_names().index(name)).isEnabled()

    def reason(self, name: str) -> str:
        return self.combo.model().item(overlay_names().index(name)).toolTip()

    def current_name(self) -> str:
        return self.combo.currentData() or "none"

    @property
    def design(self):
        return self.session.design if self.session is not None else None

    def current_time(self) -> str | None:
        """The moment the shown overlay is drawn at (None: it does not follow readings)."""
        if not follows_readings(self.current_name()) or not self.times:
            return None
        return self.times[self.slider.value()]

    def slider_time_of(self, index: int) -> str | None:
        return self.times[index] if self.times and 0 <= index < len(self.times) else None

    def slider_time(self) -> str | None:
        """The moment on the time slider whatever the overlay (None: the design has no readings)."""
        return self.slider_time_of(self.slider.value())

    def follow_newest(self) -> None:
        """New readings arrived (live mode): re-read the reading times and move to the newest,
        as a reviewer dragging the slider to its end would; the moment and overlay follow."""
        if self.session is None:
            return
        try:
            self.times = self.session.times()
        except Exception:     # a telemetry problem must not stop the overlays
            log.warning("could not read the reading times after new readings", exc_info=True)
            return
        self._quiet = True
        self.slider.setRange(0, max(len(self.times) - 1, 0))
        self.slider.setValue(max(len(self.times) - 1, 0))
        self._quiet = False
        self._sync_controls()
        self._apply_time()

    def choose(self, name: str) -> None:
        self.combo.setCurrentIndex(overlay_names().index(name))

    # ------------------------------------------------------------------ changes
    def _on_choice(self, _index: int) -> None:
        if self._quiet or self.session is None:
            return
        name = self.current_name()
        if self.reasons.get(name):             # disabled entry chosen from code: fall back
            self._quiet = True
            self.combo.setCurrentIndex(0)
            self._quiet = False
            name = "none"
        self.after_cables = None
        if self.session.overlay_waits(name):
            self.after_cables = name               # shown by `cables_read`: the UI does not wait for them
            self.notes.setText(f"cables: loading… ({overlay_label(name)} is shown when they arrive)")
            return
        self.session.view.set_overlay(self.session.overlay(name))

    def cables_read(self, ok: bool = True) -> None:
        """The design's cables arrived (or could not be read): show the overlay chosen meanwhile."""
        name, self.after_cables = self.after_cables, None
        if name is None or self.session is None or self.current_name() != name:
            return
        if not ok:
            self.notes.setText(f"{overlay_label(name)}: the cables could not be read")
            return
        self.session.view.set_overlay(self.session.overlay(name))

    def _configure_basis(self, basis: str) -> None:
        """Every analysis that takes a basis runs on `basis` (as `twin check --basis` does)."""
        for name, values in run_settings(basis).items():
            self.session.configure(name, **values)

    def _on_basis(self, _index: int) -> None:
        if self._quiet or self.session is None:
            return
        basis, view = self.basis.currentData(), self.session.view
        with view.hold():                      # one event: the analyses on the new basis, drawn once
            self._configure_basis(basis)
            view.set_basis(basis)
            if self.overlay is not None:
                view.set_overlay(self.session.overlay(self.overlay.name, **view.overlay_options),
                                 view.overlay_options, keep_range=True)

    def _on_state(self, aspects: frozenset) -> None:
        """The view state changed: show its overlay (chosen here or elsewhere), range, moment and basis."""
        view = self.session.view
        self._quiet = True
        if "moment" in aspects and view.moment in self.times:          # a restored viewpoint's moment
            self.slider.setValue(self.times.index(view.moment))
        if "basis" in aspects and view.basis in BASES:
            self.basis.setCurrentIndex(BASES.index(view.basis))
        self._quiet = False
        if not aspects & {"overlay", "range", "moment"}:
            return
        name = self.session.view.overlay_name
        self._quiet = True
        self.combo.setCurrentIndex(overlay_names().index(name) if name in overlay_names() else 0)
        self._quiet = False
        self._sync_controls()

    def _sync_controls(self) -> None:
        ov = self.overlay
        numeric = ov is not None and not ov.categorical
        self._quiet = True
        for box, value in ((self.vmin, ov.vmin if ov else 0.0), (self.vmax, ov.vmax if ov else 1.0)):
            box.setEnabled(numeric)
            box.setValue(float(value))
            box.setSuffix(f" {ov.unit}" if ov is not None and ov.unit else "")
        self._quiet = False
        timed = ov is not None and follows_readings(ov.name) and bool(self.times)
        self.time_row.setVisible(timed)
        self.form.labelForField(self.time_row).setVisible(timed)
        self.time_label.setText(self.times[self.slider.value()] if self.times else "")
        self.notes.setText("\n".join(ov.notes) if ov is not None and ov.notes else "")

    def _on_range(self, _value: float) -> None:
        if self._quiet or self.overlay is None:
            return
        lo, hi = self.vmin.value(), self.vmax.value()
        if hi > lo:
            self.session.view.set_overlay_range(lo, hi)

    def _on_slider(self, value: int) -> None:
        if self._quiet or not self.times:
            return
        self.time_label.setText(self.times[value])
        self._time_timer.start()

    def _apply_time(self) -> None:
        if self.session is None or not self.times:
            return
        ts = self.times[self.slider.value()]
        view = self.session.view
        with view.hold():                      # one event: the overlay at the new moment, drawn once
            self.session.set_time(ts)
            view.set_moment(ts)
            if self.overlay is not None and follows_readings(self.overlay.name):
                # the same overlay at the new moment, keeping a range the user set
                view.set_overlay(self.session.overlay(self.overlay.name, **view.overlay_options),
                                 view.overlay_options, keep_range=True)
