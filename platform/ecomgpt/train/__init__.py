"""Fine-tuning on Ray Train + DeepSpeed: tokenization, length grouping, mixture control, the loop, export.

from ecomgpt.train import TrainConfig, plan_train, run_train
"""

from ecomgpt.train.config import TrainConfig
from ecomgpt.train.run import plan_train, run_train

__all__ = ["TrainConfig", "plan_train", "run_train"]
