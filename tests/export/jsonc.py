"""Read JSONC (JSON with // and /* */ comments, and trailing commas), as wrangler does.

The comments and trailing commas are removed by a small scanner that knows string
literals (so "https://..." inside a string stays), then :func:`json.loads` reads the rest,
strictly: anything else that is not JSON is an error, as it would be for wrangler.
"""

from __future__ import annotations

import json
import re
from typing import Any

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def strip_comments(text: str) -> str:
    """``text`` without comments; newlines inside comments are kept so positions stay close."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise ValueError(f"unterminated /* comment at offset {i}")
            out.append("\n" * text.count("\n", i, end))
            i = end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _strip_trailing_commas(text: str) -> str:
    # Only outside strings: split on string literals and edit the parts between them.
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if k % 2 else _TRAILING_COMMA.sub(r"\1", p) for k, p in enumerate(parts))


def loads(text: str) -> Any:
    """Parse JSONC text."""
    return json.loads(_strip_trailing_commas(strip_comments(text)))
