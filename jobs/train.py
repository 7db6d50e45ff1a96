"""Fine-tuning on Ray Train + DeepSpeed as a Ray job: instruction data -> checkpoints and `<output>/model/`.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/train.py --config configs/train/bloomz-7b1.yaml \
        --data s3://ecomgpt-runs/data --output s3://ecomgpt-runs/train-7b1

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

The job's driver stays on the head; the training workers ask for GPUs, so the autoscaler starts GPU nodes.

The flags are those of `ecomgpt train`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("train", argv)


if __name__ == "__main__":
    sys.exit(main())
