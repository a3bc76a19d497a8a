"""Tracebacks in a notebook end at the learner's line, as they do on Python Workers.

On Workers, a runtime call that fails (``WebSocketPair()`` without ``.new``, ``send()`` before
``accept()``) raises a ``JsException`` straight out of JavaScript: the traceback has the learner's
frames and nothing else. wsguide's runtime is Python, so the same error would drag wsguide's own
frames along (with this machine's paths). In IPython, this hides the frames that belong to the
wsguide package; the learner's frames, the exception and its message are unchanged. Set
``WSGUIDE_FULL_TRACEBACKS=1`` to see everything (when working on wsguide itself).
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

__all__ = ["install", "without_wsguide_frames"]

PACKAGE_DIR = str(Path(__file__).resolve().parents[1]) + os.sep


def _is_wsguide(tb: types.TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR)


def without_wsguide_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the frames of wsguide's own modules (unchanged if nothing else is left)."""
    kept = []
    node = tb
    while node is not None:
        if not _is_wsguide(node):
            kept.append(node)
        node = node.tb_next
    if not kept or len(kept) == _length(tb):
        return tb
    rebuilt = None
    for node in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, node.tb_frame, node.tb_lasti, node.tb_lineno)
    return rebuilt


def _length(tb: types.TracebackType | None) -> int:
    n = 0
    while tb is not None:
        n += 1
        tb = tb.tb_next
    return n


def _show(shell: Any, etype: type, value: BaseException, tb: types.TracebackType | None, tb_offset: Any = None) -> None:
    tb = without_wsguide_frames(tb)
    value.__traceback__ = tb
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install() -> None:
    """In an IPython kernel, show tracebacks without wsguide's frames (once; never outside IPython)."""
    if os.environ.get("WSGUIDE_FULL_TRACEBACKS", "").strip() not in ("", "0"):
        return
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "_wsguide_tracebacks", False):
        return
    if getattr(shell, "custom_exceptions", ()):
        return  # someone else handles exceptions here: leave theirs alone
    shell.set_custom_exc((Exception,), _show)
    shell._wsguide_tracebacks = True
