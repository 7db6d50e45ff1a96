"""Files and directories at any location: a local path or a URI (file://, s3://, gs://, memory://, ...).

The one owner of file I/O. A location is a local path or a URI; `file://` and `local://` URIs name local
files. Its filesystem is pyarrow's own for local files and for the schemes pyarrow serves natively (s3, gs,
hdfs, abfs), fsspec's driver for any other scheme. `filesystem` gives it through fsspec's interface (globs,
listings, reads), `resolve` through pyarrow's (datasets, copies, output streams).

Every location a user gives is made absolute on the driver before it is shipped to Ray tasks, actors or
workers: they run in other working directories (Ray Train's workers in their trial directory).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import fsspec
import pyarrow.fs as pafs

LOCAL_SCHEMES = ("file", "local")
ARROW_SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss")
GLOB_CHARS = "*?["
# Files a directory listing never yields: hidden files, Spark/Hadoop markers, the run manifest.
_SKIPPED_NAMES = {"manifest.json", "PROVENANCE.md", "README.md"}


# --- locations: pure string functions ---------------------------------------------------------------


def scheme(location: str) -> str | None:
    """The URI scheme (`s3`, `file`, `simplecache::s3`, ...), None for a plain path."""
    return location.split("://", 1)[0] if is_uri(location) else None


def is_uri(location: str) -> bool:
    return "://" in location


def is_local(location: str) -> bool:
    """A plain path or a file:// (local://) URI."""
    return scheme(location) in (None, *LOCAL_SCHEMES)


def absolute(location: str) -> str:
    """A URI as it is (file:// included: outputs keep the form they were given), a local path made absolute
    against the current working directory."""
    if is_uri(location):
        return location
    return os.path.abspath(os.path.expanduser(location))


def normalize(location: str) -> str:
    """The one spelling of a location to read: a local file (plain path or file:// URI) as an absolute path,
    any other URI as it is."""
    if is_uri(location) and is_local(location):
        location = location.split("://", 1)[1]
    return absolute(location)


def join(location: str, *names: str) -> str:
    return "/".join([location.rstrip("/"), *names])


def basename(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


def parent(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[0]


def extension(location: str) -> str:
    name = basename(location)
    return name[name.rfind(".") :].lower() if "." in name else ""


def has_glob(location: str) -> bool:
    return any(char in location for char in GLOB_CHARS)


# --- filesystems ------------------------------------------------------------------------------------


def filesystem(location: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem of a location (glob characters allowed) and the path within it."""
    location = normalize(location)
    if scheme(location) not in ARROW_SCHEMES:
        return fsspec.core.url_to_fs(location)
    from fsspec.implementations.arrow import ArrowFSWrapper

    # pyarrow parses the whole URI ('?' starts a query): hand it the part before the first glob character
    magic = min((location.find(char) for char in GLOB_CHARS if char in location), default=-1)
    base = location if magic < 0 else location[: location.rfind("/", 0, magic)]
    arrow, stripped_base = pafs.FileSystem.from_uri(base)
    return ArrowFSWrapper(arrow), stripped_base + location[len(base) :]


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of a location and the path within it: the same filesystem as `filesystem`."""
    location = normalize(location)
    if is_local(location):
        return pafs.LocalFileSystem(), location
    if scheme(location) in ARROW_SCHEMES:
        return pafs.FileSystem.from_uri(location)
    fs, path = fsspec.core.url_to_fs(location)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def _unstrip(stripped: str, like: str) -> str:
    """A path found on `like`'s filesystem, spelled as a location again."""
    if is_local(like):
        return stripped
    name = scheme(like)
    return f"{name}://{stripped.lstrip('/') if name in ARROW_SCHEMES else stripped}"


# --- queries ----------------------------------------------------------------------------------------


def exists(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.exists(path)


def is_dir(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.isdir(path)


def file_size(location: str) -> int:
    fs, path = filesystem(location)
    return int(fs.size(path))


def glob(pattern: str) -> list[str]:
    """The files matching a glob pattern, as absolute paths or URIs, sorted."""
    fs, path = filesystem(pattern)
    return sorted(_unstrip(match, pattern) for match in fs.glob(path) if not fs.isdir(match))


def list_files(directory: str) -> list[str]:
    """All files under a directory (recursive), skipping hidden, `_`-prefixed and bookkeeping files."""
    fs, path = filesystem(directory)
    out = []
    for found in fs.find(path):
        relative = found[len(path.rstrip("/")) :].lstrip("/")
        parts = relative.split("/")
        if any(part.startswith((".", "_")) for part in parts) or parts[-1] in _SKIPPED_NAMES:
            continue
        out.append(_unstrip(found, directory))
    return sorted(out)


def is_empty_dir(location: str) -> bool:
    """True when the location does not exist or holds nothing."""
    fs, path = resolve(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        return True
    if info.type != pafs.FileType.Directory:
        raise NotADirectoryError(f"{location} exists and is not a directory")
    return not fs.get_file_info(pafs.FileSelector(path, recursive=False))


# --- reads and writes -------------------------------------------------------------------------------


def open_binary(location: str) -> IO[bytes]:
    fs, path = filesystem(location)
    return fs.open(path, "rb")


def read_text(location: str) -> str:
    with open_binary(location) as stream:
        return stream.read().decode("utf-8")


def make_dirs(location: str) -> None:
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)


def delete_dir(location: str) -> None:
    fs, path = resolve(location)
    if fs.get_file_info(path).type != pafs.FileType.NotFound:
        fs.delete_dir(path)


def write_bytes(location: str, data: bytes) -> None:
    fs, path = resolve(location)
    fs.create_dir(parent(path), recursive=True)
    with fs.open_output_stream(path) as out:
        out.write(data)


def write_text(location: str, text: str) -> None:
    write_bytes(location, text.encode("utf-8"))


def write_json(location: str, obj: Any) -> None:
    write_text(location, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


# --- whole directories ------------------------------------------------------------------------------


def upload_dir(local: str, location: str) -> None:
    """Copy a local directory to `location` (a plain copy when it is a local path)."""
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(local, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def local_dir(location: str) -> str:
    """A local directory holding `location`'s files, for libraries that read only local paths.

    A local path (or a hub name) comes back as it is, a file:// URI as its path; any other URI is copied
    once into a cache under the temp directory, keyed by the URI, so the actors of one node share a copy.
    """
    if is_local(location):
        return os.path.expanduser(location.split("://", 1)[-1])
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
