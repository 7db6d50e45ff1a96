"""product tasks."""
