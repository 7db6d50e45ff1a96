"""Training throughput: Ray Train + DeepSpeed versus a bare single-process PyTorch loop, beside the ceiling.

    .venv/bin/python benchmarks/train_throughput.py --workdir /tmp/bench-train [--precision auto]
    .venv/bin/python benchmarks/train_throughput.py --model smollm2-135m-instruct --workers 1 --batch-size 8 \
        --accumulation 1 --zero-stages 0 --threads 2        # the default config's shape

A small BLOOM (about 30M parameters, tokenizer trained on the data; or `--model`, any model the platform
loads) on generated instruction data, the same model, data, batches and optimizer in both runs: the bare
loop replays the micro-batches a one-worker Ray run trains on, in its order (the dataset built as `run_train`
builds it, cut by the loop's own `shard_micro_batches`; with more workers, the same stream in micro-batches of
the whole batch over the accumulation steps). The bare loop is what the platform must not lose to: the same
answer-only loss, torch's fused AdamW, and for bf16 `torch.autocast("cpu", bfloat16)` over fp32 weights,
exactly as the platform trains. `--precision auto` resolves as training does (bf16 where this CPU has
avx512_bf16 or amx_bf16).

Prints one JSON line: the machine's fp32 and bf16 matmul peaks (2048 x 2048, `--threads` threads, measured
in the same run), tokens/s and useful (non-pad) tokens/s of each run with its share of the peak at its
precision (6 N FLOP a token), the useful-token share with and without length grouping. Each rate is the timed
steps' tokens over their seconds; the first `--skip` steps (start-up) are left out.

Ray's helper processes (the controller, the dataset's coordinators, idle workers: every `ray::` process but
the training workers, counted from /proc while the Ray run trains) each wake every 10 ms even when idle; on
a machine with few cores that costs the training threads. The bare loop is run once more, in the driver with
Ray up and as many idle actors alive as there were helpers (`plain_pytorch_beside_idle_actors`): the share of
the Ray run's gap to the bare loop those processes explain.

The Ray run is repeated for each of `--zero-stages`; the first is the one held to the target. On CPU the
default is stage 0 (DeepSpeed data parallelism) with gradient accumulation: gradients are all-reduced
once per optimizer step. ZeRO-2 reduce-scatters them after every micro-batch, which on CPU costs about
as much as the compute; its figures are printed beside.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import threading
import time
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import ray
import torch
from transformers import AutoModelForCausalLM

from ceiling import ceiling_fields, peaks, share
from ecomgpt import models, precision
from ecomgpt.cli import main as cli
from ecomgpt.config import Override, load_config
from ecomgpt.runtime import ray_session
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.data import build_dataset, plan_mixture, read_texts
from ecomgpt.train.loop import answer_loss, shard_micro_batches
from ecomgpt.train.metrics import read_metrics
from ecomgpt.train.run import run_train
from ecomgpt.train.tiny import build_tiny_checkpoint
from ecomgpt.train.tokenize import Tokenize, useful_share

TINY = Path(__file__).resolve().parents[1] / "configs" / "train" / "tiny.yaml"
SHAPE = {"vocab_size": 8000, "n_layer": 8, "hidden_size": 512, "n_head": 8}


def make_data(workdir: Path) -> str:
    data = workdir / "data"
    if not (data / "manifest.json").exists():
        if data.exists():
            shutil.rmtree(data)
        assert cli(["synth", "--records", "3000", "--seed", "0", "--out", str(workdir / "records")]) == 0
        assert (
            cli(["generate", "--input", str(workdir / "records"), "--output", str(data), "--samples-per-task", "100"])
            == 0
        )
    return str(data)


def ray_batches(cfg: TrainConfig, plan, model_dir: str, micro_steps: int) -> list[dict]:
    """The micro-batches a one-worker Ray run trains on, in its order: the same dataset (built as `run_train`
    builds it) cut by the same `shard_micro_batches`, collected before any step is timed."""
    pad = models.load_tokenizer(model_dir).pad_token_id
    dataset = build_dataset(plan, model_dir, cfg.data, cfg.seed)
    stream = shard_micro_batches(dataset, cfg, cfg.micro_batch_size(1), pad, seed=cfg.seed)
    return [{key: torch.from_numpy(value) for key, value in batch.items()} for batch in islice(stream, micro_steps)]


def plain_loop(
    cfg: TrainConfig, model_dir: str, batches: list[dict], skip: int, threads: int, run_precision: str
) -> dict:
    """Single process, no Ray, no DeepSpeed: the Ray run's batches, loss and AdamW, bf16 by autocast."""
    torch.set_num_threads(threads)
    model = models.load_causal_lm(model_dir, torch.float32)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.optim.lr, fused=True)
    accumulation = cfg.gradient_accumulation_steps
    tokens = useful = 0
    start = 0.0
    for step in range(len(batches) // accumulation):
        if step == skip:
            start, tokens, useful = time.perf_counter(), 0, 0
        for batch in batches[step * accumulation : (step + 1) * accumulation]:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=run_precision == "bf16"):
                loss = answer_loss(model, batch) / accumulation
            loss.backward()
            tokens += batch["input_ids"].numel()
            useful += int(batch["attention_mask"].sum())
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        opt.step()
        opt.zero_grad()
    elapsed = time.perf_counter() - start
    return {"tokens_per_s": tokens / elapsed, "useful_tokens_per_s": useful / elapsed}


def run_rates(logged: list[dict], skip: int) -> dict:
    """Tokens over seconds of the steps after `skip`, from a run's step log (one row a step; `tokens` is the
    running total, so a step's tokens are the difference and its seconds those tokens over its rate)."""
    totals = [0, *(row["tokens"] for row in logged)]
    steps = [(total - before, row) for row, before, total in zip(logged, totals, totals[1:])][skip:]
    seconds = sum(tokens / row["tokens_per_s"] for tokens, row in steps)
    tokens = sum(tokens for tokens, _ in steps)
    useful = sum(tokens * row["useful_share"] for tokens, row in steps)
    return {"tokens_per_s": tokens / seconds, "useful_tokens_per_s": useful / seconds, "useful_share": useful / tokens}


def ray_helpers() -> int | None:
    """Ray's own Python processes alive on this machine now (`ray::` actors and idle workers, training workers
    left out), read from /proc (None without it). Each wakes every 10 ms, idle or not."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    count = 0
    for entry in proc.iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:  # the process ended while read
            continue
        count += command.startswith(b"ray::") and not command.startswith(b"ray::RayTrainWorker")
    return count


class HelperCount(threading.Thread):
    """Samples `ray_helpers()` every second while `run_train` runs, its data preparation included; `most` is the
    largest count seen (with the default shape, the count during the steps: 12)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.done = threading.Event()
        self.most: int | None = None

    def run(self) -> None:
        while not self.done.wait(1.0):
            now = ray_helpers()
            if now is not None:
                self.most = max(self.most or 0, now)


@ray.remote(num_cpus=0)
class Idle:
    """An actor that does nothing: what one of Ray's helper processes costs a step when it is only alive."""

    def ready(self) -> bool:
        return True


def ray_run(overrides: list[Override], zero_stage: int, data: str, workdir: Path, skip: int) -> dict:
    """`run_train` at this ZeRO stage: the rates of the steps after `skip`, and the most helper processes of Ray
    alive while it trained."""
    cfg = load_config(TrainConfig, TINY, [*overrides, ("deepspeed.zero_stage", zero_stage)])
    out = workdir / f"ray_run_zero{zero_stage}"
    if out.exists():
        shutil.rmtree(out)
    helpers = HelperCount()
    helpers.start()
    try:
        run_train(cfg, data, str(out))
    finally:
        helpers.done.set()
    return {**run_rates(read_metrics(str(out)), skip), "helpers": helpers.most}


def beside_idle_actors(count: int, loop) -> dict:
    """`loop()` run while `count` idle actors are alive (Ray up in this process)."""
    actors = [Idle.remote() for _ in range(count)]
    ray.get([actor.ready.remote() for actor in actors])
    try:
        return loop()
    finally:
        for actor in actors:
            ray.kill(actor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default="/tmp/bench-train")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--skip", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the plain loop (the cores)")
    parser.add_argument("--batch-size", type=int, default=64, help="sequences per optimizer step, all workers")
    parser.add_argument(
        "--accumulation",
        type=int,
        default=4,
        help="micro-batches per step in the Ray run (gradients are all-reduced once per step)",
    )
    parser.add_argument(
        "--zero-stages",
        default="0,2",
        help="ZeRO stages of the Ray runs, comma-separated; the first is held to the target",
    )
    parser.add_argument(
        "--precision",
        default="auto",
        choices=("auto", "bf16", "fp32"),
        help="training precision of both runs (auto: bf16 where this CPU computes it natively)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="model to train (default: a 30M BLOOM built on the data); e.g. smollm2-135m-instruct",
    )
    parser.add_argument("--workers", type=int, default=2, help="Ray Train workers")
    args = parser.parse_args()
    if not 0 <= args.skip < args.steps:
        parser.error(f"--skip {args.skip} must be at least 0 and below --steps {args.steps}: no step would be timed")
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    run_precision = precision.resolve(args.precision, on_gpu=False)
    peak = peaks(args.threads)

    with ray_session():
        data = make_data(workdir)
        plan = plan_mixture(data, load_config(TrainConfig, TINY).data)
        model_dir = workdir / "model"
        if args.model is not None:
            model_dir = Path(models.local_source(args.model))
        elif models.checkpoint_problem(str(model_dir)) is not None:
            build_tiny_checkpoint(
                read_texts(plan, 20_000),
                model_dir,
                vocab_size=SHAPE["vocab_size"],
                n_layer=SHAPE["n_layer"],
                hidden_size=SHAPE["hidden_size"],
                n_head=SHAPE["n_head"],
            )
        n_params = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(model_dir).parameters())
        overrides = [
            ("model.name_or_path", str(model_dir)),
            ("max_steps", args.steps),
            ("checkpoint_every", args.steps),
            ("final_checkpoint", False),
            ("log_every", 1),
            ("batch_size", args.batch_size),
            ("gradient_accumulation_steps", args.accumulation),
            ("optim.warmup_steps", 0),
            ("num_workers", args.workers),
            ("deepspeed.precision", run_precision),
            ("threads_per_worker", max(1, args.threads // args.workers)),
        ]
        cfg = load_config(TrainConfig, TINY, overrides)
        stages = [int(stage) for stage in args.zero_stages.split(",")]
        ray_runs = {stage: ray_run(overrides, stage, data, workdir, args.skip) for stage in stages}
        batches = ray_batches(cfg, plan, str(model_dir), args.steps * cfg.gradient_accumulation_steps)
        helpers = ray_runs[stages[0]]["helpers"]
        beside = None
        if helpers:
            beside = beside_idle_actors(
                helpers, lambda: plain_loop(cfg, str(model_dir), batches, args.skip, args.threads, run_precision)
            )

    tok = Tokenize(str(model_dir), cfg.data.max_seq_len)
    table = pa.concat_tables([pads.dataset(f, filesystem=plan.filesystem).to_table() for f in plan.files])
    encoded = tok({k: table.column(k).to_pylist() for k in ("task", "prompt", "output")})
    rows_list = [
        {"input_ids": i, "labels": lab, "length": int(n)}
        for i, lab, n in zip(encoded["input_ids"], encoded["labels"], encoded["length"])
    ]
    random.Random(0).shuffle(rows_list)
    lengths = [r["length"] for r in rows_list]
    micro = cfg.micro_batch_size()
    window = micro * cfg.data.group_window
    plain = plain_loop(cfg, str(model_dir), batches, args.skip, args.threads, run_precision)

    flops_per_token = 6 * n_params
    ceiling = peak[run_precision]

    def rates(run: dict) -> dict:
        return {
            "tokens_per_s": round(run["tokens_per_s"], 1),
            "useful_tokens_per_s": round(run["useful_tokens_per_s"], 1),
            "useful_share": round(run["useful_share"], 4),
            "share_of_peak": share(flops_per_token, run["tokens_per_s"], ceiling),
            "speed_ratio_useful": round(run["useful_tokens_per_s"] / plain["useful_tokens_per_s"], 3),
        }

    target = ray_runs[stages[0]]
    print(
        json.dumps(
            {
                "benchmark": "train_throughput",
                "model_params": n_params,
                "examples": len(rows_list),
                "model": args.model or "30M BLOOM (random weights)",
                "precision": run_precision,
                "steps": args.steps,
                "timed_steps": args.steps - args.skip,
                "batch_size": cfg.batch_size,
                "accumulation": cfg.gradient_accumulation_steps,
                "workers": cfg.num_workers,
                "zero_stage": stages[0],
                "ray_deepspeed": rates(target),
                "ray_deepspeed_by_zero_stage": {str(stage): rates(run) for stage, run in ray_runs.items()},
                "plain_pytorch": {
                    "tokens_per_s": round(plain["tokens_per_s"], 1),
                    "useful_tokens_per_s": round(plain["useful_tokens_per_s"], 1),
                    "useful_share": round(plain["useful_tokens_per_s"] / plain["tokens_per_s"], 4),
                    "share_of_peak": share(flops_per_token, plain["tokens_per_s"], ceiling),
                },
                "speed_ratio_useful": round(target["useful_tokens_per_s"] / plain["useful_tokens_per_s"], 3),
                # The bare loop again, in the driver with Ray up and as many idle actors alive as Ray had helper
                # processes while the first Ray run trained: what those processes alone cost a step here.
                "plain_pytorch_beside_idle_actors": None
                if beside is None
                else {
                    "idle_actors": helpers,
                    "tokens_per_s": round(beside["tokens_per_s"], 1),
                    "useful_tokens_per_s": round(beside["useful_tokens_per_s"], 1),
                    "share_of_peak": share(flops_per_token, beside["tokens_per_s"], ceiling),
                    "over_plain": round(beside["useful_tokens_per_s"] / plain["useful_tokens_per_s"], 3),
                    "ray_over_it": round(target["useful_tokens_per_s"] / beside["useful_tokens_per_s"], 3),
                },
                "useful_share_no_grouping": round(useful_share(lengths, micro, group=False, window=window), 4),
                "useful_share_length_grouping": round(useful_share(lengths, micro, group=True, window=window), 4),
                **ceiling_fields(peak, args.threads),
                "share_of_peak_at": f"{run_precision} matmul peak, 6 N FLOP a token",
                "gpu": "not measured: no GPU lent to this session",
            }
        )
    )


if __name__ == "__main__":
    main()
