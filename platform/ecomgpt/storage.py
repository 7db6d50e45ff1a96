"""Files and directories at any location: a local path or a URI (file://, s3://, gs://, memory://, ...).

The one owner of file I/O. A location is a local path or a URI; `file://` and `local://` URIs name local
files. Its filesystem is pyarrow's own for local files and for the schemes pyarrow serves natively (s3, gs,
hdfs, abfs), fsspec's driver for any other scheme. `filesystem` gives it through fsspec's interface (globs,
listings, reads), `resolve` through pyarrow's (datasets, copies, output streams).

Every location a user gives is made absolute on the driver before it is shipped to Ray tasks, actors or
workers: they run in other working directories (Ray Train's workers in their trial directory).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs

from ecomgpt.errors import UserError

LOCAL_SCHEMES = ("file", "local")
ARROW_SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss")
GLOB_CHARS = "*?["
# Bytes one read of a remote file fetches: a line-by-line reader costs one request per block, not per
# line (an object store answers each request in milliseconds, whatever its size up to megabytes).
READ_BLOCK = 8 << 20
LOCAL_BUFFER = 1 << 20
# Tries of each S3 request, with exponential back-off: an object store away for up to about half a minute
# (a restart, a throttling burst) is waited for; an unreachable endpoint fails within about a minute.
S3_ATTEMPTS = 8
# Files a directory listing never yields: hidden files, Spark/Hadoop markers, the run manifest.
_SKIPPED_NAMES = {"manifest.json", "PROVENANCE.md", "README.md"}


class StorageError(UserError, OSError):
    """A location could not be reached or read (refused credentials, an unreachable endpoint, a store that
    stayed away through every retry): the message names the location, never a credential."""


_F = TypeVar("_F", bound=Callable[..., Any])
# Errors that say what is (not) at the location: callers handle them, as for local files.
_PLAIN_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, StorageError)


def _names_location(function: _F) -> _F:
    """A remote location's other I/O errors become one StorageError naming the location and what to check."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except _PLAIN_ERRORS:
            raise
        except OSError as exc:
            location = str(args[-1] if function.__name__ in ("upload_dir", "replace_dir") else args[0])
            if is_local(location):
                raise
            raise StorageError(f"{location}: {exc}{_hint(str(exc))}") from None

    return wrapper  # type: ignore[return-value]


def _hint(message: str) -> str:
    if "ACCESS_DENIED" in message or "SignatureDoesNotMatch" in message or "InvalidAccessKeyId" in message:
        return " (check the credentials this process and the Ray nodes get: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"
    if "NETWORK_CONNECTION" in message or "curlCode" in message:
        return (
            f" (the store did not answer through {S3_ATTEMPTS} tries: check AWS_ENDPOINT_URL and that the server is up)"
        )
    return ""


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
    arrow, stripped_base = _arrow_from_uri(base)
    return ArrowFSWrapper(arrow), stripped_base + location[len(base) :]


def _arrow_from_uri(location: str) -> tuple[pafs.FileSystem, str]:
    """pyarrow's filesystem of a URI; S3 with `S3_ATTEMPTS` tries of each request (pyarrow's default of 3
    gives up within a second of a store that is briefly away)."""
    arrow, path = pafs.FileSystem.from_uri(location)
    if isinstance(arrow, pafs.S3FileSystem):
        _, (options,) = arrow.__reduce__()  # the options from_uri read (region, endpoint, ...): no secrets
        arrow = pafs.S3FileSystem(**options, retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=S3_ATTEMPTS))
    return arrow, path


def resolve(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of a location and the path within it: the same filesystem as `filesystem`."""
    location = normalize(location)
    if is_local(location):
        return pafs.LocalFileSystem(), location
    if scheme(location) in ARROW_SCHEMES:
        return _arrow_from_uri(location)
    fs, path = fsspec.core.url_to_fs(location)
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), path


def spelled_like(stripped: str, like: str) -> str:
    """A path on `like`'s filesystem as pyarrow gives it (`bucket/key`, no scheme), spelled as a location
    again (`s3://bucket/key`)."""
    if is_local(like):
        return stripped
    name = scheme(like)
    return f"{name}://{stripped.lstrip('/') if name in ARROW_SCHEMES else stripped}"


# --- queries ----------------------------------------------------------------------------------------


@_names_location
def exists(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.exists(path)


@_names_location
def is_dir(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.isdir(path)


@_names_location
def file_size(location: str) -> int:
    fs, path = filesystem(location)
    return int(fs.size(path))


@_names_location
def glob(pattern: str) -> list[str]:
    """The files matching a glob pattern, as absolute paths or URIs, sorted."""
    fs, path = filesystem(pattern)
    return sorted(spelled_like(match, pattern) for match in fs.glob(path) if not fs.isdir(match))


@_names_location
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


@_names_location
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
    return not _relative_files(fs, path)


# --- reads and writes -------------------------------------------------------------------------------


class _RemoteRaw(io.RawIOBase):
    """A pyarrow random-access file as a raw stream, for `io.BufferedReader`: every read the buffer makes
    is one ranged request; `readall` one request for the rest of the file (RawIOBase's own would read it
    8 KiB at a time)."""

    def __init__(self, native: pa.NativeFile) -> None:
        self._native = native

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._native.readinto(buffer)

    def readall(self) -> bytes:
        return self._native.read()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._native.seek(offset, whence)

    def tell(self) -> int:
        return self._native.tell()

    def close(self) -> None:
        if not self.closed:
            self._native.close()
        super().close()


@_names_location
def open_binary(location: str) -> IO[bytes]:
    """A seekable, buffered binary reader of a file: iterating its lines or reading a range fetches blocks
    of `READ_BLOCK` bytes from a remote filesystem, never a request per line."""
    location = normalize(location)
    if is_local(location):
        return open(location, "rb", buffering=LOCAL_BUFFER)
    return io.BufferedReader(_RemoteRaw(open_random_access(location)), buffer_size=READ_BLOCK)


@_names_location
def open_random_access(location: str) -> pa.NativeFile:
    """pyarrow's own random-access file, for columnar readers (Parquet) that fetch the ranges they need."""
    fs, path = resolve(location)
    return fs.open_input_file(path)


@_names_location
def read_text(location: str) -> str:
    with open_binary(location) as stream:
        return stream.read().decode("utf-8")


def read_json(location: str) -> Any:
    """A JSON file the platform wrote (`write_json`)."""
    return json.loads(read_text(location))


@_names_location
def make_dirs(location: str) -> None:
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)


@_names_location
def delete_dir(location: str) -> None:
    fs, path = resolve(location)
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return
    try:
        fs.delete_dir(path)
    except FileNotFoundError:
        if _relative_files(fs, path):  # a directory entry an object store keeps with nothing under it is gone
            raise


@_names_location
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


# --- whole directories ------------------------------------------------------------------------------


@_names_location
def upload_dir(local: str, location: str) -> None:
    """Copy a local directory to `location` (a plain copy when it is a local path)."""
    fs, path = resolve(location)
    fs.create_dir(path, recursive=True)
    pafs.copy_files(local, path, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=fs)


def inside(location: str, directory: str) -> bool:
    """Whether `location` (a glob is taken at its fixed prefix) is `directory` or lies under it."""
    location, directory = normalize(location), normalize(directory)
    if has_glob(location):
        location = location[: min(location.find(char) for char in GLOB_CHARS if char in location)]
    if is_local(location) != is_local(directory):
        return False
    if is_local(directory):
        location, directory = os.path.realpath(location), os.path.realpath(directory)
    directory = directory.rstrip("/")
    return location.rstrip("/") == directory or location.startswith(directory + "/")


def manifest_stage(directory: str) -> str | None:
    """The `stage` named by the directory's manifest.json; None without a readable one."""
    location = join(directory, "manifest.json")
    if not exists(location):
        return None
    try:
        manifest = json.loads(read_text(location))
    except (ValueError, UnicodeDecodeError):
        return None
    return manifest.get("stage") if isinstance(manifest, dict) else None


def staging_dir(target: str) -> str:
    """Where a stage builds `target` before `replace_dir` puts it in place: a hidden sibling, so that the
    rename stays on one filesystem and no listing of the parent yields it."""
    return join(parent(target), f".{basename(target)}.staging")


# What marks a directory complete (a stage's manifest, a checkpoint's or an adapter's config): on an object
# store these are deleted first and copied last, so a replacement cut short never looks complete.
COMPLETION_FILES = ("manifest.json", "config.json", "adapter_config.json")
REPLACING_FILE = ".replacing.json"  # in a target while an object-store replacement is under way


@_names_location
def replace_dir(staging: str, target: str) -> None:
    """Put the finished directory `staging` (a local directory, or one beside `target`) at `target`,
    replacing what was there. Locally two renames: a reader sees the old directory or the new one.

    Object stores have no rename: `target` gets a marker naming the stage being put in place
    (`interrupted_stage` reads it), loses its completion files, then the rest of its files; the staged files
    are copied (server-side when both are in the store) with the completion files last; then the marker and
    `staging` go. A replacement cut short leaves a directory without its completion files (no stage reads it
    as finished) whose marker lets that stage's re-run replace it.
    """
    if is_local(staging) and is_local(target):
        source, destination = normalize(staging), normalize(target)
        retired = None
        if os.path.lexists(destination):
            retired = f"{parent(destination)}/.{basename(destination)}.old-{uuid.uuid4().hex[:12]}"
            os.rename(destination, retired)
        os.rename(source, destination)
        if retired is not None:
            shutil.rmtree(retired)
        return
    fs, path = resolve(target)
    write_json(join(target, REPLACING_FILE), {"stage": manifest_stage(staging)})
    for name in _last_first(_relative_files(fs, path)):
        if name != REPLACING_FILE:
            fs.delete_file(join(path, name))
    source_fs, source = resolve(staging)
    same_store = not is_local(staging) and scheme(staging) == scheme(target)
    for name in reversed(_last_first(_relative_files(source_fs, source))):
        if same_store:
            fs.copy_file(join(source, name), join(path, name))
        else:
            pafs.copy_files(
                join(source, name),
                join(path, name),
                source_filesystem=source_fs,
                destination_filesystem=fs,
                chunk_size=READ_BLOCK,
            )
    fs.delete_file(join(path, REPLACING_FILE))
    delete_dir(staging)


def _relative_files(fs: pafs.FileSystem, path: str) -> list[str]:
    """The files under `path`, relative to it; none when it does not exist."""
    found = fs.get_file_info(pafs.FileSelector(path, recursive=True, allow_not_found=True))
    return sorted(info.path[len(path.rstrip("/")) + 1 :] for info in found if info.type == pafs.FileType.File)


def _last_first(names: list[str]) -> list[str]:
    """`names` with the top-level completion files first."""
    return sorted(names, key=lambda name: name not in COMPLETION_FILES)


def interrupted_stage(directory: str) -> str | None:
    """The stage whose replacement of `directory` on an object store was cut short (None if none was)."""
    marker = join(directory, REPLACING_FILE)
    if not exists(marker):
        return None
    try:
        stage = json.loads(read_text(marker)).get("stage")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    return stage if isinstance(stage, str) else None


@_names_location
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


# --- local copies of URIs ---------------------------------------------------------------------------

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


@_names_location
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
