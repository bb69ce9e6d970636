"""Load a design file in a worker thread so the window keeps repainting.

`twin.store.load_design` cannot be interrupted, so Cancel marks the job cancelled and its
result is dropped when it arrives; the window goes back to what it showed before at once.
The scene (VTK) is built afterwards on the UI thread by the window.

The cables wait: the design is loaded with `defer_cables`, so the first frame (which draws no
cable) comes without reading them, and `CableReader` reads them in a worker once that frame
is shown. The checks that need them (`ReviewSession.loading`) run when they arrive.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from twin.errors import TwinError
from twin.session import ReviewSession
from twin.store import load_design


def prepare_session(design) -> ReviewSession:
    """A review session with every available analysis already run, except those that wait for
    cables not read yet (`ReviewSession.loading`): they run when the cables arrive.

    Why here: on hall-2000 the analyses take most of a second (the cabling check's SQL among
    them) and are numpy that lets the UI thread run beside it; done in the worker they cost the
    UI thread nothing. (The Cables panel's 297,440 names stay out: building them holds the
    interpreter for ~0.3 s, so the panel reads them when it is first shown.) A failure here is
    not fatal: the panels run what they need again on the UI thread and report it there.
    """
    session = ReviewSession(design)
    try:
        session.reading_warnings()
        waiting = session.loading()
        session.findings([n for n, why in session.available().items() if why is None and n not in waiting])
    except Exception:       # the panels show the error when they ask again
        pass
    return session


class _JobSignals(QObject):
    finished = Signal(int, object)          # job id, Design
    progress = Signal(int, str, float)      # job id, stage, fraction read (0..1)
    failed = Signal(int, str)               # job id, message


class _LoadJob(QRunnable):
    def __init__(self, job_id: int, path: Path, signals: _JobSignals):
        super().__init__()
        self.setAutoDelete(False)           # Python owns it; the loader drops it when done
        self.job_id, self.path, self.signals = job_id, path, signals

    def run(self) -> None:
        try:
            design = load_design(self.path, lambda stage, done: self.signals.progress.emit(self.job_id, stage, done),
                                 defer_cables=True)
            self.signals.progress.emit(self.job_id, "checking the design", 1.0)
            session = prepare_session(design)
        except TwinError as exc:
            self.signals.failed.emit(self.job_id, str(exc))
        except Exception as exc:            # a bug or an odd file: still a message, not a crash
            self.signals.failed.emit(self.job_id, f"{self.path}: cannot open ({type(exc).__name__}: {exc})")
        else:
            self.signals.finished.emit(self.job_id, (design, session))


class DesignLoader(QObject):
    """Runs one load at a time; starting a new one cancels the previous."""

    stage = Signal(str)                     # "reading file", …
    progress = Signal(str, float)           # stage ("reading parts"), fraction of the file read (0..1)
    loaded = Signal(object)                 # Design (not emitted for cancelled jobs)
    failed = Signal(str, str)               # path, message
    cancelled = Signal(str)                 # path

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._ids = itertools.count(1)
        self._jobs: dict[int, _LoadJob] = {}
        self.current: int | None = None
        self.current_path: Path | None = None
        self._signals = _JobSignals(self)
        self._sessions: dict[int, ReviewSession] = {}
        self._signals.finished.connect(self._on_finished)
        self._signals.progress.connect(self._on_progress)
        self._signals.failed.connect(self._on_failed)

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, path: str | Path) -> int:
        if self.current is not None:
            self.cancel()
        job_id = next(self._ids)
        job = _LoadJob(job_id, Path(path), self._signals)
        self._jobs[job_id] = job
        self.current, self.current_path = job_id, Path(path)
        self.stage.emit("reading file")
        self.pool.start(job)
        return job_id

    def cancel(self) -> None:
        """Forget the running job: its result will be discarded when the worker finishes."""
        if self.current is None:
            return
        path = self.current_path
        self.current, self.current_path = None, None
        self.cancelled.emit(str(path))

    def wait(self, msecs: int = 10_000) -> bool:
        """Block until workers are done (for shutdown and tests)."""
        return self.pool.waitForDone(msecs)

    def _on_progress(self, job_id: int, stage: str, done: float) -> None:
        if job_id == self.current:           # a cancelled job's progress means nothing now
            self.progress.emit(stage, done)

    def session_for(self, design) -> ReviewSession | None:
        """The review session the worker prepared for `design` (None if it made none)."""
        session = self._sessions.pop(id(design), None)
        return session if session is not None and session.design is design else None

    def _on_finished(self, job_id: int, payload) -> None:
        design, session = payload
        self._jobs.pop(job_id, None)
        if job_id != self.current:
            return                           # cancelled or superseded: drop it
        self.current, self.current_path = None, None
        self._sessions = {id(design): session}      # only the newest design's session is kept
        self.loaded.emit(design)

    def _on_failed(self, job_id: int, message: str) -> None:
        self._jobs.pop(job_id, None)
        if job_id != self.current:
            return
        path = self.current_path
        self.current, self.current_path = None, None
        self.failed.emit(str(path), message)


class _CableSignals(QObject):
    ready = Signal(object, object)          # Design, {analysis: (settings, result)} run in the worker
    failed = Signal(object, str)            # Design, message


class _CableJob(QRunnable):
    def __init__(self, design, settings: dict, signals: _CableSignals):
        super().__init__()
        self.setAutoDelete(False)
        self.design, self.settings, self.signals = design, settings, signals
        self.results: dict = {}

    def run(self) -> None:
        try:
            self.design.cables.load()
            self.run_checks()
        except TwinError as exc:
            self.signals.failed.emit(self.design, str(exc))
        except Exception as exc:            # a bug or an odd file: still a message, not a crash
            self.signals.failed.emit(self.design, f"{self.design.source}: cannot read the cables "
                                                  f"({type(exc).__name__}: {exc})")
        else:
            self.signals.ready.emit(self.design, self.results)

    def run_checks(self) -> None:
        """The checks that waited for the cables, run here on a session of their own (the window's
        is the UI thread's): on the campus the cabling check is seconds of routing the UI would
        otherwise spend. One that fails is left for the window to run and report."""
        session = ReviewSession(self.design, settings=self.settings)
        for name, settings in self.settings.items():
            try:
                self.results[name] = (settings, session.result(name))
            except Exception:               # the window runs it again and shows why
                pass


class CableReader(QObject):
    """Reads a design's deferred cables in a worker (one design at a time).

    `ready(design, results)` or `failed(design, message)` follows each `read`; a design that is
    no longer the one shown is still read to the end (the read cannot be interrupted), and the
    receiver compares designs. A design whose cables are already read is ready at once. Only
    the worker touches the session it makes; the window's session is used on the UI thread only.
    """

    ready = Signal(object, object)          # Design, {analysis: (settings, result)}
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _CableSignals(self)
        self._signals.ready.connect(self._done)
        self._signals.failed.connect(self._failed)
        self._jobs: dict[int, _CableJob] = {}
        self._asked = False                 # a read is about to be asked for (queued after the first frame)

    def expect(self) -> None:
        """Count as busy from now until the next `read` (the window queues it behind its first frame)."""
        self._asked = True

    @property
    def busy(self) -> bool:
        """True while a read is asked for and its answer has not been delivered."""
        return bool(self._jobs) or self._asked

    def read(self, design, session: ReviewSession | None = None) -> None:
        """Read `design`'s cables, then run the checks `session` lists as waiting for them (with
        its settings) in the worker; `ready` carries their results for `ReviewSession.adopt`."""
        from twin.model.deferred import waiting
        self._asked = False
        if not waiting(design.cables):
            self.ready.emit(design, {})
            return
        settings = {name: dict(session.settings(name)) for name in session.loading()} if session is not None else {}
        job = _CableJob(design, settings, self._signals)
        self._jobs[id(design)] = job
        self.pool.start(job)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the read is done (for shutdown and tests)."""
        return self.pool.waitForDone(msecs)

    def _done(self, design, results) -> None:
        self._jobs.pop(id(design), None)
        self.ready.emit(design, results)

    def _failed(self, design, message: str) -> None:
        self._jobs.pop(id(design), None)
        self.failed.emit(design, message)
