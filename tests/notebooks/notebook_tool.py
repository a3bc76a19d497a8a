"""tools/notebooks.py (the maintainers' notebook tool), loaded for the tests.

tools/ is not a package, and the name ``notebooks`` is taken by this test package, so
the tool is loaded from its path under a name of its own.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PATH = Path(__file__).resolve().parents[2] / "tools" / "notebooks.py"
NAME = "wsguide_tools_notebooks"


def load() -> ModuleType:
    if NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(NAME, PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules[NAME] = module
        spec.loader.exec_module(module)
    return sys.modules[NAME]
