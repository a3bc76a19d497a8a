"""``wsguide lint``: check a Worker file against the rules of real Python Workers.

wsguide runs a Worker as plain Python. On Cloudflare the same file runs in Pyodide,
where every runtime object (a ``WebSocket``, a ``Response`` from ``js``, the Durable
Object ``ctx``) is a JavaScript object behind a proxy. Code that works here can break
there. This package reads a Worker's source (it never runs it) and reports each line that
breaks a Python Workers rule, with the fix::

    >>> [f.rule.id for f in lint_source("from wsguide import serve\\n")]
    ['wsguide-import']

The modules, in the order a check runs:

* :mod:`.scopes` — pass 1: every name binding in every scope;
* :mod:`.source` — pass 2's questions about an expression (a runtime object? a dict? a
  plain function?), answered from the source and the bindings;
* :mod:`.rules` — one check function per rule, and the table :data:`RULES` (id, message,
  fix, check); :mod:`.names` holds the literal tables of names they read;
* :mod:`.checker` — runs the rules over a module and the local modules it imports;
* :mod:`.cli` — the ``wsguide lint`` command.
"""

from __future__ import annotations

from .checker import lint_file, lint_source, lint_worker
from .cli import add_arguments, main, report
from .findings import Finding, Rule
from .names import MIRRORS
from .rules import RULES

__all__ = [
    "MIRRORS",
    "RULES",
    "Finding",
    "Rule",
    "add_arguments",
    "lint_file",
    "lint_source",
    "lint_worker",
    "main",
    "report",
]
