"""The paper's findings as a Ray job: base vs fine-tuned, the atomic-task ablation, the scaling curves.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/findings.py --config configs/findings/bloomz-560m.yaml --output s3://ecomgpt-runs/findings-560m

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

Re-submit with `--resume` to finish an interrupted run without redoing finished trials.

The flags are those of `ecomgpt findings`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("findings", argv)


if __name__ == "__main__":
    sys.exit(main())
