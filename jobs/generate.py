"""Instruction data on Ray Data as a Ray job: raw records -> held_in/ and held_out/ Parquet + manifest.

    RAY_AUTH_MODE=token ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/generate.py --config configs/generate/default.yaml \
        --input s3://ecomgpt-runs/records --output s3://ecomgpt-runs/data

`RAY_AUTH_MODE=token` makes the client send the cluster's token (`~/.ray/auth_token`; README, "Cluster").

The flags are those of `ecomgpt generate`, `--set KEY=VALUE` included.
"""

from __future__ import annotations

import sys

from ecomgpt.cli import run_stage


def main(argv: list[str] | None = None) -> int:
    return run_stage("generate", argv)


if __name__ == "__main__":
    sys.exit(main())
