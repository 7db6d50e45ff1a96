"""Output storage on any pyarrow filesystem: local paths and URIs such as file://, s3://, gs://."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs


def resolve(uri: str) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path) for a local path or a URI."""
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), str(Path(uri).expanduser().resolve())


def absolute(location: str) -> str:
    """A URI as it is, a local path made absolute against the current working directory.

    Every path a user gives is made absolute on the driver before it is shipped to Ray tasks, actors or
    workers: they run in other working directories (Ray Train's workers in their trial directory).
    """
    if is_uri(location):
        return location
    return os.path.abspath(os.path.expanduser(location))


def join(uri: str, *parts: str) -> str:
    return "/".join([uri.rstrip("/"), *parts])


def is_empty_dir(uri: str) -> bool:
    """True when the location does not exist or holds nothing."""
    fs, path = resolve(uri)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        return True
    if info.type != pafs.FileType.Directory:
        raise NotADirectoryError(f"{uri} exists and is not a directory")
    return not fs.get_file_info(pafs.FileSelector(path, recursive=False))


def make_dirs(uri: str) -> None:
    fs, path = resolve(uri)
    fs.create_dir(path, recursive=True)


def delete_dir(uri: str) -> None:
    fs, path = resolve(uri)
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        fs.delete_dir(path)


def write_bytes(uri: str, data: bytes) -> None:
    fs, path = resolve(uri)
    parent = path.rsplit("/", 1)[0]
    fs.create_dir(parent, recursive=True)
    with fs.open_output_stream(path) as out:
        out.write(data)


def write_text(uri: str, text: str) -> None:
    write_bytes(uri, text.encode("utf-8"))


def read_text(uri: str) -> str:
    fs, path = resolve(uri)
    with fs.open_input_stream(path) as stream:
        return stream.read().decode("utf-8")


def write_json(uri: str, obj: Any) -> None:
    write_text(uri, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def exists(uri: str) -> bool:
    fs, path = resolve(uri)
    return fs.get_file_info(path).type != pafs.FileType.NotFound


def is_uri(location: str) -> bool:
    return "://" in location


def upload_dir(local: str, uri: str) -> None:
    """Copy a local directory to `uri` (a plain copy when `uri` is a local path)."""
    fs, path = resolve(uri)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(local, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def local_dir(location: str) -> str:
    """A local directory holding `location`'s files, for libraries that read only local paths.

    A local path (or a hub name) comes back as it is, a file:// URI as its path; any other URI is copied
    once into a cache under the temp directory, keyed by the URI, so the actors of one node share a copy.
    """
    if not is_uri(location):
        return os.path.expanduser(location)
    if location.startswith("file://"):
        return location.removeprefix("file://")
    cache = Path(tempfile.gettempdir()) / "ecomgpt-dirs" / hashlib.sha1(location.encode()).hexdigest()[:16]
    if not cache.is_dir():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = tempfile.mkdtemp(prefix=f"{cache.name}-", dir=cache.parent)
        fs, path = resolve(location)
        pafs.copy_files(path, partial, source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
        try:
            os.rename(partial, cache)  # whole or not at all: a reader never sees half a copy
        except OSError:
            if not cache.is_dir():
                raise
            shutil.rmtree(partial)  # another process finished the same copy first
    return str(cache)
