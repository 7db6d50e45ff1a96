"""The whole pipeline as a Ray job: synth -> generate -> train -> evaluate -> (sweep) -> serve.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/pipeline.py --config configs/local.yaml --output s3://ecomgpt-runs/local

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

`py_modules` ships this checkout's package to the driver and every worker, so the job runs the code
submitted (the cluster's setup commands install the dependencies). A re-submitted job skips finished stages.

The flags are those of `ecomgpt pipeline`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("pipeline", argv)


if __name__ == "__main__":
    sys.exit(main())
