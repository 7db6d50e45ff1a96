"""Instruction data on Ray Data as a Ray job: raw records -> held_in/ and held_out/ Parquet + manifest.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/generate.py --config configs/generate/default.yaml \
        --input s3://ecomgpt-runs/records --output s3://ecomgpt-runs/data
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt.config import load_yaml, parse_model
from ecomgpt.data.config import GenerateConfig
from ecomgpt.data.pipeline import plan_generate, run_generate
from ecomgpt.data.summary import summary_table
from ecomgpt.errors import UserError
from ecomgpt.runtime import ray_session


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="generate config YAML (see configs/generate/)")
    parser.add_argument("--output", required=True, help="output directory (path or URI)")
    parser.add_argument("--input", action="append", help="records: file, directory, glob or URI (repeatable)")
    parser.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    args = parser.parse_args(argv)
    data = load_yaml(args.config)
    if args.input:
        data["inputs"] = args.input
    cfg = parse_model(GenerateConfig, data, args.config)
    with ray_session():
        manifest = run_generate(plan_generate(cfg, args.output, overwrite=args.overwrite))
    print(summary_table(manifest))


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
