"""Why an export stops: :class:`ExportError`, and :class:`ExportRefused` when the checker found problems."""

from __future__ import annotations

from ..lint import Finding

__all__ = ["ExportError", "ExportRefused"]


class ExportError(Exception):
    """The Worker cannot be exported as it is; the message says why and what to do."""


class ExportRefused(ExportError):
    """The rule checker found problems (``findings``); nothing was written."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        n = len(findings)
        super().__init__(
            f"export refused: {n} problem{'s' if n != 1 else ''} would break this Worker on "
            "Python Workers (fix them, or pass --force to write the project anyway)"
        )
