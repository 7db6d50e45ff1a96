"""ecomgpt: e-commerce instruction data, fine-tuning, evaluation, scaling sweeps and serving on Ray."""

__version__ = "0.1.0"
