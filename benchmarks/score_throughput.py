"""Held-out scoring rate: Rouge-L (rouge-score) and set F1 over every instance of the held-out sets.

    .venv/bin/python benchmarks/score_throughput.py [--heldout-dir ../shared/data/heldout]

Scores each instance twice: with its reference as the prediction, and with a long wrong prediction (the
instance's input cut to twice the task's answer budget in characters, longer than most answers a model
writes). `ecomgpt evaluate` scores on the driver after generation, so this rate bounds its `score_s`.
Prints one JSON line: instances scored per second in each case.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ecomgpt.evaluate.config import DEFAULT_MAX_NEW_TOKENS
from ecomgpt.evaluate.heldout import load_heldout
from ecomgpt.evaluate.metrics import score_instance

HELDOUT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "heldout"


def rate(cases: list[tuple[str, str, str, str]]) -> float:
    score_instance("warm", "up", "CLS")  # rouge-score is imported on first use
    started = time.perf_counter()
    for prediction, reference, task_type, sep in cases:
        score_instance(prediction, reference, task_type, sep)
    return len(cases) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--heldout-dir", default=str(HELDOUT))
    args = parser.parse_args()
    tasks = load_heldout(args.heldout_dir)
    gold = [(i.reference, i.reference, t.type, t.sep) for t in tasks for i in t.instances]
    long = [
        (i.prompt.rsplit("### Instruction:\n", 1)[-1][: 2 * DEFAULT_MAX_NEW_TOKENS[t.type]], i.reference, t.type, t.sep)
        for t in tasks
        for i in t.instances
    ]
    print(
        json.dumps(
            {
                "benchmark": "score_throughput",
                "instances": len(gold),
                "gold_instances_per_s": round(rate(gold)),
                "long_instances_per_s": round(rate(long)),
            }
        )
    )


if __name__ == "__main__":
    main()
