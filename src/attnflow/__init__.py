"""attnflow: attention for TensorFlow, done properly."""

from attnflow import layers, ops

__version__ = "0.1.0"
__all__ = ["layers", "ops", "__version__"]
