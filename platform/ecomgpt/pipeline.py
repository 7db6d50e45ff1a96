"""`ecomgpt pipeline`: synth (when configured) -> generate, in one run directory.

A stage whose manifest shows it already ran with the same config is skipped, so a re-run resumes.
"""

from __future__ import annotations

import json

from ecomgpt import storage
from ecomgpt.pipeline_config import PipelineConfig


def _read_manifest(stage_dir: str) -> dict | None:
    uri = storage.join(stage_dir, "manifest.json")
    return json.loads(storage.read_text(uri)) if storage.exists(uri) else None


def _already_done(stage_dir: str, config: dict) -> bool:
    manifest = _read_manifest(stage_dir)
    return manifest is not None and manifest.get("config") == config


def run_pipeline(cfg: PipelineConfig) -> dict:
    from ecomgpt.data.pipeline import plan_generate, run_generate
    from ecomgpt.data.summary import summary_table
    from ecomgpt.runtime import ray_session

    generate_cfg = cfg.generate
    fresh_input = False
    if cfg.synth is not None:
        from ecomgpt.records.synth import write_synthetic

        records_dir = storage.join(cfg.output, "records")
        s = cfg.synth
        done = _read_manifest(records_dir) or {}
        wanted = {"n": s.records, "seed": s.seed, "format": s.format, "shard_records": s.shard_records}
        if all(done.get(key) == value for key, value in wanted.items()):
            print(f"[synth] up to date: {records_dir}")
        else:
            storage.delete_dir(records_dir)
            print(f"[synth] {s.records:,} records -> {records_dir}")
            write_synthetic(s.records, s.seed, records_dir, s.format, s.shard_records)
            fresh_input = True
        generate_cfg = generate_cfg.model_copy(update={"inputs": [records_dir, *generate_cfg.inputs]})

    data_dir = storage.join(cfg.output, "data")
    if not fresh_input and _already_done(data_dir, generate_cfg.model_dump(mode="json")):
        print(f"[generate] up to date: {data_dir}")
        manifest = _read_manifest(data_dir)
    else:
        print(f"[generate] -> {data_dir}")
        with ray_session(cfg.address):
            plan = plan_generate(generate_cfg, data_dir, overwrite=True)
            manifest = run_generate(plan)
    print(summary_table(manifest))
    print(f"\ninstruction data: {data_dir}")
    return manifest
