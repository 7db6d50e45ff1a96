"""Run manifests: the `manifest.json` every stage writes last into its output directory.

Its name is `storage.MANIFEST_FILE` and `storage.manifest_stage` reads its `stage`: the storage layer needs
both (listings skip the manifest, a directory replacement copies it last and records its stage). The stages'
common keys, writing and reading are here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ecomgpt import storage
from ecomgpt.versions import versions


def timestamp() -> str:
    """Local time with its UTC offset, as a manifest's `created`."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def stage_manifest(
    stage: str,
    config: BaseModel,
    inputs: dict[str, Any],
    fields: dict[str, Any],
    *,
    output: str | None = None,
    resumed: bool | None = None,
    seed: int | None = None,
    packages: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A stage's manifest, keys in this order: `stage`, `created`, `output`, `resumed`, `inputs`, `config` (as
    JSON), `seed`, then `fields`' own, then `versions` of ecomgpt, Python, Ray, the OS and `packages`.
    `output`, `resumed`, `seed` and `versions` only when given."""
    head: dict[str, Any] = {"stage": stage, "created": timestamp()}
    if output is not None:
        head["output"] = output
    if resumed is not None:
        head["resumed"] = resumed
    head |= {"inputs": inputs, "config": config.model_dump(mode="json")}
    if seed is not None:
        head["seed"] = seed
    head |= fields
    if packages is not None:
        head["versions"] = versions(*packages)
    return head


def manifest_path(directory: str) -> str:
    return storage.join(directory, storage.MANIFEST_FILE)


def write_manifest(directory: str, manifest: dict[str, Any]) -> str:
    """Write `directory`'s manifest (atomically: the old one or the new, never half); returns its location."""
    location = manifest_path(directory)
    storage.write_json(location, manifest)
    return location


def read_manifest(directory: str) -> dict[str, Any]:
    """`directory`'s manifest (an error without one: `storage.manifest_stage` asks whether there is one)."""
    return storage.read_json(manifest_path(directory))
