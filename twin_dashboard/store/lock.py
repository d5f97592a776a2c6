"""One server per store: ``serve`` holds an exclusive lock beside the SQLite file for its life.

A second server on the same file would run silently beside the first — its alarms and live
events never reaching the first one's screens — so it refuses to start, naming the process that
holds the lock. Only ``serve`` takes the lock: ``import``, ``token`` and the other commands work
while a server runs. The lock is ``flock`` on ``<db>.lock``: the kernel releases it when the
process ends, however it ends, so a crashed server leaves no stale lock behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from twin_dashboard.store._sqlite_open import check_file, parse_url

log = logging.getLogger(__name__)
LOCK_SUFFIX = ".lock"


class StoreLocked(RuntimeError):
    """Another server holds the store; the message names it."""


def lock_path(url: str) -> Path:
    path = parse_url(url).path
    return path.with_name(path.name + LOCK_SUFFIX)


@contextmanager
def server_lock(url: str, holder: str) -> Iterator[Path | None]:
    """Hold the store of ``url`` for this server (``holder`` says who, for the next one).

    Raises :class:`StoreLocked` naming the holder when another process has it, and
    :class:`StoreUnavailable` when the URL names no usable database file (no lock file is made
    beside a folder or a text file). A lock file that cannot be made (a read-only folder) is
    warned about and the server runs unguarded. A store other than SQLite is not locked here.
    """
    if not url.startswith("sqlite:"):
        yield None
        return
    check_file(parse_url(url))
    path = lock_path(url)
    fd = _open(path)
    if fd is None:
        yield None
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 500, 0).decode("utf-8", "replace").strip() or "pid unknown"
            raise StoreLocked(f"another twin-dashboard server ({other}) is serving "
                              f"{parse_url(url).path}: stop it first, or give this one another "
                              f"--db (lock: {path})") from None
        _write(fd, holder)
        try:
            yield path
        finally:
            _write(fd, "")
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open(path: Path) -> int | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        pass
    try:
        return os.open(path, os.O_RDONLY)  # flock needs no write access
    except OSError as err:
        log.warning("cannot create the lock file %s (%s): a second server on this store "
                    "would not be stopped", path, err.strerror)
        return None


def _write(fd: int, text: str) -> None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)
    except OSError:  # opened read-only: the holder stays unnamed
        pass
