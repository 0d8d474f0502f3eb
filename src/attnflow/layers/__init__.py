"""Keras layers built on attnflow.ops (one public class per file)."""

from attnflow.layers.bahdanau_attention import BahdanauAttention
from attnflow.layers.dot_product_attention import DotProductAttention
from attnflow.layers.masked_pooling import MaskedPooling
from attnflow.layers.multi_head_attention import MultiHeadAttention
from attnflow.layers.patch_embedding import PatchEmbedding
from attnflow.layers.positional_embedding import PositionalEmbedding
from attnflow.layers.transformer_decoder_block import TransformerDecoderBlock
from attnflow.layers.transformer_encoder_block import TransformerEncoderBlock

__all__ = [
    "BahdanauAttention",
    "DotProductAttention",
    "MaskedPooling",
    "MultiHeadAttention",
    "PatchEmbedding",
    "PositionalEmbedding",
    "TransformerDecoderBlock",
    "TransformerEncoderBlock",
]
