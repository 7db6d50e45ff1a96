"""`ecomgpt <stage>`: thin command-line entrypoints that read top to bottom and call the library.

    ecomgpt synth --records 20000 --seed 0 --out runs/records
    ecomgpt generate --input runs/records --output runs/data --samples-per-task 1000
    ecomgpt evaluate --model runs/local/train/model --heldout-dir ../shared/data/heldout --output runs/eval
    ecomgpt train --config configs/train/tiny.yaml --data runs/data --output runs/train --set max_steps=300
    ecomgpt sweep --config configs/sweep/smoke.yaml --data runs/local/data --output runs/sweep
    ecomgpt findings --config configs/findings/laptop.yaml --output runs/findings [--resume]
    ecomgpt pipeline --config configs/local.yaml --set train.overrides.max_steps=300
    ecomgpt tasks
    ecomgpt serve --model tiny=runs/local/train/checkpoint [--config configs/serve/local.yaml] [--port 8000]

Every command with a config builds it one way (`ecomgpt.config.load_config`): the YAML file, then the
command's shortcut flags (`--max-steps 300` is `--set max_steps=300`), then each `--set KEY=VALUE`.
`jobs/<stage>.py` run these same commands (`run_stage`).
"""

from __future__ import annotations

import argparse
import sys
import time

from ecomgpt.errors import user_error_in


def _synth(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.pipeline_config import SynthConfig
    from ecomgpt.records.synth import write_synthetic

    shortcuts = [
        ("records", args.records),
        ("seed", args.seed),
        ("format", args.format),
        ("shard_records", args.shard_records),
    ]
    cfg = load_config(SynthConfig, None, shortcuts, args.set)
    shards = write_synthetic(cfg.records, cfg.seed, args.out, cfg.format, cfg.shard_records)
    print(f"wrote {cfg.records:,} records in {len(shards)} file(s) under {args.out}")


def _generate(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.generate.config import GenerateConfig
    from ecomgpt.generate.plan import plan_generate
    from ecomgpt.generate.run import run_generate
    from ecomgpt.generate.summary import summary_table
    from ecomgpt.manifests import manifest_path
    from ecomgpt.runtime import ray_session

    shortcuts = [
        ("inputs", args.input),
        ("heldout_dir", args.heldout_dir),
        ("samples_per_task", args.samples_per_task),
        ("seed", args.seed),
        ("num_blocks", args.num_blocks),
    ]
    cfg = load_config(GenerateConfig, args.config, shortcuts, args.set)
    with ray_session(args.address, dashboard=False):
        plan = plan_generate(cfg, args.output, overwrite=args.overwrite)
        manifest = run_generate(plan)
    print(summary_table(manifest))
    print(f"\ninstruction data: {args.output}   manifest: {manifest_path(args.output)}")


def _train(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.runtime import ray_session
    from ecomgpt.train.config import TrainConfig
    from ecomgpt.train.run import run_train

    cfg = load_config(
        TrainConfig, args.config, [("max_steps", args.max_steps), ("num_workers", args.num_workers)], args.set
    )
    with ray_session(args.address):
        result = run_train(cfg, args.data, args.output, resume=args.resume)
    print(f"\ntrained {result['steps']} steps, final loss {result['final_loss']:.4f}")
    print(f"model: {result['model_path']}   manifest: {result['manifest_path']}")


def _pipeline(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.pipeline import run_pipeline
    from ecomgpt.pipeline_config import PipelineConfig

    cfg = load_config(PipelineConfig, args.config, [("output", args.output), ("address", args.address)], args.set)
    run_pipeline(cfg)


def _evaluate(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.evaluate.config import EvaluateConfig
    from ecomgpt.evaluate.report import markdown_table
    from ecomgpt.evaluate.run import run_evaluate
    from ecomgpt.runtime import ray_session

    shortcuts = [
        ("model", args.model),
        ("predictions", args.predictions),
        ("heldout_dir", args.heldout_dir),
        ("output", args.output),
        ("tasks", args.tasks),
        ("limit", args.limit),
        ("generation.batch_size", args.batch_size),
        ("generation.num_beams", args.num_beams),
    ]
    cfg = load_config(EvaluateConfig, args.config, shortcuts, args.set)
    if cfg.model is not None:
        with ray_session(args.address):
            metrics = run_evaluate(cfg)
    else:
        metrics = run_evaluate(cfg)
    print(markdown_table(metrics))
    print(f"predictions, metrics.json, metrics.md and charts: {cfg.output}")


def _sweep(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.runtime import ray_session
    from ecomgpt.sweep.config import SweepConfig
    from ecomgpt.sweep.results import summary_markdown, write_results
    from ecomgpt.sweep.run import plan_sweep, run_sweep

    cfg = load_config(SweepConfig, args.config, [("evaluate.heldout_dir", args.heldout_dir)], args.set)
    started = time.perf_counter()
    plan = plan_sweep(cfg, args.data, args.output, resume=args.resume)
    with ray_session(args.address):
        rows = run_sweep(plan)
    wall = time.perf_counter() - started
    fit = write_results(args.output, rows, cfg.metric, wall)
    print(summary_markdown(rows, fit, wall))
    print(f"results.csv, results.json, fit.json, summary.md and plots: {args.output}")


def _findings(args: argparse.Namespace) -> None:
    from ecomgpt.config import load_config
    from ecomgpt.findings.config import FindingsConfig
    from ecomgpt.findings.report import markdown
    from ecomgpt.findings.run import run_findings

    cfg = load_config(FindingsConfig, args.config, [("heldout_dir", args.heldout_dir)], args.set)
    report = run_findings(cfg, args.output, resume=args.resume, address=args.address)
    print(markdown(report))
    print(f"findings.json, findings.md and plots: {args.output}")


def _tasks(args: argparse.Namespace) -> None:
    from ecomgpt.tasks.registry import all_tasks

    for spec in all_tasks(label_kind=None):
        kind = "atomic" if spec.atomic else "original"
        print(
            f"{spec.name:45s} {spec.data_type:10s} {spec.paradigm:18s} {','.join(spec.langs):6s} {kind:8s} "
            f"{spec.label_kind}"
        )


def _serve(args: argparse.Namespace) -> None:
    from ecomgpt import storage
    from ecomgpt.serve.config import cli_config
    from ecomgpt.serve.run import deploy, serve_forever

    models = list(args.model or [])
    if args.output:
        models.append(f"{args.name}={storage.join(args.output, 'train', 'model')}")
    cfg, host, port = cli_config(args.config, models, args.host, args.port, args.set)
    if args.deploy:
        print(f"serving {', '.join(sorted(cfg.models))} at {deploy(cfg, host, port, args.address)}/v1")
    else:
        serve_forever(cfg, host, port, args.address)


def _common(p: argparse.ArgumentParser, *, address: bool = True) -> None:
    """The flags every command with a config shares: `--set`, and where Ray runs."""
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a config key by its dotted path, the value read as YAML, e.g. --set max_steps=300 "
        "(repeatable; applied after the other flags; an unknown key is an error)",
    )
    if address:
        p.add_argument("--address", help="Ray cluster address (default: RAY_ADDRESS or a local Ray)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecomgpt", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="write synthetic canonical records")
    p.add_argument("--records", type=int, required=True, help="number of records")
    p.add_argument("--seed", type=int, help="seed (default 0)")
    p.add_argument("--out", required=True, help="output directory (path or URI)")
    p.add_argument("--format", choices=("jsonl", "parquet"), help="file format (default jsonl)")
    p.add_argument("--shard-records", type=int, help="records per file (default 100,000)")
    _common(p, address=False)
    p.set_defaults(func=_synth)

    p = sub.add_parser("generate", help="raw records -> instruction data on Ray Data")
    p.add_argument("--config", help="generate config YAML (see configs/generate/)")
    p.add_argument("--input", action="append", help="file, directory or glob (repeatable)")
    p.add_argument("--output", required=True, help="output directory (path or URI)")
    p.add_argument("--heldout-dir", help="EcomGPT-layout held-out sets to decontaminate against")
    p.add_argument("--samples-per-task", type=int, help="cap of examples per task")
    p.add_argument("--seed", type=int)
    p.add_argument("--num-blocks", type=int, help="parallel read units")
    p.add_argument("--overwrite", action="store_true", help="replace the generate run the output directory holds")
    _common(p)
    p.set_defaults(func=_generate)

    p = sub.add_parser("train", help="fine-tune on instruction data with Ray Train + DeepSpeed")
    p.add_argument("--config", required=True, help="train config YAML (see configs/train/)")
    p.add_argument("--data", default="runs/local/data", help="output directory of `ecomgpt generate`")
    p.add_argument("--output", required=True, help="run directory (path or URI)")
    p.add_argument("--max-steps", type=int, help="optimizer steps (--set max_steps=N)")
    p.add_argument("--num-workers", type=int, help="training workers (--set num_workers=N)")
    p.add_argument("--resume", action="store_true", help="continue the run in --output from its last checkpoint")
    _common(p)
    p.set_defaults(func=_train)

    p = sub.add_parser("pipeline", help="run the configured stages end to end")
    p.add_argument("--config", required=True, help="pipeline config YAML, e.g. configs/local.yaml")
    p.add_argument("--output", help="run directory (--set output=DIR)")
    _common(p)
    p.set_defaults(func=_pipeline)

    p = sub.add_parser("evaluate", help="zero-shot held-out evaluation: Rouge-L and set F1")
    p.add_argument("--config", help="evaluate config YAML (see configs/evaluate/)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--model", help="Hugging Face causal LM directory or hub name to generate answers with")
    source.add_argument("--predictions", help="JSON lines {task, index, prediction} to score instead")
    p.add_argument("--heldout-dir", help="EcomGPT-layout held-out directory, or a generate run directory")
    p.add_argument("--tasks", nargs="+", help="only these task folder names")
    p.add_argument("--limit", type=int, help="only the first N instances of each task")
    p.add_argument("--output", help="directory (path or URI) for predictions, metrics and charts")
    p.add_argument("--batch-size", type=int, help="prompts per generate call (--set generation.batch_size=N)")
    p.add_argument("--num-beams", type=int, help="beam width (default 1: greedy)")
    _common(p)
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("serve", help="serve checkpoints over HTTP with Ray Serve (foreground, or --deploy)")
    p.add_argument("--model", action="append", metavar="NAME=PATH", help="served name and checkpoint (repeatable)")
    p.add_argument("--config", help="Serve config file, e.g. configs/serve/local.yaml (--set keys: its app's args)")
    p.add_argument("--output", help="a pipeline run directory (path or URI) whose train/model to serve as --name")
    p.add_argument("--name", default="ecomgpt", help="the served name of --output's model (default ecomgpt)")
    p.add_argument("--host", help="HTTP host (default: the config's, else 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (default: the config's, else 8000)")
    p.add_argument(
        "--deploy",
        action="store_true",
        help="deploy onto the connected Ray and return; it serves until `serve shutdown`",
    )
    _common(p)
    p.set_defaults(func=_serve)

    p = sub.add_parser("sweep", help="scaling sweep over task count x samples per task with Ray Tune")
    p.add_argument("--config", required=True, help="sweep config YAML (see configs/sweep/)")
    p.add_argument("--data", required=True, help="a generate run directory (held_in/ and held_out/)")
    p.add_argument("--output", required=True, help="sweep directory (path or URI)")
    p.add_argument("--heldout-dir", help="held-out tasks to evaluate on (--set evaluate.heldout_dir=DIR)")
    p.add_argument("--resume", action="store_true", help="finish a sweep in --output without redoing finished trials")
    _common(p)
    p.set_defaults(func=_sweep)

    p = sub.add_parser("findings", help="the paper's findings measured: base vs tuned, atomic tasks, scaling curves")
    p.add_argument(
        "--config",
        default="configs/findings/laptop.yaml",
        help="findings config YAML (default configs/findings/laptop.yaml)",
    )
    p.add_argument("--output", required=True, help="findings directory (path or URI)")
    p.add_argument("--heldout-dir", help="held-out sets to evaluate on (--set heldout_dir=DIR)")
    p.add_argument("--resume", action="store_true", help="finish a findings run without redoing finished trials")
    _common(p)
    p.set_defaults(func=_findings)

    p = sub.add_parser("tasks", help="list the registered tasks")
    p.set_defaults(func=_tasks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except Exception as err:  # a UserError here or in a Ray worker is one message; anything else propagates
        found = user_error_in(err)
        if found is None:
            raise
        # From a Ray worker, its first line: Ray Data appends its own advice to the message.
        print(f"error: {found if found is err else str(found).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


def run_stage(stage: str, argv: list[str] | None = None, *flags: str) -> int:
    """`ecomgpt <stage> [flags] argv` (argv by default this process's arguments): the body of `jobs/<stage>.py`,
    which so take exactly the command's flags."""
    return main([stage, *flags, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
