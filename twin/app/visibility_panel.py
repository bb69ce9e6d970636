"""Visibility panel: part kinds and generations to show, x-ray, and a section plane.

The panel edits the view state it is given (a "kinds" filter, x-ray, the section); the scene
follows the state. It owns that behaviour: nobody relays its choices.
"""

from __future__ import annotations

import numpy as np
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QScrollArea,
                               QSlider, QVBoxLayout, QWidget)

from twin.viewstate import ViewState

SECTION_STEPS = 1000
DEBOUNCE_MS = 120


class VisibilityPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.state: ViewState | None = None
        self._matching: Callable[..., np.ndarray] | None = None
        self.kind_boxes: dict[str, QCheckBox] = {}
        self.gen_boxes: dict[str, QCheckBox] = {}
        self.bounds = (np.zeros(3), np.ones(3))
        self.kinds_group = QGroupBox("Part kinds")
        self.kinds_layout = QVBoxLayout(self.kinds_group)
        self.gens_group = QGroupBox("Generations")
        self.gens_layout = QVBoxLayout(self.gens_group)
        self.xray = QCheckBox("X-ray (hidden parts as ghosts)")
        self.axis = QComboBox()
        for label, data in (("Off", None), ("X (along rows)", "x"), ("Y (across aisles)", "y"), ("Z (height)", "z")):
            self.axis.addItem(label, data)
        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=SECTION_STEPS, value=SECTION_STEPS // 2)
        self.slider.setEnabled(False)
        self.position_label = QLabel("")
        section = QGroupBox("Section plane")
        form = QFormLayout(section)
        form.addRow("Axis", self.axis)
        row = QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.position_label)
        form.addRow("Cut at", row)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.kinds_group)
        layout.addWidget(self.gens_group)
        layout.addWidget(self.xray)
        layout.addWidget(section)
        layout.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit_filters)
        self._section_timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._section_timer.timeout.connect(self._emit_section)
        self.xray.toggled.connect(self._on_xray)
        self.axis.currentIndexChanged.connect(self._on_axis)
        self.slider.valueChanged.connect(lambda _v: self._section_timer.start())

    def set_content(self, kinds: list[str], generations: list[str], bounds, state: ViewState | None = None,
                    parts_matching: Callable[..., np.ndarray] | None = None) -> None:
        """New design: one checkbox per kind and generation (all on), section off; the panel
        edits `state` from now on (`parts_matching(kinds=…, generations=…)` gives part masks)."""
        self.state, self._matching = state, parts_matching
        for boxes, layout in ((self.kind_boxes, self.kinds_layout), (self.gen_boxes, self.gens_layout)):
            for box in boxes.values():
                layout.removeWidget(box)
                box.deleteLater()
            boxes.clear()
        for name in kinds:
            self.kind_boxes[name] = self._box(name.replace("_", " "), self.kinds_layout)
        for name in generations:
            self.gen_boxes[name] = self._box(name, self.gens_layout)
        self.gens_group.setVisible(bool(generations))
        self.bounds = (np.asarray(bounds[0], float), np.asarray(bounds[1], float))
        for w, value in ((self.xray, False),):
            w.blockSignals(True)
            w.setChecked(value)
            w.blockSignals(False)
        self.axis.blockSignals(True)
        self.axis.setCurrentIndex(0)
        self.axis.blockSignals(False)
        self.slider.setEnabled(False)
        self.position_label.setText("")

    def _box(self, label: str, layout: QVBoxLayout) -> QCheckBox:
        box = QCheckBox(label)
        box.setChecked(True)
        box.toggled.connect(lambda _on: self._timer.start())
        layout.addWidget(box)
        return box

    def shown(self) -> tuple[list[str], list[str]]:
        kinds = [k for k, b in self.kind_boxes.items() if b.isChecked()]
        gens = [g for g, b in self.gen_boxes.items() if b.isChecked()]
        return kinds, gens

    def all_shown(self) -> bool:
        return all(b.isChecked() for b in list(self.kind_boxes.values()) + list(self.gen_boxes.values()))

    def _emit_filters(self) -> None:
        """The kind and generation boxes into the state's "kinds" filter (none when all are on)."""
        if self.state is None or self._matching is None:
            return
        if self.all_shown():
            self.state.set_filter("kinds", None)
            return
        kinds, generations = self.shown()
        kind_mask = self._matching(kinds=kinds) if kinds else np.zeros(self.state.n_parts, bool)
        self.state.set_filter("kinds", kind_mask & self._matching(generations=generations + [""]))

    def _on_xray(self, on: bool) -> None:
        if self.state is not None:
            self.state.xray = bool(on)

    def section_position(self) -> float:
        axis = self.axis.currentData()
        if axis is None:
            return 0.0
        i = "xyz".index(axis)
        lo, hi = self.bounds[0][i], self.bounds[1][i]
        return float(lo + (hi - lo) * self.slider.value() / SECTION_STEPS)

    def _on_axis(self, _index: int) -> None:
        self.slider.setEnabled(self.axis.currentData() is not None)
        self._emit_section()

    def _emit_section(self) -> None:
        axis = self.axis.currentData()
        pos = self.section_position()
        self.position_label.setText(f"{pos:.2f} m" if axis else "")
        if self.state is not None:
            self.state.set_section(axis, pos, "-")
