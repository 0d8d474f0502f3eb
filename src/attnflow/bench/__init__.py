"""attnflow.bench."""
