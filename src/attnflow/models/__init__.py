"""Keras models built on attnflow.layers: classifiers, a translator and a forecaster."""

from attnflow.models.attention_forecaster import AttentionForecaster, ForecasterConfig
from attnflow.models.raw_text_classifier import RawTextClassifier
from attnflow.models.rnn_with_attention import RNNWithAttention, RNNWithAttentionConfig
from attnflow.models.seq2seq_attention import Seq2SeqAttention, Seq2SeqConfig
from attnflow.models.transformer_classifier import TransformerClassifier, TransformerClassifierConfig
from attnflow.models.vision_transformer import VisionTransformer

__all__ = [
    "AttentionForecaster",
    "ForecasterConfig",
    "RNNWithAttention",
    "RNNWithAttentionConfig",
    "RawTextClassifier",
    "Seq2SeqAttention",
    "Seq2SeqConfig",
    "TransformerClassifier",
    "TransformerClassifierConfig",
    "VisionTransformer",
]
