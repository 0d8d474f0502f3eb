"""The forecaster's Transformer encoder: its block's settings, and the files saved before issue #11.

`AttentionForecaster(encoder="transformer")` stacks
`attnflow.layers.TransformerEncoderBlock`s. Until issue #11 it stacked its
own `ForecastEncoderBlock`, the same block under another name, config and
weight layout; `ForecastEncoderBlock` below is kept only so that what was
saved then still loads: a forecaster's run (`legacy_block_layout`) and a
model holding the bare block (its registered name, `attnflow>ForecastEncoderBlock`).
"""

from __future__ import annotations

import keras

from attnflow.layers import TransformerEncoderBlock
from attnflow.ops import as_bool_mask, combine_masks

# Keras's default, which the forecaster's former block used.
LAYER_NORM_EPSILON = 1e-3


def encoder_block_arguments(units: int, num_heads: int, dropout: float, seed: int | None,
                            ffn_units: int | None = None) -> dict:
    """The TransformerEncoderBlock arguments of the forecaster's encoder blocks.

    Pre-norm with GELU, a feed-forward width of 2 * units (or `ffn_units`),
    `dropout` on the attention weights and on both residual branches.
    """
    return {"num_heads": num_heads, "intermediate_dim": ffn_units or 2 * units,
            "key_dim": units // num_heads, "dropout": dropout, "attention_dropout": dropout,
            "activation": "gelu", "norm_first": True, "layer_norm_epsilon": LAYER_NORM_EPSILON,
            "seed": seed}


# The sub-layers' attribute names in files saved before #11 (Keras saves a
# sub-layer under the attribute that holds it).
_SAVED_NAMES = {"feedforward_norm": "ffn_norm", "intermediate_dense": "ffn_hidden",
                "output_dense": "ffn_output"}


@keras.saving.register_keras_serializable(package="attnflow")
class ForecastEncoderBlock(TransformerEncoderBlock):
    """A TransformerEncoderBlock as the forecaster saved it before issue #11 (for loading only).

    It reads the old config (units, num_heads, ffn_units, dropout, seed)
    and shows `keras.saving` the old sub-layer names (ffn_norm, ffn_hidden,
    ffn_output). The math is TransformerEncoderBlock's; new code builds
    `TransformerEncoderBlock(**encoder_block_arguments(...))` instead.

    Call arguments:
        inputs: [B, L, units].
        step_observed: optional [B, L] bool, True where a step may be
            attended to (the old call); the other arguments are
            TransformerEncoderBlock's.

    Returns:
        As TransformerEncoderBlock: [B, L, units] (and the weights).
    """

    @classmethod
    def from_config(cls, config):
        if "units" in config:  # the old config
            config = dict(config)
            old = {name: config.pop(name, None) for name in ("units", "num_heads", "ffn_units", "dropout", "seed")}
            config.update(encoder_block_arguments(old["units"], old["num_heads"], old["dropout"] or 0.0,
                                                  old["seed"], old["ffn_units"]))
        return super().from_config(config)

    def __dir__(self):
        # keras.saving walks a layer's attributes by name; these are the names the old files hold.
        return sorted((set(super().__dir__()) - set(_SAVED_NAMES)) | set(_SAVED_NAMES.values()))

    ffn_norm = property(lambda self: self.feedforward_norm)
    ffn_hidden = property(lambda self: self.intermediate_dense)
    ffn_output = property(lambda self: self.output_dense)

    def call(self, inputs, step_observed=None, mask=None, attention_mask=None,
             return_attention_scores=False, training=None):
        if step_observed is not None:  # every query may attend to the observed steps
            attention_mask = combine_masks(attention_mask, as_bool_mask(step_observed)[:, None, :])
        return super().call(inputs, mask=mask, attention_mask=attention_mask,
                            return_attention_scores=return_attention_scores, training=training)


def legacy_block_layout(forecaster) -> None:
    """Makes a forecaster's (unbuilt) encoder blocks load from a file saved before issue #11.

    Such a file holds them as ForecastEncoderBlocks, under its sub-layer
    names; the blocks become that class, which adds no state and no math.
    """
    for model in forecaster.member_models or [forecaster]:
        if model.encoder == "transformer":
            for block in model.encoder_layers:
                block.__class__ = ForecastEncoderBlock
