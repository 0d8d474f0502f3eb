"""attnflow.training."""
