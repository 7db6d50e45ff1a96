"""The pipeline's run bookkeeping: stage directories, stage keys, `pipeline.json`, and running or skipping a
stage by its key (`ecomgpt.pipeline` runs the stages)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.manifests import manifest_path, timestamp
from ecomgpt.pipeline_config import PipelineConfig

RECORD = "pipeline.json"
STAGE_DIRS = {
    "synth": "records",
    "generate": "data",
    "train": "train",
    "evaluate_base": "eval-base",
    "evaluate": "eval",
    "sweep": "sweep",
}


class ForeignOutputError(UserError, FileExistsError):
    """A stage directory that holds files the pipeline did not write: it is never replaced."""


def stage_key(stage: str, config: Any, upstream: list[str]) -> str:
    """A stable hash of what a stage's outputs depend on: its resolved config and its inputs' keys."""
    text = json.dumps({"stage": stage, "config": config, "upstream": upstream}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def contents(locations: list[str | None]) -> dict[str, list]:
    """What the given inputs hold (`storage.fingerprint`: each file's size and modification time), for a
    stage key: an edited config or a replaced raw file changes the key. Absent inputs hold nothing."""
    return {location: storage.fingerprint(location) for location in locations if location}


class RunRecord:
    """`<output>/pipeline.json`: per stage its key, status (started/done) and wall time."""

    def __init__(self, output: str):
        self.uri = storage.join(output, RECORD)
        self.stages: dict[str, dict] = storage.read_json(self.uri)["stages"] if storage.exists(self.uri) else {}

    def status(self, stage: str, key: str) -> str | None:
        entry = self.stages.get(stage)
        return entry["status"] if entry and entry["key"] == key else None

    def mark(self, stage: str, key: str, status: str, wall_s: float | None = None) -> None:
        self.stages[stage] = {
            "key": key,
            "status": status,
            "wall_s": wall_s,
            "at": timestamp(),
        }
        storage.write_json(self.uri, {"stages": self.stages})


class Stages:
    """Runs or skips each stage; holds the run record, the Ray session (started on first need) and timings."""

    def __init__(self, cfg: PipelineConfig, stack: ExitStack):
        self.cfg = cfg
        self.record = RunRecord(cfg.output)
        self.stack = stack
        self.ray_started = False
        self.data_key = ""
        self.walls: dict[str, tuple[str, float]] = {}

    def dir(self, stage: str) -> str:
        return storage.join(self.cfg.output, STAGE_DIRS[stage])

    def ray(self) -> None:
        """Start or connect to Ray once, only when a stage actually runs (a finished run needs none)."""
        if not self.ray_started:
            from ecomgpt.runtime import ray_session

            self.stack.enter_context(ray_session(self.cfg.address))
            self.ray_started = True

    def run(self, stage: str, key: str, work: Callable[[bool], Any], load: Callable[[], Any]) -> Any:
        """`work(resume)` unless the stage is done with this key; `load()` reads a finished stage's result."""
        where = self.dir(stage)
        status = self.record.status(stage, key)
        if status == "done" and storage.exists(manifest_path(where)):
            print(f"[{stage}] up to date: {where}", flush=True)
            self.walls[stage] = ("skipped", 0.0)
            return load()
        if stage not in self.record.stages and not storage.is_empty_dir(where):
            # A stage replaces its directory: only one this pipeline wrote (recorded in pipeline.json).
            raise ForeignOutputError(
                f"[{stage}] {where} already holds files this pipeline did not write ({RECORD} records no "
                f"{stage!r} stage there); nothing was changed: choose another --output, or move them away"
            )
        resume = status == "started"
        print(f"[{stage}] {'resuming' if resume else 'running'} -> {where}", flush=True)
        self.record.mark(stage, key, "started")
        started = time.perf_counter()
        result = work(resume)
        wall = round(time.perf_counter() - started, 1)
        self.record.mark(stage, key, "done", wall)
        self.walls[stage] = ("ran", wall)
        print(f"[{stage}] done in {wall:.1f} s", flush=True)
        return result
