"""Keras layers built on attnflow.ops (one public class per file)."""

from attnflow.layers.bahdanau_attention import BahdanauAttention
from attnflow.layers.dot_product_attention import DotProductAttention
from attnflow.layers.multi_head_attention import MultiHeadAttention

__all__ = ["BahdanauAttention", "DotProductAttention", "MultiHeadAttention"]

# Transformer blocks, positions and pooling (issue 4).
from attnflow.layers.masked_pooling import MaskedPooling
from attnflow.layers.positional_embedding import PositionalEmbedding
from attnflow.layers.transformer_decoder_block import TransformerDecoderBlock
from attnflow.layers.transformer_encoder_block import TransformerEncoderBlock

__all__ += ["MaskedPooling", "PositionalEmbedding", "TransformerDecoderBlock", "TransformerEncoderBlock"]

# Images (issue 15).
from attnflow.layers.patch_embedding import PatchEmbedding

__all__ += ["PatchEmbedding"]
