"""What twin logged at warning level or above, kept for the viewer (View → Load warnings…).

Every module logs through `logging.getLogger(__name__)`, so everything twin says lives under
the `twin` logger. `warning_log()` hangs one small handler on it that keeps the last records
in memory; the viewer's dialog lists them, the CLI prints them instead (twin.cli). No Qt here,
so the same record list serves any front end and the tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

#: Records kept; older ones fall off (a broken catalog can warn once per part type).
KEPT_RECORDS = 1000


class WarningLog(logging.Handler):
    """The last `size` records at WARNING or above, oldest first; safe to fill from worker threads."""

    def __init__(self, size: int = KEPT_RECORDS) -> None:
        super().__init__(logging.WARNING)
        self._records: deque[logging.LogRecord] = deque(maxlen=size)
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self._records.append(record)

    def records(self) -> list[logging.LogRecord]:
        with self._guard:
            return list(self._records)

    def lines(self) -> list[str]:
        """One line per record: local time, level, the module that logged it, the message (and
        the exception's last line, where one was logged with it)."""
        out = []
        for r in self.records():
            text = f"{time.strftime('%H:%M:%S', time.localtime(r.created))}  {r.levelname:<8} {r.name}: {r.getMessage()}"
            if r.exc_info and r.exc_info[1] is not None:
                text += f" ({type(r.exc_info[1]).__name__}: {r.exc_info[1]})"
            out.append(text)
        return out

    def clear(self) -> None:
        with self._guard:
            self._records.clear()


_log: WarningLog | None = None
_log_guard = threading.Lock()


def warning_log() -> WarningLog:
    """The one WarningLog on the `twin` logger, attached on first use."""
    global _log
    with _log_guard:
        if _log is None:
            _log = WarningLog()
            logging.getLogger("twin").addHandler(_log)
        return _log
