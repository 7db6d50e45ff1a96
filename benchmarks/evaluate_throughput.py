"""Held-out evaluation throughput: the Ray Data evaluator against a plain sequential `generate` loop.

    .venv/bin/python benchmarks/evaluate_throughput.py [--heldout-dir ../shared/data/heldout] [--baseline-per-task 25]

Both use the same tiny BLOOM (random weights, tokenizer trained on the held-out prompts) and the same answer
budgets per task type. The evaluator is `ecomgpt evaluate --model` over every instance (greedy, batches of
32, one actor per CPU). The baseline is the reference script's settings: batches of 2 with 4 beams in one
process, over the first `--baseline-per-task` instances of every task (a sample with the same task mix).
Prints one JSON line: prompts/s of each and the speed-up. Target: >= 10x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ecomgpt.evaluate.config import DEFAULT_MAX_NEW_TOKENS
from ecomgpt.evaluate.heldout import load_heldout
from ecomgpt.train.tiny import build_tiny_checkpoint

HELDOUT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "heldout"


def run_evaluator(model: str, heldout: str, out: str, batch_size: int) -> tuple[float, int, float]:
    """The whole command, Ray start-up included; prompts/s over the generation phase from its manifest."""
    cmd = [sys.executable, "-m", "ecomgpt.cli", "evaluate", "--model", model, "--heldout-dir", heldout,
           "--output", out, "--batch-size", str(batch_size)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    manifest = json.loads(Path(out, "manifest.json").read_text())
    return wall, manifest["counts"]["instances"], manifest["timings"]["generate_s"]


def run_baseline(model: str, tasks, per_task: int) -> tuple[float, int]:
    """A sequential loop: batches of 2 prompts from one task, 4 beams, all threads of the machine."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    tokenizer.padding_side = "left"
    lm = AutoModelForCausalLM.from_pretrained(model).eval()
    count, started = 0, time.perf_counter()
    for task in tasks:
        prompts = [i.prompt for i in task.instances[:per_task]]
        for start in range(0, len(prompts), 2):
            enc = tokenizer(prompts[start : start + 2], return_tensors="pt", padding=True)
            with torch.inference_mode():
                lm.generate(**enc, max_new_tokens=DEFAULT_MAX_NEW_TOKENS[task.type], num_beams=4, do_sample=False,
                            pad_token_id=tokenizer.pad_token_id)
            count += len(prompts[start : start + 2])
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heldout-dir", default=str(HELDOUT))
    parser.add_argument("--baseline-per-task", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    tasks = load_heldout(args.heldout_dir)
    with tempfile.TemporaryDirectory() as tmp:
        texts = [i.prompt + i.reference for t in tasks for i in t.instances]
        model = str(build_tiny_checkpoint(texts, Path(tmp, "model"), vocab_size=4000))
        wall, instances, generate_s = run_evaluator(model, args.heldout_dir, str(Path(tmp, "eval")), args.batch_size)
        base_s, base_n = run_baseline(model, tasks, args.baseline_per_task)
    evaluator_rate = instances / generate_s
    baseline_rate = base_n / base_s
    print(json.dumps({
        "benchmark": "evaluate_throughput",
        "model": "tiny BLOOM (2 layers, hidden 64, vocab 4000, random weights)",
        "instances": instances,
        "evaluator_prompts_per_s": round(evaluator_rate, 2),
        "evaluator_generate_s": round(generate_s, 1),
        "evaluator_wall_s": round(wall, 1),
        "evaluator_settings": f"Ray Data actor pool, greedy, batch {args.batch_size}",
        "baseline_prompts_per_s": round(baseline_rate, 2),
        "baseline_instances": base_n,
        "baseline_settings": "sequential loop, batch 2, 4 beams",
        "speedup": round(evaluator_rate / baseline_rate, 2),
        "target_speedup": 10,
        "met": evaluator_rate / baseline_rate >= 10,
    }))


if __name__ == "__main__":
    main()
