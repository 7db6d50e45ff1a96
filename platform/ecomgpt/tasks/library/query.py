"""query tasks."""
