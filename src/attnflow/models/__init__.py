"""attnflow.models."""

# Sequence classifiers (issue 4).
from attnflow.models.rnn_with_attention import RNNWithAttention  # noqa: E402
from attnflow.models.transformer_classifier import TransformerClassifier  # noqa: E402

__all__ = [*globals().get("__all__", []), "RNNWithAttention", "TransformerClassifier"]
