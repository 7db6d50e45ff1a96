"""Run manifests: the keys every stage's manifest opens with, in order, and the file they are written to."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel

from ecomgpt import manifests, storage


class _Config(BaseModel):
    seed: int = 3
    path: str = "a"


def test_the_head_keeps_its_order_and_only_the_keys_given():
    manifest = manifests.stage_manifest(
        "train",
        _Config(),
        {"data_dir": "d"},
        {"counts": {"step": 2}, "timings": {}},
        output="o",
        resumed=False,
        seed=3,
        packages=("pyarrow",),
    )
    assert list(manifest) == [
        "stage",
        "created",
        "output",
        "resumed",
        "inputs",
        "config",
        "seed",
        "counts",
        "timings",
        "versions",
    ]
    assert manifest["config"] == {"seed": 3, "path": "a"} and manifest["resumed"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", manifest["created"])
    assert {"ecomgpt", "python", "ray", "platform", "pyarrow"} <= set(manifest["versions"])
    bare = manifests.stage_manifest("sweep", _Config(), {}, {"fit": None})
    assert list(bare) == ["stage", "created", "inputs", "config", "fit"]


def test_write_then_read_in_the_run_directory(tmp_path):
    run = str(tmp_path / "run")
    manifest = {"stage": "evaluate", "name": "é"}
    location = manifests.write_manifest(run, manifest)
    assert location == manifests.manifest_path(run) == f"{run}/{storage.MANIFEST_FILE}"
    assert json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifests.read_manifest(run) == manifest and storage.manifest_stage(run) == "evaluate"
    assert storage.list_files(run) == []  # listings skip the manifest
