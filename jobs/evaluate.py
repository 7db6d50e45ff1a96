"""Held-out evaluation as a Ray job: a model -> predictions, Rouge-L and F1, metrics table and charts.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/evaluate.py --config configs/evaluate/gpu.yaml --model s3://ecomgpt-runs/train-7b1/model \
        --heldout-dir s3://ecomgpt-runs/heldout --output s3://ecomgpt-runs/eval-7b1

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

The flags are those of `ecomgpt evaluate`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("evaluate", argv)


if __name__ == "__main__":
    sys.exit(main())
