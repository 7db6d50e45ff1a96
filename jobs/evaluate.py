"""Held-out evaluation as a Ray job: a model -> predictions, Rouge-L and F1, metrics table and charts.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/evaluate.py --config configs/evaluate/gpu.yaml --model s3://ecomgpt-runs/train-7b1/model \
        --heldout-dir s3://ecomgpt-runs/heldout --output s3://ecomgpt-runs/eval-7b1
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt.config import load_yaml, parse_model
from ecomgpt.errors import UserError
from ecomgpt.evaluate.config import EvaluateConfig
from ecomgpt.evaluate.report import markdown_table
from ecomgpt.evaluate.run import run_evaluate
from ecomgpt.runtime import ray_session


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="evaluate config YAML (see configs/evaluate/)")
    parser.add_argument("--output", required=True, help="directory (path or URI) for predictions and metrics")
    parser.add_argument("--model", help="Hugging Face model directory or URI (overrides the config)")
    parser.add_argument("--heldout-dir", help="EcomGPT-layout held-out directory or a generate run directory")
    parser.add_argument("--limit", type=int, help="only the first N instances of each task")
    args = parser.parse_args(argv)
    data = load_yaml(args.config)
    overrides = {"model": args.model, "heldout_dir": args.heldout_dir, "limit": args.limit, "output": args.output}
    data.update({key: value for key, value in overrides.items() if value is not None})
    cfg = parse_model(EvaluateConfig, data, args.config)
    with ray_session():
        metrics = run_evaluate(cfg)
    print(markdown_table(metrics))


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
