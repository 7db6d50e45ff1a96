"""The task library: importing this package registers every task generator."""

from ecomgpt.tasks.library import annotated, dialogue, product, query, review  # noqa: F401
