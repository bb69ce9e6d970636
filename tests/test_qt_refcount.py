"""The installed PySide6 must not leak references to None (6.12.0 on Python 3.11 does).

Runs in a subprocess: a leaking build aborts the interpreter ("none_dealloc"), which would
take the whole test session down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = r"""
import sys
from PySide6.QtGui import QStandardItem, QStandardItemModel
model = QStandardItemModel()
before = sys.getrefcount(None)
for i in range(20000):
    item = QStandardItem(str(i))
    item.setData(i, 256)
    item.setToolTip("tip")
    model.appendRow(item)
model.clear()
print(sys.getrefcount(None) - before)
"""


def test_void_qt_calls_do_not_leak_none():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"Qt calls aborted the interpreter: {done.stderr[-400:]}"
    delta = int(done.stdout.strip().splitlines()[-1])
    if sys.version_info < (3, 12):          # None is immortal from 3.12 on: its count means nothing there
        # A build that drops references sends the count down until None is freed; an extra
        # reference kept (seen with 6.11: one per appended item) is harmless.
        assert delta > -1000, f"60,000 void Qt calls dropped {-delta} references to None"
