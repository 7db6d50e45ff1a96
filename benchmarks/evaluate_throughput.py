"""Held-out evaluation throughput: the Ray Data evaluator against a plain sequential `generate` loop.

    .venv/bin/python benchmarks/evaluate_throughput.py [--heldout-dir ../shared/data/heldout] [--baseline-per-task 25]

    .venv/bin/python benchmarks/evaluate_throughput.py --model smollm2-135m-instruct --limit 12 --baseline-per-task 4

All runs use the same model (default: a tiny BLOOM, random weights, tokenizer trained on the held-out
prompts; or `--model`), the same answer budgets per task type and the weights' dtype `generation.dtype: auto`
resolves to here (bf16 where this CPU has avx512_bf16 or amx_bf16). The evaluator is `ecomgpt evaluate
--model` (greedy, batches of `--batch-size`, one actor per CPU). The bare loop is the one the platform must not
lose to: one process, all threads, the evaluator's order (by budget, then length), batch size, greedy decoding
and `### ` stop, over the first `--baseline-per-task` instances of every task. The reference baseline is the
reference script's settings: batches of 2 with 4 beams, on the same sample.

Prints one JSON line: the machine's fp32 and bf16 matmul peaks (2048 x 2048, measured in the same run),
prompts/s and tokens/s (prompt + generated) of each with its share of the peak at the dtype that ran (2 N
FLOP a token), and the speed-ups. Target: >= 10x the reference baseline.
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

from ceiling import ceiling_fields, peaks, share
from ecomgpt import models
from ecomgpt.evaluate.config import DEFAULT_MAX_NEW_TOKENS, GenerationConfig
from ecomgpt.evaluate.heldout import load_heldout
from ecomgpt.prompts import RESPONSE_STOP
from ecomgpt.runner import encode_prompts, resolve_dtype
from ecomgpt.train.tiny import build_tiny_checkpoint

HELDOUT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "heldout"


def run_evaluator(model: str, heldout: str, out: str, batch_size: int, limit: int | None) -> dict:
    """The whole command, Ray start-up included; rates over the generation phase from its outputs."""
    cmd = [
        sys.executable,
        "-m",
        "ecomgpt.cli",
        "evaluate",
        "--model",
        model,
        "--heldout-dir",
        heldout,
        "--output",
        out,
        "--batch-size",
        str(batch_size),
        *(["--limit", str(limit)] if limit else []),
    ]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    manifest = json.loads(Path(out, "manifest.json").read_text())
    rows = [json.loads(line) for line in Path(out, "predictions.jsonl").read_text().splitlines()]
    return {
        "wall_s": wall,
        "instances": manifest["counts"]["instances"],
        "generate_s": manifest["timings"]["generate_s"],
        "new_tokens": sum(row["new_tokens"] for row in rows),
        "dtype": manifest["dtype"],
    }


def prompt_tokens(model: str, prompts: list[str]) -> int:
    """Prompt tokens the model reads (cut to the evaluator's max_input_tokens, as it cuts them)."""
    limit = GenerationConfig().max_input_tokens
    return sum(min(len(ids), limit) for ids in encode_prompts(models.load_tokenizer(model), prompts))


def run_bare(model: str, tasks, per_task: int, batch_size: int, dtype: str) -> dict:
    """The bare loop: one process, the evaluator's order, batch size, greedy decoding and stop string."""
    import torch

    tokenizer = models.load_tokenizer(model, padding_side="left")
    lm = models.load_causal_lm(model, getattr(torch, dtype)).eval()
    rows = sorted(
        ((DEFAULT_MAX_NEW_TOKENS[t.type], i.prompt) for t in tasks for i in t.instances[:per_task]),
        key=lambda row: (row[0], len(tokenizer(row[1], add_special_tokens=False)["input_ids"])),
    )
    count = tokens = 0
    started = time.perf_counter()
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        for budget in sorted({b for b, _ in chunk}):
            prompts = [p for b, p in chunk if b == budget]
            enc = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.inference_mode():
                out = lm.generate(
                    **enc,
                    max_new_tokens=budget,
                    do_sample=False,
                    stop_strings=[RESPONSE_STOP],
                    tokenizer=tokenizer,
                    pad_token_id=tokenizer.pad_token_id,
                )
            new = out[:, enc["input_ids"].shape[1] :]
            tokens += int(enc["attention_mask"].sum()) + int((new != tokenizer.pad_token_id).sum())
            count += len(prompts)
    return {"seconds": time.perf_counter() - started, "instances": count, "tokens": tokens}


def run_baseline(model: str, tasks, per_task: int) -> tuple[float, int]:
    """A sequential loop: batches of 2 prompts from one task, 4 beams, all threads of the machine."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(models.local_source(model))
    tokenizer.padding_side = "left"
    lm = AutoModelForCausalLM.from_pretrained(models.local_source(model)).eval()
    count, started = 0, time.perf_counter()
    for task in tasks:
        prompts = [i.prompt for i in task.instances[:per_task]]
        for start in range(0, len(prompts), 2):
            enc = tokenizer(prompts[start : start + 2], return_tensors="pt", padding=True)
            with torch.inference_mode():
                lm.generate(
                    **enc,
                    max_new_tokens=DEFAULT_MAX_NEW_TOKENS[task.type],
                    num_beams=4,
                    do_sample=False,
                    pad_token_id=tokenizer.pad_token_id,
                )
            count += len(prompts[start : start + 2])
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heldout-dir", default=str(HELDOUT))
    parser.add_argument("--baseline-per-task", type=int, default=25)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", default=None, help="model to evaluate (default: a tiny BLOOM built here)")
    parser.add_argument("--limit", type=int, default=None, help="the evaluator's first N instances of each task")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of the bare loops")
    args = parser.parse_args()
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    import torch

    peak = peaks(args.threads)
    torch.set_num_threads(args.threads)
    tasks = load_heldout(args.heldout_dir)
    dtype = resolve_dtype("auto", on_gpu=False)
    with tempfile.TemporaryDirectory() as tmp:
        if args.model:
            model = models.locate(args.model)
            models.check(model)
        else:
            texts = [i.prompt + i.reference for t in tasks for i in t.instances]
            model = str(build_tiny_checkpoint(texts, Path(tmp, "model"), vocab_size=4000))
        n_params = sum(p.numel() for p in models.load_causal_lm(model, torch.float32).parameters())
        evaluated = run_evaluator(model, args.heldout_dir, str(Path(tmp, "eval")), args.batch_size, args.limit)
        bare = run_bare(model, tasks, args.baseline_per_task, args.batch_size, dtype)
        base_s, base_n = run_baseline(model, tasks, args.baseline_per_task)
        prompts = [i.prompt for t in tasks for i in t.instances[: args.limit or None]]
        evaluated_tokens = prompt_tokens(model, prompts) + evaluated["new_tokens"]
    instances, generate_s = evaluated["instances"], evaluated["generate_s"]
    evaluator_rate = instances / generate_s
    baseline_rate = base_n / base_s
    bare_rate = bare["instances"] / bare["seconds"]
    ceiling = peak["bf16" if dtype == "bfloat16" else "fp32"]
    print(
        json.dumps(
            {
                "benchmark": "evaluate_throughput",
                "model": args.model or "tiny BLOOM (2 layers, hidden 64, vocab 4000, random weights)",
                "model_params": n_params,
                "dtype": evaluated["dtype"],
                "instances": instances,
                **ceiling_fields(peak, args.threads),
                "share_of_peak_at": f"{dtype} matmul peak, 2 N FLOP a token (prompt and generated)",
                "evaluator_prompts_per_s": round(evaluator_rate, 2),
                "evaluator_tokens_per_s": round(evaluated_tokens / generate_s, 1),
                "evaluator_share_of_peak": share(2 * n_params, evaluated_tokens / generate_s, ceiling),
                "evaluator_generate_s": round(generate_s, 1),
                "evaluator_wall_s": round(evaluated["wall_s"], 1),
                "evaluator_settings": f"Ray Data actor pool, greedy, batch {args.batch_size}",
                "bare_prompts_per_s": round(bare_rate, 2),
                "bare_tokens_per_s": round(bare["tokens"] / bare["seconds"], 1),
                "bare_share_of_peak": share(2 * n_params, bare["tokens"] / bare["seconds"], ceiling),
                "bare_instances": bare["instances"],
                "bare_settings": f"one process, {args.threads} threads, greedy, batch {args.batch_size}, {dtype}",
                "evaluator_over_bare": round(evaluator_rate / bare_rate, 2),
                "baseline_prompts_per_s": round(baseline_rate, 2),
                "baseline_instances": base_n,
                "baseline_settings": "sequential loop, batch 2, 4 beams",
                "speedup": round(evaluator_rate / baseline_rate, 2),
                "target_speedup": 10,
                "met": evaluator_rate / baseline_rate >= 10,
            }
        )
    )


if __name__ == "__main__":
    main()
