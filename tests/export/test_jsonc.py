"""The small JSONC reader the config tests use: comments and trailing commas go, strings stay."""

from __future__ import annotations

import json

import pytest

from . import jsonc


def test_line_and_block_comments_are_removed():
    text = '// head\n{ /* a */ "a": 1, // one\n "b": /* two\n lines */ 2 }\n'
    assert jsonc.loads(text) == {"a": 1, "b": 2}


def test_comment_markers_inside_strings_are_text():
    text = '{"url": "https://example.com/*x*/", "q": "say \\"//hi\\""}'
    assert jsonc.loads(text) == {"url": "https://example.com/*x*/", "q": 'say "//hi"'}


def test_trailing_commas_are_allowed_outside_strings_only():
    assert jsonc.loads('{"a": [1, 2,], "b": ",]",}') == {"a": [1, 2], "b": ",]"}


def test_anything_else_that_is_not_json_is_an_error():
    with pytest.raises(json.JSONDecodeError):
        jsonc.loads("{a: 1}")
    with pytest.raises(ValueError, match="unterminated"):
        jsonc.loads('{"a": 1 /* open')
