"""A scaling sweep on Ray Tune as a Ray job: task count x samples per task, each trial train -> evaluate.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/sweep.py --config configs/sweep/bloomz-560m.yaml \
        --data s3://ecomgpt-runs/data --output s3://ecomgpt-runs/sweep-560m

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

Re-submit with `--resume` to finish an interrupted sweep without redoing finished trials.

The flags are those of `ecomgpt sweep`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("sweep", argv)


if __name__ == "__main__":
    sys.exit(main())
