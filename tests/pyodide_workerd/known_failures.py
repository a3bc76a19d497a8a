"""The kit's Workers that do not run on real Python Workers today, and why: the ONE place to
edit as the kit is fixed (issue 9). test_kit_workers.py marks these ``xfail(strict=True)``: once
a Worker is fixed its test passes, the strict xfail turns that into a failure, and the entry
must go. Names come from extract.py (``examples_<file>``, ``nb<NN>[s]_<Entry>[__<Object>]``).
"""

BORROWED = "a listener given to addEventListener as a plain function/lambda (borrowed proxy): the first message fails, the connection drops"

KNOWN_FAILURES: dict[str, str] = {
    "nb03_Borrowed": "deliberate mistake of the lesson (the borrowed-proxy failure, shown once before create_proxy)",
    "nb02s_TooEager": "deliberate mistake of the exercise (accept() before returning the end)",
    "nb98_Forgetful": "deliberate mistake: notebook 98 reproduces the borrowed-proxy listener (" + BORROWED + ")",
    "nb98_Fragile": "deliberate mistake: notebook 98's listener raises on text that is not JSON (uncaught error, the connection drops: 1006)",
    "nb98_Broken": "deliberate mistake: the Worker exercise 1 of notebook 98 asks to fix (WebSocketPair() without .new, a lambda listener, a Blob echo)",
}
