"""attnflow.models."""
