"""History dock: the selected part's, rack's or cooling loop's sensors over time, with the
time slider's moment marked as a vertical line.

The data (which sensors, their readings in display units, their limits) come from
`ReviewSession.history` (`twin.model.history`); this panel only draws them with matplotlib's
Qt canvas: one small plot per quantity (°C, kW, L/min) sharing the time axis, one line per
sensor, limits as dashed lines, and a readout of the values under the cursor. Moving the
slider moves the marker lines only (their x data),
without plotting the data again. A click on the plot asks the window to move the slider there.

No pyplot: the figure is a plain `matplotlib.figure.Figure` on its own canvas, so nothing
global changes for the headless exports.
"""

from __future__ import annotations

from html import escape

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.colors import to_hex
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from twin.errors import TwinError
from twin.model.history import SensorHistory, Subject, related_subjects
from twin.session import ReviewSession

NOTHING_SELECTED = "Select a part, a rack or a cooling loop to plot its sensors over time."
NO_DESIGN = "Open a design to plot sensor readings over time."
MARKER_COLOUR = "#00838f"
MARGIN_PX = (46, 46, 22, 6)                      # left, right (second axis), bottom (times), top
#: limit lines: "recommended"/"design" in amber, "allowable"/"budget" in red
LIMIT_COLOURS = (("recommended", "#b26a00"), ("design", "#b26a00"), ("allowable", "#c62828"),
                 ("budget", "#c62828"))


def _limit_colour(label: str) -> str:
    return next((colour for word, colour in LIMIT_COLOURS if word in label), "#555555")


def _entry(colour: str, stroke: str, text: str) -> str:
    """One legend entry as rich text that wraps between entries, never inside one."""
    return f'<span style="color:{colour}">{stroke}</span>&nbsp;' + escape(text).replace(" ", "&nbsp;")


def _short_names(names: list[str]) -> dict[str, str]:
    """Legend labels without the prefix every sensor shares ("A06-inlet" → "inlet" when all
    start with "A06-"); whole names when there is one sensor or no shared prefix."""
    if len(names) < 2:
        return {n: n for n in names}
    prefix = names[0][:len(names[0]) - len(names[0].split("-")[-1])]
    while prefix and not all(n.startswith(prefix) and len(n) > len(prefix) for n in names):
        prefix = prefix[:prefix.rstrip("-").rfind("-") + 1]
    return {n: n[len(prefix):] for n in names}


def _moment(ts: str | None) -> np.datetime64 | None:
    """A reading timestamp as datetime64[s]; None for none or one that does not parse (no marker)."""
    try:
        return np.datetime64(ts.rstrip("Zz"), "s") if ts else None
    except ValueError:
        return None


class HistoryPanel(QWidget):
    momentPicked = Signal(str)            # a reading timestamp clicked on the plot

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session: ReviewSession | None = None
        self.subjects: list[Subject] = []
        self.history: SensorHistory | None = None
        self.moment: np.datetime64 | None = None
        self.axes: list = []
        self.lines: dict[str, object] = {}        # sensor name → Line2D
        self.markers: list = []                   # one vertical Line2D per axes
        self.draws = 0                            # full plots made (tests: a slider step makes none)
        self.choice = QComboBox()
        self.choice.setObjectName("historySubject")
        self.choice.setToolTip("the part, its rack or its cooling loop")
        self.message = QLabel(NO_DESIGN)
        self.message.setObjectName("historyMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.title = QLabel("")
        self.title.setObjectName("historyTitle")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.figure = Figure(figsize=(4, 1.6))   # margins set in pixels (_fit_margins): a layout engine
        self.canvas = FigureCanvasQTAgg(self.figure)   # would cost more than the whole plot on each draw
        self.canvas.setObjectName("historyCanvas")
        self.canvas.setToolTip("click to move the time slider to that moment")
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.canvas.mpl_connect("resize_event", lambda _e: self._fit_margins())
        self.canvas.mpl_connect("draw_event", self._on_drawn)
        self.canvas.mpl_connect("motion_notify_event", self._on_hover)
        self.readout = QLabel("")                # the values under the cursor
        self.readout.setObjectName("historyReadout")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setWordWrap(True)
        self._background = None                  # the plot without the marker, for blitting
        self._shape: tuple[int, ...] | None = None   # quantities per plot of the axes shown
        self._pairs: list[list] = []
        self.plot_page = QWidget()
        page = QVBoxLayout(self.plot_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        page.addWidget(self.title)
        page.addWidget(self.canvas, 1)
        page.addWidget(self.readout)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.plot_page)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.choice, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self.choice.currentIndexChanged.connect(self._on_choice)
        self._quiet = False

    # ------------------------------------------------------------------ what to show
    def set_session(self, session: ReviewSession | None) -> None:
        """A design was opened (None: closed): nothing selected, the marker at the session's moment."""
        self.session = session
        times = session.times() if session is not None else []
        self.moment = _moment(session.at if session is not None and session.at else (times[-1] if times else None))
        self._set_subjects([])

    def show_parts(self, parts: list[int]) -> None:
        """The selection changed: plot its first part's sensors (or its rack's), offering its
        rack and cooling loop in the Show box."""
        if self.session is None or not parts:
            self._set_subjects([])
            return
        self._set_subjects(related_subjects(self.session.design, int(parts[0])))

    def show_loop(self, loop: int) -> None:
        """Plot a cooling loop's supply and return temperatures and flow."""
        if self.session is not None and 0 <= loop < len(self.session.design.cooling_loops):
            self._set_subjects([Subject("loop", int(loop))])

    def reload(self) -> None:
        """The readings changed (live mode): plot the shown subject again from the file."""
        self.history = None
        self._set_subjects(list(self.subjects))

    def _set_subjects(self, subjects: list[Subject]) -> None:
        if subjects == self.subjects and self.history is not None:
            return                                 # same selection: the plot stays as it is
        self.subjects = subjects
        self._quiet = True
        self.choice.clear()
        d = self.session.design if self.session is not None else None
        for s in subjects:
            self.choice.addItem(s.label(d))
        self.choice.setEnabled(len(subjects) > 1)
        self._quiet = False
        self._on_choice(0)

    def _on_choice(self, index: int) -> None:
        if self._quiet:
            return
        if self.session is None or not self.subjects:
            self.history = None
            self._show_message(NO_DESIGN if self.session is None else NOTHING_SELECTED)
            return
        subject = self.subjects[max(index, 0)]
        try:
            history = self.session.history(subject)
        except TwinError as exc:                   # a damaged readings table: say where, keep the window
            self.history = None
            self._show_message(f"Cannot plot {subject.label(self.session.design)}: {exc}")
            return
        self.plot(history)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    # ------------------------------------------------------------------ drawing
    def plot(self, history: SensorHistory) -> None:
        """Draw `history`: two quantities per plot (left and right axis: °C and kW for a rack,
        °C and L/min for a loop), a line per sensor, dashed limits, and the legend as text above
        the plot so the lines get the dock's whole width. Axes of the same shape are reused."""
        self.history = history
        self.lines, self.markers, self._background = {}, [], None
        if history.message or not history.series:
            self.figure.clear()
            self.axes, self._pairs, self._shape = [], [], None
            self._show_message(history.message or f"{history.title}: nothing to plot")
            return
        units = history.units()
        pairs = [units[i:i + 2] for i in range(0, len(units), 2)]
        frames = self._frame(tuple(len(pair) for pair in pairs))
        short = _short_names([s.name for s in history.series])
        legend: list[str] = []
        for axes, pair in zip(frames, pairs):
            names: list[tuple] = []
            for ax, unit in zip(axes, pair):
                names += self._draw_quantity(ax, history, unit, short, legend)
            top = axes[-1]                          # drawn last, so its lines would hide the host's labels
            for ax, value, text, colour in names:
                # named on the line itself: with two quantities on one plot, the unit tells the axis
                top.text(0.995, value, text, transform=blended_transform_factory(top.transAxes, ax.transData),
                         ha="right", va="bottom", fontsize=6.5, color=colour,
                         bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=0.4))
        hosts = [axes[0] for axes in frames]
        spans = [(s.times[0], s.times[-1]) for s in history.series if len(s.times)]
        start, end = min(a for a, _ in spans), max(b for _, b in spans)
        pad = max((end - start) / 50, np.timedelta64(1, "s"))        # the marker at the ends stays visible
        hosts[0].set_xlim(start - pad, end + pad)
        self.title.setText(f"<b>{escape(history.title)}</b> &nbsp;·&nbsp; times in UTC<br>" + " &nbsp; ".join(legend))
        x = self.moment if self.moment is not None else history.series[0].times[-1]
        # animated: left out of full draws and drawn over a saved background when the slider moves
        self.markers = [ax.axvline(x, color=MARKER_COLOUR, linewidth=1.2, linestyle="-", animated=True)
                        for ax in hosts]
        for marker in self.markers:
            marker.set_visible(self.moment is not None)
        self._fit_margins()
        self.stack.setCurrentWidget(self.plot_page)
        self.draws += 1
        self.canvas.draw_idle()

    def _fit_margins(self) -> None:
        """Room for the axis labels, in pixels whatever the dock's size."""
        w, h = self.figure.bbox.width, self.figure.bbox.height
        if w > 120 and h > 60:
            self.figure.subplots_adjust(left=MARGIN_PX[0] / w, right=1 - MARGIN_PX[1] / w,
                                        bottom=MARGIN_PX[2] / h, top=1 - MARGIN_PX[3] / h, hspace=0.15)

    def _on_drawn(self, _event) -> None:
        """After a full draw: keep the picture without the marker, then draw the marker on it."""
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._draw_markers()

    def _draw_markers(self) -> None:
        for marker in self.markers:
            if marker.get_visible():
                marker.axes.draw_artist(marker)

    def _frame(self, shape: tuple[int, ...]) -> list[list]:
        """Axes for plots of `shape` (quantities per plot: 1 or 2), sharing the time axis.
        The last ones are emptied and reused when the shape is the same (a rack after a rack):
        making axes costs about as much as drawing them."""
        if shape == self._shape:
            for ax in self.axes:
                for artist in [*ax.lines, *ax.texts]:
                    artist.remove()
                ax.relim()
                ax.set_autoscaley_on(True)
            return self._pairs
        self.figure.clear()
        pairs: list[list] = []
        for row, count in enumerate(shape):
            host = self.figure.add_subplot(len(shape), 1, row + 1, sharex=pairs[0][0] if pairs else None)
            host.grid(True, alpha=0.3)
            axes = [host] + ([host.twinx()] if count == 2 else [])
            for ax in axes:
                ax.tick_params(labelsize=7)
            if row < len(shape) - 1:
                host.tick_params(labelbottom=False)
            pairs.append(axes)
        locator = AutoDateLocator(minticks=3, maxticks=5)
        pairs[0][0].xaxis.set_major_locator(locator)
        pairs[0][0].xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))   # ticks say the day
        self._shape, self._pairs = shape, pairs
        self.axes = [ax for axes in pairs for ax in axes]
        self._fit_margins()
        return pairs

    def _draw_quantity(self, ax, history: SensorHistory, unit: str, short: dict[str, str],
                       legend: list[str]) -> list[tuple]:
        """The lines and limits of one unit on `ax`, their legend entries appended to `legend`;
        returns (axes, value, text, colour) of each limit for its label on the line."""
        names = []
        for s in (s for s in history.series if s.unit == unit):
            colour = f"C{len(self.lines)}"
            (self.lines[s.name],) = ax.plot(s.times, s.values, linewidth=1.4, color=colour)
            legend.append(_entry(to_hex(colour), "━━", f"{short[s.name]} ({unit})"))
        for limit in (lim for lim in history.limits if lim.unit == unit):
            colour = _limit_colour(limit.label)
            text = f"{limit.label} {limit.value:g} {unit}"
            ax.axhline(limit.value, linestyle="--", linewidth=1.0, color=colour)
            names.append((ax, limit.value, f"{limit.value:g} {unit}", colour))
            legend.append(_entry(colour, "╍╍", text))
        ax.set_ylabel(unit, fontsize=8)
        return names

    def set_moment(self, ts: str | None) -> None:
        """The time slider moved: move the marker lines (the data are not plotted again)."""
        self.moment = _moment(ts)
        for marker in self.markers:
            if self.moment is not None:
                marker.set_xdata([self.moment, self.moment])
            marker.set_visible(self.moment is not None)
        if not self.markers:
            return
        if self._background is None:
            self.canvas.draw_idle()
            return
        self.canvas.restore_region(self._background)
        self._draw_markers()
        self.canvas.blit(self.figure.bbox)

    def marker_time(self) -> np.datetime64 | None:
        """Where the marker stands (None: no marker), as datetime64[s]."""
        if not self.markers or not self.markers[0].get_visible():
            return None
        x = self.markers[0].get_xdata()[0]
        return x if isinstance(x, np.datetime64) else np.datetime64(num2date(x).replace(tzinfo=None), "s")

    def point_of(self, moment: np.datetime64, axes: int = 0) -> tuple[int, int]:
        """Widget pixel (x, y) of `moment` at mid-height of `axes` (tests click there)."""
        ax = self.axes[axes]
        y = float(np.mean(ax.get_ylim()))
        px, py = ax.transData.transform((date2num(moment), y))
        ratio = self.canvas.device_pixel_ratio or 1.0
        return int(round(px / ratio)), int(round(self.canvas.height() - py / ratio))

    def readout_at(self, moment: np.datetime64) -> str:
        """Each sensor's reading nearest `moment` (within its series), as one line: the time
        (UTC) and name value unit per sensor."""
        history = self.history
        if history is None or not history.series:
            return ""
        short = _short_names([s.name for s in history.series])
        parts = []
        for series in history.series:
            if not len(series.times):
                continue
            i = int(np.argmin(np.abs(series.times - moment)))
            parts.append(f"{short[series.name]} {series.values[i]:.4g} {series.unit}")
        when = np.datetime_as_string(np.datetime64(moment, "m")).replace("T", " ")
        return f"{when} UTC · " + " · ".join(parts)

    def _on_hover(self, event) -> None:
        """The cursor moved over the plot: read out the values under it."""
        if event.inaxes is None or event.xdata is None or self.history is None:
            return
        self.readout.setText(self.readout_at(np.datetime64(num2date(event.xdata).replace(tzinfo=None), "s")))

    def _on_click(self, event) -> None:
        if event.inaxes is None or event.xdata is None or self.session is None:
            return
        times = self.session.times()
        if not times:
            return
        clicked = np.datetime64(num2date(event.xdata).replace(tzinfo=None), "s")
        stamps = [(t, _moment(t)) for t in times]
        stamps = [(t, m) for t, m in stamps if m is not None]
        if stamps:
            nearest = min(stamps, key=lambda tm: abs(tm[1] - clicked))
            self.momentPicked.emit(nearest[0])
