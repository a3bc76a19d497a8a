"""The network: serving a Worker over HTTP/WebSocket, and its outbound ``fetch()``/``WebSocket(url)``.

Importing this package installs the event-loop scheduler and the outbound
network as the defaults of every isolate (the core itself knows neither).
"""

from __future__ import annotations

from ..core.isolate import install_defaults
from .client import FetchError, OutboundNetwork, fetch
from .loop import EventLoopScheduler
from .http1 import Limits
from .server import PortInUseError, Server, running, shutdown_all

__all__ = ["FetchError", "Limits", "PortInUseError", "Server", "fetch", "running", "shutdown_all"]

install_defaults(EventLoopScheduler(), OutboundNetwork())
