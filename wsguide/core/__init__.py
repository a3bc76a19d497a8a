"""The core: the Workers WebSocket runtime as pure state machines, with no I/O.

Nothing here imports asyncio, sockets or sqlite. Work that must happen "on a
later turn" is handed to a scheduler passed in with the
:class:`~wsguide.core.isolate.Isolate`; input enters a socket through
``WebSocket.receive(item)`` as frozen records (:mod:`~wsguide.core.messages`);
every state change goes through one table (:mod:`~wsguide.core.states`).
"""
