"""attnflow: attention for TensorFlow, done properly."""

from attnflow._quiet import quiet_stderr

with quiet_stderr():  # TensorFlow's C++ start-up banner; see attnflow._quiet
    import tensorflow  # noqa: F401

from attnflow import layers, models, ops  # noqa: E402
# Registers the losses that saved runs name in their compile config (attnflow>PointLoss, ...).
from attnflow.training import losses as _losses  # noqa: E402,F401

__version__ = "0.1.0"
__all__ = ["layers", "models", "ops", "__version__"]
