"""Resolving source paths: local files, directories, globs and fsspec URIs (file://, s3://, ...).

Relative local paths are resolved against the current working directory when units are planned,
and units carry absolute paths or full URIs, so Ray workers with another working directory read
the same files.
"""

from __future__ import annotations

import os
from typing import IO

import fsspec
from fsspec.utils import get_protocol

GLOB_CHARS = "*?["
# Files a directory never contributes: hidden files, Spark/Hadoop markers, the run manifest.
_SKIPPED_NAMES = {"manifest.json", "PROVENANCE.md", "README.md"}


def is_local(path: str) -> bool:
    return get_protocol(path) in ("file", "local")


def normalize(path: str) -> str:
    """An absolute local path, or the URI unchanged."""
    if is_local(path):
        if path.startswith("file://"):
            path = path[len("file://") :]
        return os.path.abspath(os.path.expanduser(path))
    return path


def filesystem(path: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The filesystem of a path and the path within it.

    fsspec serves every protocol it has a driver for; s3://, gs:// and hdfs:// fall back to
    pyarrow's built-in filesystems when the fsspec driver (s3fs, gcsfs) is not installed.
    """
    path = normalize(path)
    try:
        return fsspec.core.url_to_fs(path)
    except ImportError:
        if get_protocol(path) not in _ARROW_PROTOCOLS:
            raise
    from fsspec.implementations.arrow import ArrowFSWrapper
    from pyarrow import fs as arrow_fs

    magic = min((path.find(char) for char in GLOB_CHARS if char in path), default=-1)
    base = path if magic < 0 else path[: path.rfind("/", 0, magic)]
    arrow, stripped_base = arrow_fs.FileSystem.from_uri(base)
    return ArrowFSWrapper(arrow), stripped_base + path[len(base) :]


_ARROW_PROTOCOLS = ("s3", "gs", "gcs", "hdfs", "viewfs")


def _unstrip(fs: fsspec.AbstractFileSystem, stripped: str, like: str) -> str:
    if is_local(like):
        return stripped
    protocol = get_protocol(like)
    return f"{protocol}://{stripped.lstrip('/') if protocol in _ARROW_PROTOCOLS else stripped}"


def has_glob(path: str) -> bool:
    return any(char in path for char in GLOB_CHARS)


def open_binary(path: str) -> IO[bytes]:
    fs, stripped = filesystem(path)
    return fs.open(stripped, "rb")


def file_size(path: str) -> int:
    fs, stripped = filesystem(path)
    return int(fs.size(stripped))


def is_dir(path: str) -> bool:
    fs, stripped = filesystem(path)
    return fs.isdir(stripped)


def exists(path: str) -> bool:
    fs, stripped = filesystem(path)
    return fs.exists(stripped)


def glob(pattern: str) -> list[str]:
    """Matches of a glob pattern, as absolute paths or URIs, sorted."""
    fs, stripped = filesystem(pattern)
    return sorted(_unstrip(fs, match, pattern) for match in fs.glob(stripped) if not fs.isdir(match))


def list_files(directory: str) -> list[str]:
    """All files under a directory (recursive), skipping hidden, `_`-prefixed and bookkeeping files."""
    fs, stripped = filesystem(directory)
    out = []
    for found in fs.find(stripped):
        relative = found[len(stripped.rstrip("/")) :].lstrip("/")
        parts = relative.split("/")
        if any(part.startswith((".", "_")) for part in parts) or parts[-1] in _SKIPPED_NAMES:
            continue
        out.append(_unstrip(fs, found, directory))
    return sorted(out)


def join(base: str, *names: str) -> str:
    return "/".join([base.rstrip("/"), *names])


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def parent(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0]


def extension(path: str) -> str:
    name = basename(path)
    return name[name.rfind(".") :].lower() if "." in name else ""
