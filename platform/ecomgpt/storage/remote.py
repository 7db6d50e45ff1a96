"""Object stores: S3 requests with retries, remote reads in large blocks, and errors that name the location."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.fs as pafs

from ecomgpt.errors import UserError
from ecomgpt.storage.locations import is_local

# Bytes one read of a remote file fetches: a line-by-line reader costs one request per block, not per
# line (an object store answers each request in milliseconds, whatever its size up to megabytes).
READ_BLOCK = 8 << 20
# Tries of each S3 request, with exponential back-off: an object store away for up to about half a minute
# (a restart, a throttling burst) is waited for; an unreachable endpoint fails within about a minute.
S3_ATTEMPTS = 8


class StorageError(UserError, OSError):
    """A location could not be reached or read (refused credentials, an unreachable endpoint, a store that
    stayed away through every retry): the message names the location, never a credential."""


_F = TypeVar("_F", bound=Callable[..., Any])
# Errors that say what is (not) at the location: callers handle them, as for local files.
_PLAIN_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, StorageError)


def names_location(function: _F) -> _F:
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


def arrow_from_uri(location: str) -> tuple[pafs.FileSystem, str]:
    """pyarrow's filesystem of a URI; S3 with `S3_ATTEMPTS` tries of each request (pyarrow's default of 3
    gives up within a second of a store that is briefly away)."""
    arrow, path = pafs.FileSystem.from_uri(location)
    if isinstance(arrow, pafs.S3FileSystem):
        _, (options,) = arrow.__reduce__()  # the options from_uri read (region, endpoint, ...): no secrets
        arrow = pafs.S3FileSystem(**options, retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=S3_ATTEMPTS))
    return arrow, path


class RemoteRaw(io.RawIOBase):
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
