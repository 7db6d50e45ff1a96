"""Full fine-tuning against LoRA (r 16) on the offline backbone, at the same batch and number of steps.

    .venv/bin/python benchmarks/lora_train.py [--workdir /tmp/bench-lora] [--steps 96] [--limit 12] [--set KEY=VALUE]

Makes the default run's data (`make run`'s synth and generate: 20,000 synthetic records, 300 examples per
task, decontaminated against ../shared/data/heldout when present), then trains SmolLM2-135M-Instruct with
configs/train/smollm2-135m.yaml (every weight) and configs/train/smollm2-135m-lora.yaml (adapters of the
attention projections, r 16), both one Ray Train worker with two threads, batch 8, `--steps` steps, and
scores each result zero-shot on the held-out sets (the first `--limit` instances of each task). Prints one
JSON line: per mode tokens/s (after the first step), the training worker's peak memory (resident set,
measured from the end of loading), trainable and total parameters, final loss and held-out Rouge-L; and the
LoRA/full memory ratio against its target (<= 0.6).
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path

from ecomgpt.cli import main as cli
from ecomgpt.config import load_config
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.evaluate.run import run_evaluate
from ecomgpt.runtime import ray_session
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.metrics import read_metrics
from ecomgpt.train.run import run_train

REPO = Path(__file__).resolve().parents[1]
HELDOUT = REPO.parent / "shared" / "data" / "heldout"
CONFIGS = {"full": REPO / "configs/train/smollm2-135m.yaml", "lora": REPO / "configs/train/smollm2-135m-lora.yaml"}
TARGET_MEMORY_RATIO = 0.6


def make_data(workdir: Path) -> str:
    data = workdir / "data"
    if not (data / "manifest.json").exists():
        assert cli(["synth", "--records", "20000", "--seed", "0", "--out", str(workdir / "records")]) == 0
        args = ["generate", "--input", str(workdir / "records"), "--output", str(data), "--samples-per-task", "300"]
        if HELDOUT.exists():
            args += ["--heldout-dir", str(HELDOUT)]
        assert cli(args) == 0
    return str(data)


def run_mode(mode: str, data: str, workdir: Path, steps: int, limit: int, extra: list[str]) -> dict:
    sets = [f"max_steps={steps}", f"checkpoint_every={steps}", *extra]
    cfg = load_config(TrainConfig, CONFIGS[mode], sets=sets)
    out = workdir / mode
    result = run_train(cfg, data, str(out))
    rows = read_metrics(str(out))
    # Every step after the first (which includes start-up): its tokens over its own time.
    step_tokens = [row["tokens"] - previous["tokens"] for previous, row in itertools.pairwise(rows)]
    seconds = sum(tokens / row["tokens_per_s"] for tokens, row in zip(step_tokens, rows[1:]))
    heldout = str(HELDOUT) if HELDOUT.exists() else data
    metrics = (
        run_evaluate(
            EvaluateConfig(model=result["model_path"], heldout_dir=heldout, output=str(out / "eval"), limit=limit)
        )
        if limit
        else None
    )
    return {
        "config": str(CONFIGS[mode].relative_to(REPO)),
        "tokens_per_s": round(sum(step_tokens) / seconds, 1) if seconds else None,
        "peak_memory_gb": max(r["peak_memory_gb"] for r in rows),
        "trainable_params": result["parameters"]["trainable"],
        "total_params": result["parameters"]["total"],
        "final_loss": round(result["final_loss"], 4),
        "heldout_rouge_l": round(100 * metrics["average"]["rouge_l"], 2) if metrics else None,
        "heldout_tasks": len(metrics["tasks"]) if metrics else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default=None, help="where data and runs go (default: a new temporary directory)")
    parser.add_argument("--steps", type=int, default=96, help="optimizer steps of both runs (batch 8)")
    parser.add_argument("--limit", type=int, default=12, help="held-out instances scored per task (0: no scoring)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training config key set in both runs, e.g. model.gradient_checkpointing=true",
    )
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ecomgpt-bench-lora-"))
    with ray_session():
        data = make_data(workdir)
        runs = workdir / ("-".join([f"steps{args.steps}", *args.set]).replace("=", "_").replace("/", "_"))
        results = {mode: run_mode(mode, data, runs, args.steps, args.limit, args.set) for mode in ("full", "lora")}
    ratio = results["lora"]["peak_memory_gb"] / results["full"]["peak_memory_gb"]
    print(
        json.dumps(
            {
                "benchmark": "lora_train",
                "model": "SmolLM2-135M-Instruct (offline backbone), 1 Ray Train worker x 2 threads, "
                "DeepSpeed ZeRO-0, fp32",
                "steps": args.steps,
                "batch_size": 8,
                "heldout": str(HELDOUT) if HELDOUT.exists() else "generated held_out split",
                "heldout_limit": args.limit,
                "set": args.set,
                **results,
                "memory_ratio": round(ratio, 3),
                "target_memory_ratio": TARGET_MEMORY_RATIO,
                "meets_target": ratio <= TARGET_MEMORY_RATIO,
                "speedup": round(results["lora"]["tokens_per_s"] / results["full"]["tokens_per_s"], 2)
                if results["full"]["tokens_per_s"]
                else None,
            }
        )
    )


if __name__ == "__main__":
    main()
