"""`ecomgpt <stage>`: thin command-line entrypoints that read top to bottom and call the library.

    ecomgpt synth --records 20000 --seed 0 --out runs/records
    ecomgpt generate --input runs/records --output runs/data --samples-per-task 1000
    ecomgpt pipeline --config configs/local.yaml
    ecomgpt tasks
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt.errors import UserError


def _synth(args: argparse.Namespace) -> None:
    from ecomgpt.records.synth import write_synthetic

    shards = write_synthetic(args.records, args.seed, args.out, args.format, args.shard_records)
    print(f"wrote {args.records:,} records in {len(shards)} file(s) under {args.out}")


def _generate_config(args: argparse.Namespace):
    from ecomgpt.config import load_yaml, parse_model
    from ecomgpt.data.config import GenerateConfig

    data = load_yaml(args.config) if args.config else {}
    overrides = {
        "inputs": args.input or None,
        "heldout_dir": args.heldout_dir,
        "samples_per_task": args.samples_per_task,
        "seed": args.seed,
        "num_blocks": args.num_blocks,
    }
    data.update({key: value for key, value in overrides.items() if value is not None})
    return parse_model(GenerateConfig, data, args.config or "command line")


def _generate(args: argparse.Namespace) -> None:
    from ecomgpt.data.pipeline import plan_generate, run_generate
    from ecomgpt.data.summary import summary_table
    from ecomgpt.runtime import ray_session

    cfg = _generate_config(args)
    with ray_session(args.address):
        plan = plan_generate(cfg, args.output, overwrite=args.overwrite)
        manifest = run_generate(plan)
    print(summary_table(manifest))
    print(f"\ninstruction data: {args.output}   manifest: {args.output.rstrip('/')}/manifest.json")


def _pipeline(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_model
    from ecomgpt.pipeline import run_pipeline
    from ecomgpt.pipeline_config import PipelineConfig

    cfg = load_model(PipelineConfig, args.config)
    if args.output:
        cfg = cfg.model_copy(update={"output": args.output})
    if args.address:
        cfg = cfg.model_copy(update={"address": args.address})
    run_pipeline(cfg)


def _tasks(args: argparse.Namespace) -> None:
    from ecomgpt.tasks.registry import all_tasks

    for spec in all_tasks():
        kind = "atomic" if spec.atomic else "original"
        print(f"{spec.name:45s} {spec.data_type:10s} {spec.paradigm:18s} {','.join(spec.langs):6s} {kind}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecomgpt", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write synthetic canonical records")
    p.add_argument("--records", type=int, required=True, help="number of records")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output directory (path or URI)")
    p.add_argument("--format", choices=("jsonl", "parquet"), default="jsonl")
    p.add_argument("--shard-records", type=int, default=100_000, help="records per file")
    p.set_defaults(func=_synth)

    p = sub.add_parser("generate", help="raw records -> instruction data on Ray Data")
    p.add_argument("--config", help="generate config YAML (see configs/generate/)")
    p.add_argument("--input", action="append", help="file, directory or glob (repeatable)")
    p.add_argument("--output", required=True, help="output directory (path or URI)")
    p.add_argument("--heldout-dir", help="EcomGPT-layout held-out sets to decontaminate against")
    p.add_argument("--samples-per-task", type=int, help="cap of examples per task")
    p.add_argument("--seed", type=int)
    p.add_argument("--num-blocks", type=int, help="parallel read units")
    p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or a local Ray)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    p.set_defaults(func=_generate)

    p = sub.add_parser("pipeline", help="run the configured stages end to end")
    p.add_argument("--config", required=True, help="pipeline config YAML, e.g. configs/local.yaml")
    p.add_argument("--output", help="run directory (overrides the config)")
    p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or a local Ray)")
    p.set_defaults(func=_pipeline)

    p = sub.add_parser("tasks", help="list the registered tasks")
    p.set_defaults(func=_tasks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
