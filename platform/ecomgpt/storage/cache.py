"""Local copies of URIs, for libraries that read only local paths: one per content, in the user's cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow.fs as pafs

from ecomgpt.storage.files import fingerprint, resolve
from ecomgpt.storage.locations import is_local
from ecomgpt.storage.remote import READ_BLOCK, names_location

CACHE_ENV = "ECOMGPT_CACHE_DIR"
CACHE_ENTRIES_ENV = "ECOMGPT_DIR_CACHE_ENTRIES"
DEFAULT_CACHE_ENTRIES = 4
STALE_PARTIAL_S = 6 * 3600  # a copy in progress this long belongs to a process that died


def cache_root() -> Path:
    """ECOMGPT_CACHE_DIR, else $XDG_CACHE_HOME/ecomgpt, else ~/.cache/ecomgpt."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base).resolve() / "ecomgpt"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _copy_key(location: str) -> str:
    """The cache entry of a URI's current content: the URI and its listing's sizes and times (ETags where the
    store gives them), so a directory rewritten at the same URI gets a new entry."""
    text = json.dumps([location, fingerprint(location)])
    return hashlib.sha256(location.encode()).hexdigest()[:16] + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _prune(cache: Path, keep: Path, entries: int) -> None:
    """Drop partial copies of dead processes, older copies of `keep`'s URI, then the least recently used
    entries beyond `entries`."""
    now = time.time()
    uri_prefix = keep.name.split("-", 1)[0] + "-"
    finished = []
    for entry in cache.iterdir():
        if entry == keep:
            continue
        if ".partial-" in entry.name:
            if now - entry.stat().st_mtime > STALE_PARTIAL_S:
                shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(uri_prefix):
            shutil.rmtree(entry, ignore_errors=True)
        else:
            finished.append(entry)
    finished.sort(key=lambda entry: entry.stat().st_mtime, reverse=True)
    for entry in finished[max(entries - 1, 0) :]:
        shutil.rmtree(entry, ignore_errors=True)


@names_location
def local_dir(location: str) -> str:
    """A local directory holding `location`'s files, for libraries that read only local paths.

    A local path (or a hub name) comes back as it is, a file:// URI as its path; any other URI is copied
    into the user's private cache (`<cache_root>/dirs`, mode 0700), keyed by its content's listing so the
    actors of one node share a copy and a rewritten URI is copied afresh. The cache keeps the
    `ECOMGPT_DIR_CACHE_ENTRIES` (default 4) most recently used copies.
    """
    if is_local(location):
        return os.path.expanduser(location.split("://", 1)[-1])
    cache_dir = _private_dir(cache_root() / "dirs")
    cache = cache_dir / _copy_key(location)
    if not cache.is_dir():
        partial = tempfile.mkdtemp(prefix=f"{cache.name}.partial-", dir=cache_dir)
        try:
            fs, path = resolve(location)
            pafs.copy_files(
                path,
                partial,
                source_filesystem=fs,
                destination_filesystem=pafs.LocalFileSystem(),
                chunk_size=READ_BLOCK,
            )
            os.rename(partial, cache)  # whole or not at all: a reader never sees half a copy
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            if not cache.is_dir():
                raise
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    os.utime(cache)  # most recently used
    _prune(cache_dir, cache, int(os.environ.get(CACHE_ENTRIES_ENV, DEFAULT_CACHE_ENTRIES)))
    return str(cache)
