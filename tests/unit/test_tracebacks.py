"""In a notebook, a runtime error's traceback ends at the learner's line (as on Python Workers)."""

from __future__ import annotations

import subprocess
import sys
import traceback

import pytest

from wsguide.ffi import JsException
from wsguide.js import WebSocketPair
from wsguide.teach.tracebacks import PACKAGE_DIR, without_wsguide_frames


def learner_code():
    return WebSocketPair()  # without .new: raised inside wsguide


def test_the_trimmed_traceback_keeps_the_learner_frames_and_drops_wsguide_frames():
    with pytest.raises(JsException) as info:
        learner_code()
    full = traceback.extract_tb(info.value.__traceback__)
    assert any(f.filename.startswith(PACKAGE_DIR) for f in full)
    trimmed = traceback.extract_tb(without_wsguide_frames(info.value.__traceback__))
    assert [f.name for f in trimmed] == ["test_the_trimmed_traceback_keeps_the_learner_frames_and_drops_wsguide_frames", "learner_code"]


def test_a_traceback_of_wsguide_frames_only_is_left_whole():
    try:
        WebSocketPair.new().object_values()[0].send("too early")
    except JsException as exc:
        tb = exc.__traceback__.tb_next  # from the first wsguide frame down
    assert without_wsguide_frames(tb) is tb


def test_ipython_shows_the_error_at_the_learners_line_without_wsguide_paths():
    code = "from wsguide.js import WebSocketPair\nWebSocketPair()"
    out = subprocess.run(
        [sys.executable, "-m", "IPython", "--colors=NoColor", "-c", code],
        capture_output=True, text=True, timeout=60,
    ).stdout
    assert "----> 2 WebSocketPair()" in out
    assert "JsException: TypeError: Failed to construct 'WebSocketPair'" in out
    assert PACKAGE_DIR not in out
