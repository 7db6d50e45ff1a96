"""Serving as a Ray job: deploy the Ray Serve application onto the cluster and return.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/serve.py --config configs/serve/cluster.yaml --output s3://ecomgpt-runs/local

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

With `--output`, the run directory's model (`<output>/train/model`) is served as `--name`; without it,
the config's models are. Serve applications outlive the job that deployed them: the job ends once the
application is running, and `serve shutdown` (or `ray down`) stops it.

The flags are those of `ecomgpt serve` with `--deploy`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("serve", argv, "--deploy")


if __name__ == "__main__":
    sys.exit(main())
