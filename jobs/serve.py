"""Serving as a Ray job: deploy the Ray Serve application onto the cluster and return.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/serve.py --config configs/serve/cluster.yaml --output s3://ecomgpt-runs/local

With `--output`, the run directory's model (`<output>/train/model`) is served as `--name`; without it,
the config's models are. Serve applications outlive the job that deployed them: the job ends once the
application is running, and `serve shutdown` (or `ray down`) stops it.
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt import storage
from ecomgpt.errors import UserError
from ecomgpt.runtime import ray_session
from ecomgpt.serve.app import build_from_config
from ecomgpt.serve.config import cli_config
from ecomgpt.serve.run import start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="Serve config file (see configs/serve/)")
    parser.add_argument("--output", help="a pipeline run directory whose train/model to serve (path or URI)")
    parser.add_argument("--name", default="ecomgpt", help="the served model name (with --output)")
    args = parser.parse_args(argv)
    models = [f"{args.name}={storage.join(args.output, 'train', 'model')}"] if args.output else None
    cfg, host, port = cli_config(args.config, models, None, None)
    app = build_from_config(cfg)
    with ray_session():
        url = start(app, host, port)
    print(f"serving {', '.join(sorted(cfg.models))} at {url}/v1")


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
