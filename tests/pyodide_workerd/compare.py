"""Comparing a transcript from real Python Workers with one from wsguide.

Two kinds of difference are never counted: the import names themselves (``wsguide.ffi`` for
``pyodide.ffi`` …, the one change a Worker needs; texts are compared with wsguide's names
mapped back), and wsguide's own hints in the Worker's log (``[wsguide hint] …``), which real
Workers do not print and a learner should see (issue 9).
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

__all__ = ["RENAMED", "comparable", "differences"]

# What the mirror's import names change in a text, mapped back to the real ones.
RENAMED = (
    ("wsguide.sdk.http.AbortError", "pyodide.http._exceptions.AbortError"),
    ("wsguide.ffi.", "pyodide.ffi."),
    ("from wsguide.workers import", "from workers import"),
    ("from 'wsguide.workers'", "from 'workers'"),
    ("from wsguide.js import", "from js import"),
    ("from wsguide.ffi import", "from pyodide.ffi import"),
)


def _renamed(value: Any) -> Any:
    if isinstance(value, str):
        for ours, theirs in RENAMED:
            value = value.replace(ours, theirs)
        return value
    if isinstance(value, list):
        return [_renamed(v) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v) for k, v in value.items()}
    return value


def comparable(transcript: Any) -> dict[str, Any]:
    """What is compared: the client, the log (without wsguide's hints) and the load error, of a
    transcript dict or a :class:`~.runner.Recording`."""
    if is_dataclass(transcript):
        transcript = asdict(transcript)
    log = [line for line in transcript["log"] if not line["text"].startswith("[wsguide hint]")]
    return _renamed({"load_error": transcript["load_error"], "client": transcript["client"], "log": log})


def differences(real: Any, ours: Any, path: str = "") -> dict[str, tuple[Any, Any]]:
    """``{path: (real value, wsguide value)}`` for every leaf where the two differ."""
    if isinstance(real, dict) and isinstance(ours, dict):
        out: dict[str, tuple[Any, Any]] = {}
        for key in sorted(set(real) | set(ours)):
            out |= differences(real.get(key), ours.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(real, list) and isinstance(ours, list) and len(real) == len(ours):
        out = {}
        for i, (a, b) in enumerate(zip(real, ours)):
            out |= differences(a, b, f"{path}[{i}]")
        return out
    return {} if real == ours else {path: (real, ours)}
