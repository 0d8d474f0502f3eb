"""attnflow.explain."""
