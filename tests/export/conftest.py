"""The `wrangler` marker: tests that run wrangler under Node 22, or read its config schema.

They need the toolchain of tests/export (``python tests/export/toolchain.py install``:
wrangler and Node 22 from npm, the Workers Python SDK wheel from PyPI). Without it they
are skipped, with the reason in the summary. CI sets ``WSGUIDE_REQUIRE_WRANGLER=1``: then a
missing tool makes the test fail at set-up with the same reason, as the `browser` and
`workerd` markers do in tests/conftest.py.

Tests get the toolchain module from the ``toolchain`` fixture, which applies the same
skip-or-fail rule with or without the marker.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

REQUIRE_ENV = "WSGUIDE_REQUIRE_WRANGLER"
_OFF = {"", "0", "false", "no", "off"}


def _load_toolchain():
    # A plain file next to this one (also run as a script by .ci/run), loaded by path.
    spec = importlib.util.spec_from_file_location("wsguide_export_toolchain", Path(__file__).with_name("toolchain.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOLCHAIN = _load_toolchain()


def required(environ=os.environ) -> bool:
    """True when the environment says a missing toolchain must fail the test."""
    return environ.get(REQUIRE_ENV, "").strip().lower() not in _OFF


def skip_or_fail() -> None:
    reason = TOOLCHAIN.missing()
    if reason is None:
        return
    if required():
        pytest.fail(f"wrangler test required by {REQUIRE_ENV} but {reason}", pytrace=False)
    pytest.skip(f"wrangler test skipped: {reason}")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("wrangler") is not None:
        skip_or_fail()


@pytest.fixture
def toolchain():
    """The toolchain module (paths to node, wrangler, the schema; vendor_sdk; wrangler())."""
    skip_or_fail()
    return TOOLCHAIN
