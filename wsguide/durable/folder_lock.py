"""One process per persistence folder: a lock file that names its holder.

Two servers writing the same Durable Object databases would be two instances
of the same object — the one thing Durable Objects promise never happens —
and their writes would overwrite each other. So the first process that opens
a database under a folder (or ``wsguide dev --persist-to DIR`` as it starts)
locks ``DIR/wsguide.lock`` and writes its PID and command line into it.

The lock is an OS lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows):
the OS releases it when the process exits or is killed, so a lock file left
by a dead process is simply taken over. Within one process the lock is
shared: every namespace using the folder holds a reference, and the file is
unlocked when the last one lets go.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FolderLock", "FolderLocked", "LOCK_NAME"]

LOCK_NAME = "wsguide.lock"
_WINDOWS_LOCK_OFFSET = 1 << 20  # lock a byte past the holder's text, so others can still read it


class FolderLocked(RuntimeError):
    """Another process holds the persistence folder; the message names it and says what to do."""

    def __init__(self, folder: Path, pid: int | None, command: str | None) -> None:
        self.folder = folder
        self.pid = pid
        self.command = command
        if pid is None:
            who = "another process"
        else:
            who = f"another process (PID {pid}" + (f": {command}" if command else "") + ")"
        super().__init__(
            f"{folder} is in use by {who}. Durable Object storage can be used by only one "
            f"process at a time. Stop that process first (Ctrl-C in its terminal"
            + (f", or kill {pid}" if pid is not None else "")
            + "), or give this one its own folder (--persist-to DIR, or persist= in serve()), "
            "or keep its storage in memory (--in-memory, or persist=False)."
        )


def _command_line(pid: int) -> str | None:
    """The command line of ``pid`` when this OS lets us read it (Linux: /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    parts = [p.decode("utf-8", "replace") for p in raw.split(b"\0") if p]
    return " ".join(parts) or None


def _read_holder(path: Path) -> tuple[int | None, str | None]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, None
    first, _, rest = text.partition("\n")
    try:
        pid = int(first.strip())
    except ValueError:
        return None, None
    command = _command_line(pid) or rest.strip() or None
    return pid, command


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


# folder → (file descriptor, how many holders in this process)
_held: dict[Path, list[int]] = {}


class FolderLock:
    """A claim on one persistence folder; ``acquire()`` locks it (once), ``release()`` lets go."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.held = False

    @property
    def path(self) -> Path:
        return self.folder / LOCK_NAME

    def acquire(self) -> None:
        """Lock the folder for this process, or raise :class:`FolderLocked` naming the holder."""
        if self.held:
            return
        entry = _held.get(self.folder)
        if entry is not None:
            entry[1] += 1
            self.held = True
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by children
        if not _try_lock(fd):
            os.close(fd)
            pid, command = _read_holder(self.path)
            raise FolderLocked(self.folder, pid, command)
        # Ours now (a file left by a dead process is simply rewritten): say who holds it.
        command = _command_line(os.getpid()) or " ".join(sys.argv)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n{command}\n".encode())
        _held[self.folder] = [fd, 1]
        self.held = True

    def release(self) -> None:
        """Let go; the file is unlocked when the last holder in this process lets go."""
        if not self.held:
            return
        self.held = False
        entry = _held.get(self.folder)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _held[self.folder]
            fd = entry[0]
            try:
                os.ftruncate(fd, 0)
                _unlock(fd)
            finally:
                os.close(fd)

    def __repr__(self) -> str:
        return f"<FolderLock {self.folder} {'held' if self.held else 'not held'}>"
