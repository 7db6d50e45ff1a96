"""Does bf16 training cost quality? The default run's model trained in fp32 and in bf16, paired by seed.

    .venv/bin/python benchmarks/precision_quality.py [--workdir /tmp/bench-precision] [--seeds 0,1,2] \
        [--steps 96] [--limit 12]

The data is the default run's (`configs/local.yaml`'s synth and generate stages, decontaminated against the
held-out sets); each seed trains `configs/train/smollm2-135m.yaml` twice, `deepspeed.precision` fp32 and bf16
(bf16 autocast over fp32 weights, as `auto` picks on a CPU with avx512_bf16 or amx_bf16), with the same
mixture and training seed; every model is scored zero-shot on the first `--limit` instances of each held-out
task, generating in the same dtype (`auto`), so only the training precision differs. bf16 − fp32 is the
findings' paired contrast (`ecomgpt.findings.stats.contrast`: seed and instance noise, a t interval), per
task and on the average over tasks. A finished run in the work directory is reused (the command resumes).

Prints one JSON line: per arm the average Rouge-L, per task and on average the difference bf16 − fp32 with
its interval and half-width, each training's tokens/s, and `met`: the average's interval holds 0 or lies above it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

from ecomgpt.cli import main as cli
from ecomgpt.findings.run import instance_scores
from ecomgpt.findings.stats import contrast, point_estimate, summary
from ecomgpt.runtime import ray_session
from ecomgpt.train.metrics import read_metrics

REPO = Path(__file__).resolve().parents[1]
TRAIN = REPO / "configs" / "train" / "smollm2-135m.yaml"
EVALUATE = REPO / "configs" / "evaluate" / "default.yaml"
HELDOUT = REPO.parent / "shared" / "data" / "heldout"
ARMS = ("fp32", "bf16")
CONFIDENCE = 0.95


def build_data(workdir: Path) -> Path:
    """The default run's instruction data (its synth and generate stages only)."""
    run = workdir / "data-run"
    args = ["pipeline", "--config", str(REPO / "configs" / "local.yaml"), "--output", str(run)]
    args += ["--set", f"heldout.dir={HELDOUT}", "--set", "train=null", "--set", "evaluate=null", "--set", "serve=null"]
    if cli(args) != 0:
        raise SystemExit(f"the default run's data stages failed ({run})")
    return run / "data"


def train_and_evaluate(workdir: Path, data: Path, arm: str, seed: int, steps: int | None, limit: int) -> dict:
    """One arm at one seed: train (unless finished before), evaluate (likewise); its figures."""
    out = workdir / (f"{arm}-seed{seed}" if steps is None else f"{arm}-seed{seed}-steps{steps}")
    model, evaluation = out / "train", out / f"eval-{limit}"
    if not (model / "manifest.json").is_file():
        args = ["train", "--config", str(TRAIN), "--data", str(data), "--output", str(model)]
        args += ["--set", f"deepspeed.precision={arm}", "--set", f"seed={seed}"]
        if steps is not None:
            args += ["--set", f"max_steps={steps}", "--set", f"checkpoint_every={steps}"]
        if cli(args) != 0:
            raise SystemExit(f"training {arm} seed {seed} failed ({model})")
    if not (evaluation / "manifest.json").is_file():
        args = ["evaluate", "--config", str(EVALUATE), "--model", str(model / "model")]
        args += ["--heldout-dir", str(HELDOUT), "--limit", str(limit), "--output", str(evaluation)]
        args += ["--batch-size", "8"]
        if cli(args) != 0:
            raise SystemExit(f"evaluating {arm} seed {seed} failed ({evaluation})")
    manifest = json.loads((model / "manifest.json").read_text())
    metrics = read_metrics(str(model))
    timed = metrics[2:] or metrics
    return {
        "scores": instance_scores(str(evaluation)),
        "precision": manifest["precision"],
        "final_loss": manifest["final_loss"],
        "tokens_per_s": sum(row["tokens_per_s"] for row in timed) / len(timed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default="/tmp/bench-precision")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated (at least 2)")
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the config's 96)")
    parser.add_argument("--limit", type=int, default=12, help="instances of each held-out task")
    args = parser.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds: comma-separated integers, got {args.seeds!r}")
    if len(set(seeds)) != len(seeds):
        parser.error(f"--seeds: {args.seeds!r} repeats a seed (a repeated run would count as another seed)")
    if len(seeds) < 2:
        parser.error("--seeds: at least 2 seeds, or seed noise cannot be estimated")
    if not HELDOUT.is_dir():
        parser.error("needs EcomGPT's held-out sets at ../shared/data/heldout beside the repository")
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ray_session(), contextlib.redirect_stdout(sys.stderr):  # stdout: the JSON line alone
        data = build_data(workdir)
        # Seed by seed, both arms: an interrupted run leaves complete pairs behind.
        pairs = [
            {arm: train_and_evaluate(workdir, data, arm, seed, args.steps, args.limit) for arm in ARMS}
            for seed in seeds
        ]
    runs = {arm: [pair[arm] for pair in pairs] for arm in ARMS}
    arms = {arm: [run["scores"] for run in runs[arm]] for arm in ARMS}
    weights = {"bf16": 1.0, "fp32": -1.0}
    average = contrast(arms, weights, CONFIDENCE)
    tasks = sorted(arms["fp32"][0])
    by_task = {
        task: contrast({arm: [{task: s[task]} for s in arms[arm]] for arm in ARMS}, weights, CONFIDENCE)
        for task in tasks
    }
    figures = {arm: round(100 * point_estimate(arms[arm]), 2) for arm in ARMS}
    print(
        json.dumps(
            {
                "benchmark": "precision_quality",
                "seeds": seeds,
                "steps": args.steps or "config (96)",
                "instances_per_task": args.limit,
                "ran": {arm: sorted({run["precision"] for run in runs[arm]}) for arm in ARMS},
                "avg_rouge_l": figures,
                "bf16_minus_fp32": summary(average),
                "bf16_minus_fp32_by_task": {task: summary(estimate) for task, estimate in by_task.items()},
                "mean_task_half_width": round(100 * sum(e.half_width for e in by_task.values()) / len(by_task), 2),
                "final_loss": {arm: [round(run["final_loss"], 4) for run in runs[arm]] for arm in ARMS},
                "train_tokens_per_s": {arm: [round(run["tokens_per_s"], 1) for run in runs[arm]] for arm in ARMS},
                "confidence": CONFIDENCE,
                "met": average.bounds[1] >= 0,  # the interval holds 0 or lies above it
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
