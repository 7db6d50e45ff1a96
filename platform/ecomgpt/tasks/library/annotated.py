"""annotated tasks."""
