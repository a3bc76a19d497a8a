"""The chat room soak (benchmarks/soak.py) for 60 s: nothing acknowledged is lost, the server stays flat.

30 members chat in one room of `wsguide dev examples/chat/worker.py --persist-to <tmp>`,
drop and come back, and the server is killed with SIGKILL at half time and restarted on
the same folder. The 10-minute figures are in benchmarks/RESULTS.md.
Marked `soak`: it runs by default (and in CI); deselect it locally with `-m "not soak"`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.soak
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the soak reads /proc (Linux)")
def test_a_60_second_soak_with_a_kill_loses_no_acknowledged_message(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--duration", "60", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert out.exists(), f"soak.py wrote no result:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text())
    assert result["acknowledged"] > 500, result
    assert result["lost"] == 0, result["lost_examples"]
    assert result["phantoms"] == 0 and result["refused"] == 0, result
    assert result["kill"]["acked_checked_after_restart"] > 0, result["kill"]
    for life in ("server_before_kill", "server_after_restart"):
        assert result[life]["rss_growth"] <= 0.10, (life, result[life])
        assert result[life]["other_fds_max"] - result[life]["other_fds_min"] <= 2, (life, result[life])
    assert result["drops"]["clean"] + result["drops"]["abrupt"] > 0, result["drops"]
    assert proc.returncode == 0, proc.stderr
