"""Keras layers built on attnflow.ops (one public class per file)."""

from attnflow.layers.bahdanau_attention import BahdanauAttention
from attnflow.layers.dot_product_attention import DotProductAttention
from attnflow.layers.multi_head_attention import MultiHeadAttention

__all__ = ["BahdanauAttention", "DotProductAttention", "MultiHeadAttention"]
