"""The README of an exported project: the files, the two commands, what changes in production."""

from __future__ import annotations

from .templates import MARKER
from .versions import NODE_MIN_VERSION

__all__ = ["readme"]


def readme(name: str, source: str, durable_objects: dict[str, str], has_assets: bool) -> str:
    parts = [
        f"# {name}: a Python Worker",
        "",
        f"{MARKER} from `{source}`. The files:",
        "",
        "- `src/entry.py`: your Worker, with the imports it had under wsguide changed to the real",
        "  ones (`workers`, `js`, `pyodide.ffi`); every other line is as you wrote it, so line",
        "  numbers in Cloudflare's error messages match your file.",
    ]
    if has_assets:
        parts.append("- `assets/`: your static files, served by Cloudflare before the Worker runs.")
    parts += [
        "- `wrangler.jsonc`: the configuration, with a comment on every setting.",
        "- `pyproject.toml` and `package.json`: the tools, pinned to the versions wsguide was tested with.",
        "",
        "## Run it and deploy it",
        "",
        f"You need [uv](https://docs.astral.sh/uv/) and Node.js {NODE_MIN_VERSION} or newer. Once, in this folder:",
        "",
        "```",
        "npm install                # wrangler, the version pinned in package.json",
        "```",
        "",
        "Then:",
        "",
        "```",
        "uv run pywrangler dev      # serve it on http://localhost:8787 in Cloudflare's own runtime",
        "uv run pywrangler deploy   # upload it to your Cloudflare account (it asks you to log in)",
        "```",
        "",
        "Both commands first run `pywrangler sync`, which puts the Workers Python SDK (and the",
        "packages listed under `dependencies` in `pyproject.toml`) into `python_modules/`; wrangler",
        "uploads that folder with `src/`.",
        "",
        "## What changes in production",
        "",
        "wsguide behaves like the Workers runtime on your machine. On Cloudflare's network a few",
        "things are different:",
        "",
        "- **No compression.** Locally the WebSocket handshake negotiates `permessage-deflate` when the",
        "  client offers it (compatibility flag `web_socket_compression`). Cloudflare's edge does not",
        "  negotiate it with clients today (workers-sdk#8908): messages travel uncompressed. Nothing",
        "  in your code changes; only the bytes on the wire do.",
        "- **Limits.** A received message may be at most 32 MiB (larger: the socket closes with 1009).",
        "  Your plan limits CPU time per request and requests per day; Durable Objects accept at most",
        "  32,768 WebSockets each, and an attachment holds at most 16 KiB. See",
        "  https://developers.cloudflare.com/workers/platform/limits/ and",
        "  https://developers.cloudflare.com/durable-objects/platform/limits/.",
    ]
    if durable_objects:
        parts += [
            "- **Hibernation timing.** wsguide hibernates an idle Durable Object after 10 seconds, as",
            "  `wrangler dev` does, and its notebooks can force it (`hibernate_now`). Cloudflare also",
            "  evicts an idle object after about 10 seconds, but nothing forces it, and the runtime may",
            "  restart an object at other moments too (a new deploy, maintenance). Code must not depend",
            "  on when it happens: keep what a socket needs in its attachment or in storage, never only",
            "  in `self`.",
            "- **What you pay for.** A Durable Object is billed for requests and for *duration*: the",
            "  wall-clock time it spends in memory while it is running or cannot hibernate. An idle",
            "  object whose sockets were accepted with `self.ctx.acceptWebSocket()` is not billed for",
            "  duration, even before it is evicted, and its sockets stay open. A socket accepted with",
            "  `server.accept()` keeps the object from hibernating, so it is billed for as long as the",
            "  socket is open. Incoming WebSocket messages count as requests at a 20:1 ratio; `\"ping\"`",
            "  answered by `setWebSocketAutoResponse` does not wake the object. Prices:",
            "  https://developers.cloudflare.com/durable-objects/platform/pricing/",
            "- **Storage starts empty.** The messages kept under `.wsguide/` on your machine are not",
            "  uploaded; each Durable Object on Cloudflare starts with empty storage.",
        ]
    parts += [
        "- **A new deploy closes every open WebSocket**: clients must reconnect.",
        "",
    ]
    return "\n".join(parts)
