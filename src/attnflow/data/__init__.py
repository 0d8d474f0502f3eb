"""attnflow.data."""
