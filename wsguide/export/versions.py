"""The tool versions an exported project pins: the ones the export tests run against."""

from __future__ import annotations

__all__ = ["NODE_MIN_VERSION", "WORKERS_PY_VERSION", "WORKERS_RUNTIME_SDK_VERSION", "WRANGLER_VERSION"]

# The versions the export tests run against (tests/export): bump them together.
WORKERS_PY_VERSION = "1.17.9"
WORKERS_RUNTIME_SDK_VERSION = "1.9.5"
WRANGLER_VERSION = "4.164.0"
NODE_MIN_VERSION = "22.12"
