"""Pure tensor functions: masks, score functions and the attention kernel.

All attention math of attnflow lives in this package.
"""

from attnflow.ops.attention import dot_product_attention
from attnflow.ops.masks import (
    as_bool_mask,
    causal_mask,
    combine_masks,
    from_additive_mask,
    from_key_padding_mask,
    padding_mask,
    sliding_window_mask,
)
from attnflow.ops.scores import additive_scores, dot_scores, general_scores, scaled_dot_scores
from attnflow.ops.weights import masked_softmax, weighted_sum, weights_dropout

__all__ = [
    "additive_scores",
    "as_bool_mask",
    "causal_mask",
    "combine_masks",
    "dot_product_attention",
    "dot_scores",
    "from_additive_mask",
    "from_key_padding_mask",
    "general_scores",
    "masked_softmax",
    "padding_mask",
    "scaled_dot_scores",
    "sliding_window_mask",
    "weighted_sum",
    "weights_dropout",
]
