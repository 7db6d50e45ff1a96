"""Replacing a directory whole: built aside (`staging_dir`), then put in place (`replace_dir`), so a reader
never takes a replacement cut short for a finished directory; and the `stage` a directory's manifest names."""

from __future__ import annotations

import json
import os
import shutil
import uuid

import pyarrow.fs as pafs

from ecomgpt.storage.files import MANIFEST_FILE, delete_dir, exists, read_text, relative_files, resolve, write_json
from ecomgpt.storage.locations import basename, is_local, join, normalize, parent, scheme
from ecomgpt.storage.remote import READ_BLOCK, names_location


def manifest_stage(directory: str) -> str | None:
    """The `stage` named by the directory's manifest; None without a readable one."""
    location = join(directory, MANIFEST_FILE)
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
COMPLETION_FILES = (MANIFEST_FILE, "config.json", "adapter_config.json")
REPLACING_FILE = ".replacing.json"  # in a target while an object-store replacement is under way


@names_location
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
    for name in _last_first(relative_files(fs, path)):
        if name != REPLACING_FILE:
            fs.delete_file(join(path, name))
    source_fs, source = resolve(staging)
    same_store = not is_local(staging) and scheme(staging) == scheme(target)
    for name in reversed(_last_first(relative_files(source_fs, source))):
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
