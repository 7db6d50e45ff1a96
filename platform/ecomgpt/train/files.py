"""Directories that may live at a URI: copy them to and from a local directory."""

from __future__ import annotations

import tempfile

import pyarrow.fs as pafs

from ecomgpt import storage


def is_uri(location: str) -> bool:
    return "://" in location


def upload_dir(local_dir: str, uri: str) -> None:
    """Copy a local directory to `uri` (a plain copy when `uri` is a local path)."""
    fs, path = storage.resolve(uri)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(local_dir, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def local_dir(location: str) -> str:
    """A local directory holding `location`'s files: the path itself, or a fresh download of a URI."""
    if not is_uri(location):
        return location
    target = tempfile.mkdtemp(prefix="ecomgpt-")
    fs, path = storage.resolve(location)
    pafs.copy_files(path, target, source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
    return target
