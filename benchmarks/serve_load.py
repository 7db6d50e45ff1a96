"""HTTP load on the serving application with a tiny model: dynamic batching against max_batch_size=1.

    .venv/bin/python benchmarks/serve_load.py [--requests 100,300,600] [--max-tokens 16] [--batch-wait-s 0.01]

Starts a local Ray and the application on loopback, then for each mode (batched, unbatched) and each
concurrency (1, 8, 32) sends a bounded number of completion requests from a closed loop of that many
async clients, each phase also bounded in time. Prints one JSON line: requests/s, p50 and p99 latency and
errors per mode and concurrency, the batched/unbatched throughput ratio at concurrency 32 (and against the
unbatched mode's best concurrency), and the total error count (the target: ratio >= 4, no error in 2,000
requests). Ray starts as `ecomgpt serve` starts it, in Serve's throughput-optimized mode (runtime.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

CONCURRENCY = (1, 8, 32)
PROMPTS = [
    "Below is an instruction that describes the review sentiment classification task.\n### Instruction:\n"
    f"review number {i}: the shoes fit well and shipping was fast\n"
    "What is the sentiment? Options: positive, negative.\n"
    "### Response:"
    for i in range(64)
]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", default="100,300,600", help="requests per phase at concurrency 1,8,32")
    p.add_argument("--max-tokens", type=int, default=16, help="tokens generated per request")
    p.add_argument("--batch-size", type=int, default=32, help="max_batch_size of the batched mode")
    p.add_argument("--batch-wait-s", type=float, default=0.01, help="batch_wait_timeout_s of the batched mode")
    p.add_argument("--phase-timeout-s", type=float, default=120, help="a phase stops sending after this")
    p.add_argument("--port", type=int, default=8765, help="loopback HTTP port")
    return p.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def phase(
    url: str, concurrency: int, total: int, max_tokens: int, timeout_s: float, models: tuple[str, ...] = ("tiny",)
) -> dict:
    """`total` requests from `concurrency` clients in a closed loop (each sends its next when one returns),
    round robin over `models`."""
    import aiohttp

    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + timeout_s

    async def client(session) -> None:
        nonlocal sent, errors
        while sent < total and time.perf_counter() < deadline:
            body = {
                "model": models[sent % len(models)],
                "prompt": PROMPTS[sent % len(PROMPTS)],
                "max_tokens": max_tokens,
                "temperature": 0,
            }
            sent += 1
            start = time.perf_counter()
            try:
                async with session.post(url, json=body) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                errors += 1

    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    done = len(latencies)
    return {
        "requests": done + errors,
        "errors": errors,
        "rps": round(done / elapsed, 2),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1) if latencies else None,
    }


def deploy(checkpoint: Path, batch_size: int, batch_wait_s: float, port: int) -> str:
    from ray import serve

    from ecomgpt.serve.app import build_from_config
    from ecomgpt.serve.config import AppConfig

    cfg = AppConfig(
        models={"tiny": str(checkpoint)},
        model={
            "num_cpus": 1,
            "batching": {"max_batch_size": batch_size, "batch_wait_timeout_s": batch_wait_s},
            # max_batch_size=1 allows 2 ongoing requests per replica; the target must stay within.
            "autoscaling": {"target_ongoing_requests": 1},
        },
        gateway={"num_cpus": 0.1, "max_ongoing_requests": 512},
    )
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    # Per-request access logs cost CPU that this 2-core measurement would otherwise charge to serving.
    quiet = {"enable_access_log": False, "log_level": "WARNING"}
    serve.run(build_from_config(cfg), name="ecomgpt-bench", route_prefix="/", logging_config=quiet)
    return f"http://127.0.0.1:{port}/v1/completions"


def main() -> None:
    args = parse_args()
    counts = [int(n) for n in args.requests.split(",")]
    import ray
    from ray import serve

    from ecomgpt.runtime import start_local_ray
    from ecomgpt.train.tiny import build_tiny_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = build_tiny_checkpoint(PROMPTS, Path(tmp) / "tiny", vocab_size=500, seed=0)
        start_local_ray(include_dashboard=False, log_to_driver=False)
        results: dict[str, dict] = {}
        try:
            for mode, batch_size in (("batched", args.batch_size), ("unbatched", 1)):
                url = deploy(checkpoint, batch_size, args.batch_wait_s, args.port)
                asyncio.run(phase(url, 4, 8, args.max_tokens, 60))  # warm-up: load the model, first calls
                results[mode] = {
                    str(c): asyncio.run(phase(url, c, n, args.max_tokens, args.phase_timeout_s))
                    for c, n in zip(CONCURRENCY, counts)
                }
                serve.delete("ecomgpt-bench")
        finally:
            serve.shutdown()
            ray.shutdown()
    top = str(CONCURRENCY[-1])
    unbatched = results["unbatched"][top]["rps"]
    best = max(r["rps"] for r in results["unbatched"].values())
    print(
        json.dumps(
            {
                "benchmark": "serve_load",
                "model": "tiny BLOOM (2 layers, hidden 64), transformers backend, CPU",
                "max_tokens": args.max_tokens,
                "batch_size": args.batch_size,
                "batch_wait_s": args.batch_wait_s,
                "serve_throughput_optimized": os.environ.get("RAY_SERVE_THROUGHPUT_OPTIMIZED"),
                "batched": results["batched"],
                "unbatched": results["unbatched"],
                "speedup_at_32": round(results["batched"][top]["rps"] / unbatched, 2) if unbatched else None,
                # Against the unbatched mode at its own best concurrency: it slows down past 8 concurrent requests.
                "speedup_vs_best_unbatched": round(results["batched"][top]["rps"] / best, 2) if best else None,
                "requests_total": sum(r["requests"] for mode in results.values() for r in mode.values()),
                "errors_total": sum(r["errors"] for mode in results.values() for r in mode.values()),
            }
        )
    )


if __name__ == "__main__":
    main()
