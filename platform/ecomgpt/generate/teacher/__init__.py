"""The teacher stage of `ecomgpt generate`: pseudo labels for raw records from a local or HTTP teacher model."""
