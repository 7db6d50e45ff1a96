"""The whole pipeline as a Ray job: synth -> generate -> train -> evaluate -> (sweep) -> serve.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/pipeline.py --config configs/local.yaml --output s3://ecomgpt-runs/local

`py_modules` ships this checkout's package to the driver and every worker, so the job runs the code
submitted (the cluster's setup commands install the dependencies). A re-submitted job skips finished stages.
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt.config import load_model
from ecomgpt.errors import UserError
from ecomgpt.pipeline import run_pipeline
from ecomgpt.pipeline_config import PipelineConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/local.yaml", help="pipeline config YAML")
    parser.add_argument("--output", help="run directory, a path or URI (overrides the config)")
    args = parser.parse_args(argv)
    cfg = load_model(PipelineConfig, args.config)
    if args.output:
        cfg = cfg.model_copy(update={"output": args.output})
    run_pipeline(cfg)


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
