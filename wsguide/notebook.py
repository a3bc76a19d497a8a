"""Helpers for learners in notebooks: event logs, bounded waits, answer checks, wire traces.

Everything here exists because a notebook is not a terminal (see
:mod:`wsguide.teach`), and everything here is "wsguide only": real Workers have
no such helpers, and none of them is needed inside a Worker.
"""

from __future__ import annotations

from .doctor import browser_path, browser_ready
from .durable import HibernationBlocked
from .net.server import Server
from .net.worker import ExecutionContext
from .teach.answers import (
    Check,
    check_close,
    check_compression,
    check_echo,
    check_fetch_upgrade,
    check_pair,
    check_returned_end,
    check_upgrade_check,
)
from .teach.eventlog import EventLog, describe, next_event, wait_for_events
from .teach.rooms import check_hibernation, check_room, load_chat_example, room_gateway
from .teach.waits import TIMEOUT_FACTOR, WaitTimeout, scaled, within
from .teach.wiretap import WireEntry, WireTap, wire_tap
from .teach import reruns
from .teach.worker_log import show_log, show_running, stop_all, wait_for_log

__all__ = [
    "TIMEOUT_FACTOR",
    "Check",
    "EventLog",
    "HibernationBlocked",
    "ExecutionContext",
    "Server",
    "WaitTimeout",
    "WireEntry",
    "WireTap",
    "browser_path",
    "browser_ready",
    "check_close",
    "check_compression",
    "check_echo",
    "check_fetch_upgrade",
    "check_hibernation",
    "check_pair",
    "check_returned_end",
    "check_room",
    "check_upgrade_check",
    "describe",
    "load_chat_example",
    "next_event",
    "room_gateway",
    "scaled",
    "show_log",
    "show_running",
    "stop_all",
    "wait_for_events",
    "wait_for_log",
    "within",
    "wire_tap",
]

reruns.install()  # a re-run cell stops the server it started before
