"""review tasks."""
