"""Filesystems, queries, reads and writes at any location (a local path or a URI); see `ecomgpt.storage`."""

from __future__ import annotations

import io
import json
import uuid
from typing import IO, Any

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs

from ecomgpt.storage.locations import (
    ARROW_SCHEMES,
    GLOB_CHARS,
    basename,
    has_glob,
    is_local,
    join,
    normalize,
    parent,
    scheme,
    spelled_like,
)
from ecomgpt.storage.remote import READ_BLOCK, RemoteRaw, arrow_from_uri, names_location

LOCAL_BUFFER = 1 << 20
# Every run directory's manifest, written last (`ecomgpt.manifests` builds and writes it).
MANIFEST_FILE = "manifest.json"
# Files a directory listing never yields: hidden files, Spark/Hadoop markers, the run manifest.
_SKIPPED_NAMES = {MANIFEST_FILE, "PROVENANCE.md", "README.md"}


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
    arrow, stripped_base = arrow_from_uri(base)
    return ArrowFSWrapper(arrow), stripped_base + location[len(base) :]


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of a location and the path within it: the same filesystem as `filesystem`."""
    location = normalize(location)
    if is_local(location):
        return pafs.LocalFileSystem(), location
    if scheme(location) in ARROW_SCHEMES:
        return arrow_from_uri(location)
    fs, path = fsspec.core.url_to_fs(location)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


# --- queries ----------------------------------------------------------------------------------------


@names_location
def exists(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.exists(path)


@names_location
def is_dir(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.isdir(path)


@names_location
def file_size(location: str) -> int:
    fs, path = filesystem(location)
    return int(fs.size(path))


@names_location
def glob(pattern: str) -> list[str]:
    """The files matching a glob pattern, as absolute paths or URIs, sorted."""
    fs, path = filesystem(pattern)
    return sorted(spelled_like(match, pattern) for match in fs.glob(path) if not fs.isdir(match))


@names_location
def list_files(directory: str) -> list[str]:
    """All files under a directory (recursive), skipping hidden, `_`-prefixed and bookkeeping files."""
    fs, path = filesystem(directory)
    out = []
    for found in fs.find(path):
        relative = found[len(path.rstrip("/")) :].lstrip("/")
        parts = relative.split("/")
        if any(part.startswith((".", "_")) for part in parts) or parts[-1] in _SKIPPED_NAMES:
            continue
        out.append(spelled_like(found, directory))
    return sorted(out)


@names_location
def is_empty_dir(location: str) -> bool:
    """True when the location does not exist or holds nothing. On an object store, where directories are
    only prefixes (some stores keep a directory entry after its last object goes), it holds nothing when no
    object lies under it."""
    fs, path = resolve(location)
    info = fs.get_file_info(path)
    if info.type == pafs.FileType.NotFound:
        return True
    if info.type != pafs.FileType.Directory:
        raise NotADirectoryError(f"{location} exists and is not a directory")
    if is_local(location):
        return not fs.get_file_info(pafs.FileSelector(path, recursive=False))
    return not relative_files(fs, path)


def relative_files(fs: pafs.FileSystem, path: str) -> list[str]:
    """The files under `path`, relative to it; none when it does not exist."""
    found = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    return sorted(info.path[len(path.rstrip("/")) + 1 :] for info in found if info.type == pafs.FileType.File)


@names_location
def fingerprint(location: str) -> list[list]:
    """What a location holds, cheaply: each file under it (or matching its glob) with its size and
    modification time, sorted; a replaced or edited file changes it, a moved run directory does not."""
    fs, path = filesystem(location)
    if has_glob(path):
        base = path[: path.rfind("/", 0, min(path.find(char) for char in GLOB_CHARS if char in path))]
        found = {match: fs.info(match) for match in fs.glob(path)}
    elif fs.isdir(path):
        base, found = path, fs.find(path, detail=True)
    elif fs.exists(path):
        base, found = parent(path), {path: fs.info(path)}
    else:
        return []
    rows = []
    for name, info in found.items():
        if info.get("type") == "directory":
            continue
        relative = name[len(base.rstrip("/")) :].lstrip("/")
        modified = info.get("mtime") or info.get("LastModified") or info.get("created") or ""
        if hasattr(modified, "timestamp"):
            modified = modified.timestamp()
        rows.append([relative, int(info.get("size") or 0), str(info.get("ETag") or modified)])
    return sorted(rows)


# --- reads and writes -------------------------------------------------------------------------------


@names_location
def open_binary(location: str) -> IO[bytes]:
    """A seekable, buffered binary reader of a file: iterating its lines or reading a range fetches blocks
    of `READ_BLOCK` bytes from a remote filesystem, never a request per line."""
    location = normalize(location)
    if is_local(location):
        return open(location, "rb", buffering=LOCAL_BUFFER)
    return io.BufferedReader(RemoteRaw(open_random_access(location)), buffer_size=READ_BLOCK)


@names_location
def open_random_access(location: str) -> pa.NativeFile:
    """pyarrow's own random-access file, for columnar readers (Parquet) that fetch the ranges they need."""
    fs, path = resolve(location)
    return fs.open_input_file(path)


@names_location
def read_text(location: str) -> str:
    with open_binary(location) as stream:
        return stream.read().decode("utf-8")


def read_json(location: str) -> Any:
    """A JSON file the platform wrote (`write_json`)."""
    return json.loads(read_text(location))


@names_location
def make_dirs(location: str) -> None:
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)


@names_location
def delete_dir(location: str) -> None:
    fs, path = resolve(location)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return
    try:
        fs.delete_dir(path)
    except FileNotFoundError:
        if relative_files(fs, path):  # a directory entry an object store keeps with nothing under it is gone
            raise


@names_location
def write_bytes(location: str, data: bytes) -> None:
    """Write a whole file atomically: into a temporary file beside it, then renamed over it, so that a crash
    leaves the old file or the new one, never a truncated one."""
    fs, path = resolve(location)
    fs.create_dir(parent(path), recursive=True)
    temporary = join(parent(path), f".{basename(path)}.tmp-{uuid.uuid4().hex[:12]}")
    try:
        with fs.open_output_stream(temporary) as out:
            out.write(data)
        fs.move(temporary, path)
    except BaseException:
        if fs.get_file_info(temporary).type != pafs.FileType.NotFound:
            fs.delete_file(temporary)
        raise


def write_text(location: str, text: str) -> None:
    write_bytes(location, text.encode("utf-8"))


def write_json(location: str, obj: Any) -> None:
    write_text(location, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


@names_location
def upload_dir(local: str, location: str) -> None:
    """Copy a local directory to `location` (a plain copy when it is a local path)."""
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(local, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)
