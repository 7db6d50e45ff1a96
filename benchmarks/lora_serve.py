"""Serving LoRA adapters of one base model against as many full models: throughput and replica memory.

    .venv/bin/python benchmarks/lora_serve.py [--counts 1,2,4] [--requests 200] [--max-tokens 16]

Builds 4 LoRA adapters (r 16 on the attention projections, small random updates) of the offline backbone
(SmolLM2-135M-Instruct) and, from each, the full model with the adapter merged in, so both kinds answer
alike. For each count N, serves N adapters (one base model on the replica, one `generate` call per batch,
each row with its adapter), then the N merged models (N copies of the weights, one call per model in a
batch), on one CPU model replica with batches of up to 16, and sends `--requests` completions from 16
concurrent clients (`serve_load.py`'s closed loop and prompts), round robin over the N models. Prints one JSON
line: per kind and N, requests/s, p50 latency, errors and the replica's memory (PSS, its peak under load); and the
memory of 4 adapters over that of one model against the target (<= 1.3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from memory import PeakMemory, pss_bytes
from serve_load import phase

CONCURRENCY = 16
APP = "ecomgpt-bench-lora"
TARGET_MEMORY_RATIO = 1.3


def build_models(root: Path, count: int) -> tuple[dict[str, str], dict[str, str]]:
    """({name: adapter directory}, {name: merged full checkpoint}) over the offline backbone."""
    import torch
    from peft import LoraConfig, get_peft_model

    from ecomgpt import adapters, models

    base = str(models.offline_dir(models.DEFAULT_OFFLINE))
    tokenizer = models.load_tokenizer(base)
    lora, full = {}, {}
    for i in range(count):
        torch.manual_seed(i)
        model = models.load_causal_lm(base, torch.float32)
        config = LoraConfig(
            r=16,
            lora_alpha=1.0,
            init_lora_weights=False,
            task_type="CAUSAL_LM",
            target_modules=adapters.DEFAULT_TARGET_MODULES["llama"],
        )
        peft_model = get_peft_model(model, config)
        peft_model.peft_config["default"].base_model_name_or_path = base
        lora[f"lora-{i}"] = str(root / f"lora-{i}")
        peft_model.save_pretrained(lora[f"lora-{i}"], safe_serialization=True, save_embedding_layers=False)
        merged = peft_model.merge_and_unload()
        full[f"full-{i}"] = str(root / f"full-{i}")
        merged.save_pretrained(full[f"full-{i}"], safe_serialization=True)
        tokenizer.save_pretrained(full[f"full-{i}"])
    return lora, full


def replica_pid() -> int:
    """The model replica's process, found by the title Ray gives an actor's process."""
    import os

    title = f"ServeReplica:{APP}:ModelServer".encode()
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if entry.isdigit() and title in fh.read():
                    found.append(int(entry))
        except OSError:
            continue  # not a process, or it ended
    assert len(found) == 1, found
    return found[0]


def measure(served: dict[str, str], port: int, total: int, max_tokens: int) -> dict:
    from ray import serve

    from ecomgpt.serve.app import build_from_config
    from ecomgpt.serve.config import AppConfig

    cfg = AppConfig(
        models=served,
        model={
            "num_cpus": 1,
            "max_models_per_replica": 4,
            "kv_cache_gb": 2,
            "batching": {"max_batch_size": 16, "batch_wait_timeout_s": 0.01},
            "autoscaling": {"target_ongoing_requests": 16},
        },
        gateway={"num_cpus": 0.1, "max_ongoing_requests": 512},
        limits={"max_tokens": max_tokens, "default_max_tokens": max_tokens},
    )
    serve.run(
        build_from_config(cfg),
        name=APP,
        route_prefix="/",
        logging_config={"enable_access_log": False, "log_level": "WARNING"},
    )
    url = f"http://127.0.0.1:{port}/v1/completions"
    try:
        names = tuple(sorted(served))
        asyncio.run(phase(url, CONCURRENCY, len(names) * 2, max_tokens, 600, names))  # every model loaded
        pid = replica_pid()
        loaded = pss_bytes(pid)
        with PeakMemory(pid) as peak:
            result = asyncio.run(phase(url, CONCURRENCY, total, max_tokens, 600, names))
        return {**result, "memory_gb": round(loaded / 2**30, 3), "peak_memory_gb": round(peak.peak / 2**30, 3)}
    finally:
        serve.delete(APP)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,2,4", help="numbers of adapters (and of full models) served")
    parser.add_argument("--requests", type=int, default=200, help="completions per measurement")
    parser.add_argument("--max-tokens", type=int, default=16, help="tokens generated per request")
    parser.add_argument("--port", type=int, default=8766, help="loopback HTTP port")
    args = parser.parse_args()
    counts = [int(n) for n in args.counts.split(",")]
    import ray
    from ray import serve

    from ecomgpt.runtime import start_local_ray

    results: dict[str, dict[str, dict]] = {"adapters": {}, "full": {}}
    with tempfile.TemporaryDirectory(prefix="ecomgpt-bench-lora-") as tmp:
        lora, full = build_models(Path(tmp), max(counts))
        start_local_ray(include_dashboard=False, log_to_driver=False)
        serve.start(http_options={"host": "127.0.0.1", "port": args.port})
        try:
            for n in counts:
                results["adapters"][str(n)] = measure(
                    dict(list(lora.items())[:n]), args.port, args.requests, args.max_tokens
                )
                results["full"][str(n)] = measure(
                    dict(list(full.items())[:n]), args.port, args.requests, args.max_tokens
                )
        finally:
            serve.shutdown()
            ray.shutdown()
    one, most = results["full"][str(counts[0])]["peak_memory_gb"], results["adapters"][str(counts[-1])]
    ratio = most["peak_memory_gb"] / one
    print(
        json.dumps(
            {
                "benchmark": "lora_serve",
                "model": "SmolLM2-135M-Instruct (offline backbone), adapters r 16 on q/k/v/o, fp32, 1 CPU replica",
                "concurrency": CONCURRENCY,
                "max_tokens": args.max_tokens,
                "requests": args.requests,
                **results,
                f"memory_{counts[-1]}_adapters_over_{counts[0]}_model": round(ratio, 3),
                "target_memory_ratio": TARGET_MEMORY_RATIO,
                "meets_target": ratio <= TARGET_MEMORY_RATIO,
            }
        )
    )


if __name__ == "__main__":
    main()
