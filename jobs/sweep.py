"""A scaling sweep on Ray Tune as a Ray job: task count x samples per task, each trial train -> evaluate.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/sweep.py --config configs/sweep/bloomz-560m.yaml \
        --data s3://ecomgpt-runs/data --output s3://ecomgpt-runs/sweep-560m

Re-submit with `--resume` to finish an interrupted sweep without redoing finished trials.
"""

from __future__ import annotations

import argparse
import sys
import time

from ecomgpt.config import load_model
from ecomgpt.errors import UserError
from ecomgpt.runtime import ray_session
from ecomgpt.sweep.config import SweepConfig
from ecomgpt.sweep.results import summary_markdown, write_results
from ecomgpt.sweep.run import plan_sweep, run_sweep


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="sweep config YAML (see configs/sweep/)")
    parser.add_argument("--output", required=True, help="sweep directory (path or URI)")
    parser.add_argument("--data", required=True, help="a generate output directory (path or URI)")
    parser.add_argument("--resume", action="store_true", help="finish the sweep in --output")
    args = parser.parse_args(argv)
    cfg = load_model(SweepConfig, args.config)
    started = time.perf_counter()
    with ray_session():
        rows = run_sweep(plan_sweep(cfg, args.data, args.output, resume=args.resume))
    wall = time.perf_counter() - started
    print(summary_markdown(rows, write_results(args.output, rows, cfg.metric, wall), wall))


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
