"""Helpers for learners (wsguide only): everything a notebook needs that a terminal does not.

* :mod:`~wsguide.teach.waits` — the one bounded wait (``WSGUIDE_TIMEOUT_FACTOR``);
* :mod:`~wsguide.teach.eventlog` — recording events and waiting for them;
* :mod:`~wsguide.teach.worker_log` — what the Worker printed, the servers running;
* :mod:`~wsguide.teach.answers` — ``check_…``: is the learner's step right, in words;
* :mod:`~wsguide.teach.rooms` — the same for the Durable Object lessons;
* :mod:`~wsguide.teach.wiretap` — the conversation on the wire, frame by frame;
* :mod:`~wsguide.teach.reruns` — re-running a cell stops the server it started.

The notebooks import these through the :mod:`wsguide.notebook` façade.
"""
