"""Fine-tuning on Ray Train + DeepSpeed as a Ray job: instruction data -> checkpoints and `<output>/model/`.

    ray job submit --working-dir . --runtime-env-json '{"py_modules": ["platform/ecomgpt"]}' -- \
        python jobs/train.py --config configs/train/bloomz-7b1.yaml \
        --data s3://ecomgpt-runs/data --output s3://ecomgpt-runs/train-7b1

The job's driver stays on the head; the training workers ask for GPUs, so the autoscaler starts GPU nodes.
"""

from __future__ import annotations

import argparse
import sys

from ecomgpt.config import load_model
from ecomgpt.errors import UserError
from ecomgpt.runtime import ray_session
from ecomgpt.train.config import TrainConfig
from ecomgpt.train.run import run_train


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="train config YAML (see configs/train/)")
    parser.add_argument("--output", required=True, help="run directory (path or URI)")
    parser.add_argument("--data", required=True, help="a generate output directory (path or URI)")
    parser.add_argument("--max-steps", type=int, help="optimizer steps (overrides the config)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output")
    args = parser.parse_args(argv)
    cfg = load_model(TrainConfig, args.config)
    with ray_session():
        result = run_train(cfg, args.data, args.output, resume=args.resume, max_steps=args.max_steps)
    print(f"trained {result['steps']} steps, final loss {result['final_loss']:.4f}; model: {result['model_path']}")


if __name__ == "__main__":
    try:
        main()
    except UserError as err:
        sys.exit(f"error: {err}")
