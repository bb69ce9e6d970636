"""CFD field controls: load a field file, choose the slice axis and position, an isosurface, clear.

Only widgets: the window reads the file (`twin.scene.field.load_field`) and draws it
(`Scene.show_field`); this group tells it what the user asked for.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QSlider, QWidget)

from twin.scene.field import FIELD_SUFFIXES

FIELD_FILTER = ("CFD fields (" + " ".join(f"*{s}" for s in FIELD_SUFFIXES) + ");;All files (*)")
SLIDER_STEPS = 1000


class FieldGroup(QGroupBox):
    loadRequested = Signal(str)              # a path chosen in the file dialog
    settingsChanged = Signal()               # axis, position or isosurface changed
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("CFD field", parent)
        self.setObjectName("fieldGroup")
        self.bounds: tuple[float, ...] | None = None
        self.path: Path | None = None
        self._quiet = False
        self.load_button = QPushButton("Load field…")
        self.load_button.setObjectName("loadField")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setObjectName("clearField")
        self.file_label = QLabel("no field loaded")
        self.file_label.setWordWrap(True)
        self.axis = QComboBox()
        self.axis.setObjectName("fieldAxis")
        for a in "xyz":
            self.axis.addItem(a, a)
        self.position = QSlider(Qt.Orientation.Horizontal)
        self.position.setObjectName("fieldPosition")
        self.position.setRange(0, SLIDER_STEPS)
        self.position_label = QLabel("")
        self.position_label.setMinimumWidth(60)
        self.iso = QCheckBox("Isosurface")
        self.iso.setObjectName("fieldIso")
        self.iso_value = QDoubleSpinBox(decimals=1, minimum=-1e9, maximum=1e9, singleStep=0.5,
                                        keyboardTracking=False, suffix=" °C")
        self.iso_value.setObjectName("fieldIsoValue")
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.clear_button)
        slice_row = QHBoxLayout()
        slice_row.addWidget(self.axis)
        slice_row.addWidget(self.position, 1)
        slice_row.addWidget(self.position_label)
        iso_row = QHBoxLayout()
        iso_row.addWidget(self.iso)
        iso_row.addWidget(self.iso_value, 1)
        form = QFormLayout(self)
        form.setContentsMargins(6, 6, 6, 6)
        form.addRow(buttons)
        form.addRow(self.file_label)
        form.addRow("Slice", slice_row)
        form.addRow(iso_row)
        self.load_button.clicked.connect(self.open_dialog)
        self.clear_button.clicked.connect(self.clearRequested)
        self.axis.currentIndexChanged.connect(self._on_axis)
        self.position.valueChanged.connect(self._on_position)
        self.iso.toggled.connect(self._changed)
        self.iso_value.valueChanged.connect(lambda _v: self.iso.isChecked() and self._changed())
        self.set_field(None)

    # ------------------------------------------------------------------ state
    def set_field(self, path: str | Path | None, bounds=None, value_range: tuple[float, float] | None = None
                  ) -> None:
        """Show a loaded field's name and fit the controls to its bounds (None: nothing loaded)."""
        self._quiet = True
        self.path = Path(path) if path is not None else None
        self.bounds = tuple(float(b) for b in bounds) if bounds is not None else None
        loaded = self.path is not None
        for w in (self.clear_button, self.axis, self.position, self.iso, self.iso_value):
            w.setEnabled(loaded)
        if loaded:
            lo, hi = value_range or (0.0, 1.0)
            self.file_label.setText(f"{self.path.name}  ({lo:.1f}–{hi:.1f})")
            self.file_label.setToolTip(str(self.path))
            self.iso_value.setRange(lo, hi)
            self.iso_value.setValue(lo + 0.75 * (hi - lo))
            self.axis.setCurrentIndex(2)
            self.position.setValue(SLIDER_STEPS // 3)          # a slice low in the room (z ≈ 1 m)
        else:
            self.file_label.setText("no field loaded")
            self.file_label.setToolTip("")
            self.iso.setChecked(False)
        self._quiet = False
        self._update_position_label()

    def set_enabled(self, on: bool) -> None:
        self.load_button.setEnabled(on)

    def axis_name(self) -> str:
        return self.axis.currentData()

    def position_value(self) -> float:
        """The slice position in world units along the chosen axis."""
        if self.bounds is None:
            return 0.0
        k = "xyz".index(self.axis_name())
        lo, hi = self.bounds[2 * k], self.bounds[2 * k + 1]
        return lo + (hi - lo) * self.position.value() / SLIDER_STEPS

    def set_position(self, value: float) -> None:
        """Move the slider to world position `value` (clamped to the field's bounds)."""
        if self.bounds is None:
            return
        k = "xyz".index(self.axis_name())
        lo, hi = self.bounds[2 * k], self.bounds[2 * k + 1]
        self.position.setValue(round((value - lo) / (hi - lo or 1.0) * SLIDER_STEPS))

    def iso_level(self) -> float | None:
        return self.iso_value.value() if self.iso.isChecked() else None

    # ------------------------------------------------------------------ changes
    def open_dialog(self) -> None:
        start = str(self.path.parent) if self.path is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, "Load CFD field", start, FIELD_FILTER)
        if path:
            self.loadRequested.emit(path)

    def _on_axis(self, _index: int) -> None:
        if self._quiet:
            return
        self._quiet = True
        self.position.setValue(SLIDER_STEPS // 2)
        self._quiet = False
        self._on_position(self.position.value())

    def _on_position(self, _value: int) -> None:
        self._update_position_label()
        self._changed()

    def _update_position_label(self) -> None:
        self.position_label.setText(f"{self.position_value():.2f} m" if self.bounds is not None else "")

    def _changed(self, *_args) -> None:
        if not self._quiet and self.path is not None:
            self.settingsChanged.emit()
