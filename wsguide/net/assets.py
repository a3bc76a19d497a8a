"""Static assets: a folder of files served before the Worker runs, as Workers' ``assets`` do.

A Worker file declares its folder at module level, relative to the file, the way
``assets.directory`` works in ``wrangler.jsonc``::

    ASSETS = "public"

Then a ``GET`` (or ``HEAD``) request whose path names a file in that folder gets the
file, and the Worker does not run; ``/`` (and any path ending in ``/``) names that
folder's ``index.html``. Every other request reaches the Worker. This is the part of
wrangler's default ``html_handling`` that a page and its scripts need; wsguide does not
add wrangler's redirects (``/index.html`` → ``/``) or extension-less names
(``/about`` → ``about.html``).

A request can never read outside the folder: ``..`` segments, backslashes, NUL bytes and
symbolic links that point out of the folder all fall through to the Worker.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote

from .http1 import HttpReply

__all__ = ["assets_folder", "response_for", "static_file"]

# Text types get an explicit charset, as Cloudflare serves them.
_TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


def assets_folder(worker: Any, assets: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder of static files for ``worker``: ``assets`` if given, else the module's ``ASSETS``.

    A relative ``ASSETS`` is relative to the Worker file; a relative ``assets`` option to the
    current folder. Raises ``FileNotFoundError`` when the folder does not exist.
    """
    if assets is not None:
        folder = Path(assets)
        where = f"assets={str(assets)!r}"
    elif isinstance(worker, ModuleType) and getattr(worker, "ASSETS", None):
        declared = worker.ASSETS
        if not isinstance(declared, (str, os.PathLike)):
            raise TypeError(f'ASSETS must be a folder name such as "public", got {declared!r}.')
        file = getattr(worker, "__file__", None)
        folder = Path(file).resolve().parent / declared if file else Path(declared)
        where = f"ASSETS = {str(declared)!r} in {file}"
    else:
        return None
    if not folder.is_dir():
        raise FileNotFoundError(f"{where}: there is no folder {folder} for the static files.")
    return folder.resolve()


def static_file(root: Path, url_path: str) -> Path | None:
    """The file under ``root`` that answers ``url_path`` (query allowed), or None to run the Worker.

    The path is percent-decoded first; a path that would leave ``root`` (``..``, a
    backslash, NUL, a symbolic link pointing outside) answers None, like a path with no file.
    """
    root = root.resolve()
    # An HTTP request target, not a URL: "//x" is a path here, not a host.
    path = unquote(url_path.split("?", 1)[0].split("#", 1)[0])
    if "\x00" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    if not parts or path.endswith("/"):
        candidate = candidate / "index.html"
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


def response_for(file: Path) -> HttpReply:
    """The reply that sends ``file`` (the HTTP side leaves the body out for ``HEAD``)."""
    body = file.read_bytes()
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if content_type.startswith(_TEXT_TYPES):
        content_type += "; charset=utf-8"
    return HttpReply(200, "OK", [("Content-Type", content_type)], body)
