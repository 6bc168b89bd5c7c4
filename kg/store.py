"""Store stage: the store's place on disk, owned by ``StoreLayout``: its versions, the link to the
current one, the lock that builds and updates take turns by, and the journal of updates.

``store_dir`` is a symbolic link to one version under ``<store_dir>.versions/``.
A build writes a complete new version and then replaces the link in one
``rename``; readers see the old store or the new one, never a partial one, and
a failed build leaves the link untouched.  Beside the link: ``<store_dir>.lock``
and the journal ``<store_dir>.updates.ru``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .errors import Unavailable

KEEP_VERSIONS = 2


class StoreLayout:
    """The files of the store at ``store_dir``."""

    def __init__(self, store_dir: str | Path):
        self.link = Path(store_dir)
        self.versions = self.link.parent / (self.link.name + ".versions")
        self.lock = self.link.with_name(self.link.name + ".lock")
        self.journal = self.link.with_name(self.link.name + ".updates.ru")

    def open(self) -> ox.Store:
        """The current version, read-only; several processes may open it at once.
        Raises Unavailable while none is built."""
        if not self.link.exists():
            raise Unavailable(f"{self.link}: no store here; run 'kg build' first")
        return ox.Store.read_only(str(self.link.resolve()))

    def current(self) -> str:
        """What names the version the link points at now, read with one system call: the link's
        target (a build replaces the link); the store path itself if it is not a link."""
        try:
            return os.readlink(self.link)
        except OSError:
            return str(self.link)

    def new_version(self) -> Path:
        """A fresh, not yet existing path for the next version.

        Raises Unavailable if the store path exists and is not a link made by a build.
        """
        if self.link.exists() and not self.link.is_symlink():
            raise Unavailable(f"{self.link}: exists and is not a store link made by 'kg build'; "
                              f"move it away or choose another KG_STORE_DIR")
        self.versions.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        version, n = self.versions / name, 1
        while version.exists():  # a second build in the same second, by the same process
            n += 1
            version = self.versions / f"{name}-{n}"
        return version

    def publish(self, version: Path) -> None:
        """Point the link at ``version`` in one atomic rename, then prune old versions."""
        tmp_link = self.link.parent / f".{self.link.name}.{os.getpid()}.tmp"
        tmp_link.unlink(missing_ok=True)
        os.symlink(os.path.relpath(version, self.link.parent), tmp_link)
        os.replace(tmp_link, self.link)
        self._prune(keep=version)

    @staticmethod
    def discard(version: Path) -> None:
        """Remove a version that was never published."""
        shutil.rmtree(version, ignore_errors=True)

    def _prune(self, keep: Path) -> None:
        """Remove old versions, keeping the newest few (readers may still hold them open)."""
        old = sorted((p for p in self.versions.iterdir() if p.is_dir() and p != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
        for path in old[KEEP_VERSIONS - 1:]:
            shutil.rmtree(path, ignore_errors=True)

    @contextlib.contextmanager
    def turn(self):
        """Wait for any other update or build of this store to finish; hold the store until the block ends."""
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    def record(self, entry: str) -> Callable[[], None]:
        """Append ``entry`` to the journal in one write, flushed to disk; return a function that takes it back."""
        with open(self.journal, "a", encoding="utf-8") as f:
            size = f.tell()
            f.write(entry)
            f.flush()
            os.fsync(f.fileno())

        def undo() -> None:
            with open(self.journal, "r+b") as f:
                f.truncate(size)
        return undo
