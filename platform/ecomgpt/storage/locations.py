"""Locations: pure string functions of local paths and URIs (no filesystem is asked, except `inside`, which
resolves local symbolic links)."""

from __future__ import annotations

import os

LOCAL_SCHEMES = ("file", "local")
ARROW_SCHEMES = ("s3", "gs", "gcs", "hdfs", "viewfs", "abfs", "abfss")
GLOB_CHARS = "*?["


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


def spelled_like(stripped: str, like: str) -> str:
    """A path on `like`'s filesystem as pyarrow gives it (`bucket/key`, no scheme), spelled as a location
    again (`s3://bucket/key`)."""
    if is_local(like):
        return stripped
    name = scheme(like)
    return f"{name}://{stripped.lstrip('/') if name in ARROW_SCHEMES else stripped}"


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
