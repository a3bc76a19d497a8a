"""The kit's Workers that do not run on real Python Workers today, and why: the ONE place to
edit as the kit is fixed (issue 9). test_kit_workers.py marks these ``xfail(strict=True)``: once
a Worker is fixed its test passes, the strict xfail turns that into a failure, and the entry
must go. Names come from extract.py (``examples_<file>``, ``nb<NN>[s]_<Entry>[__<Object>]``).
"""

BORROWED = "a listener given to addEventListener as a plain function/lambda (borrowed proxy): the first message fails, the connection drops"

KNOWN_FAILURES: dict[str, str] = {
    "nb03_Default": BORROWED,
    "nb04_Echo": BORROWED,
    "nb04_FixedEcho": BORROWED,
    "nb04_WithPage": BORROWED,
    "nb05_Echo": BORROWED,
    "nb06_Echo": BORROWED,
    "nb02s_TooEager": "deliberate mistake of the exercise (accept() before returning the end)",
    "nb03s_ThreeAndOut": BORROWED,
    "nb04s_Shout": BORROWED,
    "nb04s_Numbered": BORROWED,
    "nb05s_Echo": BORROWED,
    "nb05s_Proxy": "needs env.UPSTREAM and wsguide's client fetch()/Error (wsguide-only); listeners are plain lambdas",
    "nb06s_Echo": BORROWED,
}
