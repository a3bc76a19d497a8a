"""The boundary scenarios: each one a Python Worker written for Python Workers (real imports
only) plus a client that drives it and records what it sees (see ../transcript.py).

Every rule of the Pyodide boundary is shown from both sides: ``shows="success"`` is the way
that works on Python Workers, ``shows="failure"`` the mistake a learner makes and what it
does. The topics live in the modules of this package; :data:`SCENARIOS` holds them all.
"""

from __future__ import annotations

from . import classes, durable, errors, listeners, logs, values  # noqa: F401  (they register)
from ._registry import SCENARIOS, Scenario, scenario

__all__ = ["SCENARIOS", "Scenario", "scenario"]
