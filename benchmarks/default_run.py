"""The README's first command as a benchmark: the default pipeline end to end, base vs fine-tuned.

    .venv/bin/python benchmarks/default_run.py [--workdir /tmp/bench-default] [--config configs/local.yaml]

Runs `ecomgpt pipeline --config configs/local.yaml` into a fresh directory (from the repository root, so
the config's relative paths hold) and prints one JSON line: the whole wall time, each stage's, and the
base and fine-tuned average held-out scores with their ratio. Targets: wall_s <= 600 on a 2-core machine
(the offline backbone already converted, as after `make run`'s set-up), the fine-tuned model's average
Rouge-L >= 41 and >= 3.5x the base model's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_WALL_S = 600
TARGET_RATIO = 3.5
TARGET_ROUGE_L = 41.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", default=None, help="where the run goes (default: a new temporary directory)")
    parser.add_argument("--config", default="configs/local.yaml")
    args = parser.parse_args()
    run = Path(args.workdir or tempfile.mkdtemp(prefix="ecomgpt-bench-default-")) / "run"
    cmd = [sys.executable, "-m", "ecomgpt.cli", "pipeline", "--config", args.config, "--output", str(run)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    stages = json.loads((run / "pipeline.json").read_text())["stages"]
    comparison = json.loads((run / "comparison.json").read_text())
    base, tuned = comparison["average"]["base"], comparison["average"]["tuned"]
    ratio = comparison["ratio"].get("rouge_l")
    print(
        json.dumps(
            {
                "benchmark": "default_run",
                "wall_s": round(wall, 1),
                "stage_wall_s": {stage: entry["wall_s"] for stage, entry in stages.items()},
                "heldout_dir": comparison["heldout_dir"],
                "tasks": tuned["tasks"],
                "base": {m: round(100 * base[m], 2) for m in ("rouge_l", "micro_f1", "macro_f1") if m in base},
                "tuned": {m: round(100 * tuned[m], 2) for m in ("rouge_l", "micro_f1", "macro_f1") if m in tuned},
                "rouge_l_ratio": round(ratio, 2) if ratio is not None else None,
                "target_wall_s": TARGET_WALL_S,
                "target_rouge_l_ratio": TARGET_RATIO,
                "target_tuned_rouge_l": TARGET_ROUGE_L,
                "met": wall <= TARGET_WALL_S
                and ratio is not None
                and ratio >= TARGET_RATIO
                and 100 * tuned["rouge_l"] >= TARGET_ROUGE_L,
            }
        )
    )


if __name__ == "__main__":
    main()
