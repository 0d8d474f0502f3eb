"""attnflow.models."""

# Sequence classifiers (issue 4).
from attnflow.models.rnn_with_attention import RNNWithAttention  # noqa: E402
from attnflow.models.transformer_classifier import TransformerClassifier  # noqa: E402

__all__ = [*globals().get("__all__", []), "RNNWithAttention", "TransformerClassifier"]

# Translation (issue 3).
from attnflow.models.seq2seq_attention import Seq2SeqAttention, Seq2SeqConfig  # noqa: E402

__all__ = [*__all__, "Seq2SeqAttention", "Seq2SeqConfig"]

# Forecasting (issue 5).
from attnflow.models.attention_forecaster import AttentionForecaster, ForecasterConfig  # noqa: E402

__all__ = [*__all__, "AttentionForecaster", "ForecasterConfig"]

# Images (issue 15).
from attnflow.models.vision_transformer import VisionTransformer  # noqa: E402

__all__ = [*__all__, "VisionTransformer"]
