"""A rule of the checker and a finding: the line that breaks it, with the words of its message."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .source import WorkerSource

__all__ = ["Check", "Finding", "Hits", "Rule"]

#: What a rule's check yields: the node to report and the words that fill its message and fix.
Hits = Iterator[tuple[ast.AST, dict[str, str]]]
#: A rule's check: called with every node of the module and the analysed source.
Check = Callable[[ast.AST, "WorkerSource"], Hits]


@dataclass(frozen=True)
class Rule:
    """One Python Workers rule: its id, what is wrong, the fix ({placeholders} filled per
    finding) and the check that finds the code breaking it."""

    id: str
    message: str
    fix: str
    check: Check = field(repr=False, compare=False)


@dataclass(frozen=True)
class Finding:
    """A line that breaks a rule: where, which rule, and the words that fill the rule's text."""

    path: str
    line: int
    col: int
    rule: Rule
    words: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def message(self) -> str:
        return self.rule.message.format(**self.words)

    @property
    def fix(self) -> str:
        return self.rule.fix.format(**self.words)

    def format(self) -> str:
        """``path:line:col: message [rule-id]`` and, indented below, ``fix: ...``."""
        return f"{self.path}:{self.line}:{self.col + 1}: {self.message} [{self.rule.id}]\n    fix: {self.fix}"
