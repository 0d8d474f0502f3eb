"""attnflow.tasks."""
