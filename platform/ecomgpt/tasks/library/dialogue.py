"""dialogue tasks."""
