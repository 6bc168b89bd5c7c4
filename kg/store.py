"""Store stage: write the built graph to disk atomically, and open it.

``store_dir`` is a symbolic link to one version under ``<store_dir>.versions/``.
A build writes a complete new version and then replaces the link in one
``rename``; readers see the old store or the new one, never a partial one, and
a failed build leaves the link untouched.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pyoxigraph as ox

KEEP_VERSIONS = 2


class StoreError(Exception):
    """The store is missing or cannot be written; the message says where and why."""


def versions_dir(store_dir: Path) -> Path:
    return store_dir.parent / (store_dir.name + ".versions")


def new_version(store_dir: str | Path) -> Path:
    """A fresh, not yet existing path for the next version of the store at ``store_dir``.

    Raises StoreError if ``store_dir`` exists and is not a link made by a build.
    """
    link = Path(store_dir)
    if link.exists() and not link.is_symlink():
        raise StoreError(f"{link}: exists and is not a store link made by 'kg build'; "
                         f"move it away or choose another KG_STORE_DIR")
    versions = versions_dir(link)
    versions.mkdir(parents=True, exist_ok=True)
    return versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"


def publish(store_dir: str | Path, version: Path) -> None:
    """Point the ``store_dir`` link at ``version`` in one atomic rename, then prune old versions."""
    link = Path(store_dir)
    tmp_link = link.parent / f".{link.name}.{os.getpid()}.tmp"
    tmp_link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(version, link.parent), tmp_link)
    os.replace(tmp_link, link)
    _prune(versions_dir(link), keep=version)


def discard(version: Path) -> None:
    """Remove a version that was never published."""
    shutil.rmtree(version, ignore_errors=True)


def _prune(versions: Path, keep: Path) -> None:
    """Remove old versions, keeping the newest few (readers may still hold them open)."""
    old = sorted((p for p in versions.iterdir() if p.is_dir() and p != keep),
                 key=lambda p: p.stat().st_mtime, reverse=True)
    for path in old[KEEP_VERSIONS - 1:]:
        shutil.rmtree(path, ignore_errors=True)


def current_version(store_dir: str | Path) -> str:
    """What names the version ``store_dir`` points at now, read with one system call: the link's
    target (a build replaces the link); ``store_dir`` itself if it is not a link."""
    try:
        return os.readlink(store_dir)
    except OSError:
        return str(store_dir)


def open_read_only(store_dir: str | Path) -> ox.Store:
    """Open the built store for reading; several processes may do so at once."""
    path = Path(store_dir)
    if not path.exists():
        raise StoreError(f"{path}: no store here; run 'kg build' first")
    return ox.Store.read_only(str(path.resolve()))
