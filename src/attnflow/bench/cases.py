"""What the benchmark runs: one attention step per implementation, size and pass.

Four implementations of the same self-attention (batch 1, 8 heads of 64,
d_model 512, float32):

- "attnflow": `attnflow.layers.MultiHeadAttention` (implementation="auto").
- "keras": `keras.layers.MultiHeadAttention` with the same weights.
- "attnflow core": `attnflow.ops.dot_product_attention` on [B, H, N, D].
- "keras core": `keras.ops.dot_product_attention` on [B, N, H, D].

Each runs in float32, or under `--precision mixed_bfloat16` also in
bfloat16: layers with the "mixed_bfloat16" dtype policy (float32 weights,
bfloat16 compute), the cores on bfloat16 query, key and value.

Each case is a `tf.function` that runs the forward pass ("fwd") or the
forward and backward pass ("fwd+bwd", gradients with respect to the inputs
and, for layers, the weights) and returns a scalar, so that calling it waits
for the whole computation.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

BATCH, HEADS, HEAD_DIM = 1, 8, 64
MODEL_DIM = HEADS * HEAD_DIM
IMPLEMENTATIONS = ("attnflow", "keras", "attnflow core", "keras core")
BASELINE = {"attnflow": "keras", "keras": "keras", "attnflow core": "keras core",
            "keras core": "keras core"}


PRECISIONS = ("float32", "mixed_bfloat16")


@dataclass(frozen=True)
class Case:
    """One configuration: implementation, sequence length N, pass and precision."""

    implementation: str
    length: int
    mode: str
    precision: str = "float32"

    @property
    def name(self) -> str:
        suffix = "" if self.precision == "float32" else f" {self.precision}"
        return f"{self.implementation} N={self.length} {self.mode}{suffix}"

    @property
    def label(self) -> str:
        """The implementation as the table shows it: "attnflow" or "attnflow bf16"."""
        return self.implementation + ("" if self.precision == "float32" else " bf16")

    @property
    def flops(self) -> float:
        """Attention-core FLOPs: 4·B·H·N²·D forward (two matmuls); the
        backward pass counts its four matmuls (dV, dP, dQ, dK), so
        fwd+bwd is 3x, whether or not the kernel recomputes the scores."""
        forward = 4.0 * BATCH * HEADS * self.length**2 * HEAD_DIM
        return forward if self.mode == "fwd" else 3.0 * forward

    def materialized_bytes(self) -> int:
        """A lower bound of the memory of a kernel that holds the scores:
        scores and weights forward (2 x [B, H, N, N] float32), plus their
        gradient backward. 0 for attnflow where "auto" picks "chunked"."""
        if self.implementation.startswith("attnflow") and uses_chunked(self.length):
            return 0
        scores = 4 * BATCH * HEADS * self.length**2
        return (2 if self.mode == "fwd" else 3) * scores


def uses_chunked(length: int) -> bool:
    """Whether attnflow's "auto" picks the chunked kernel for N x N self-attention."""
    from attnflow.ops.attention import _resolve_implementation

    query = tf.TensorSpec((BATCH, HEADS, length, HEAD_DIM))
    return _resolve_implementation("auto", query, query, False) == "chunked"


def build(case: Case, seed: int = 0):
    """The case's step, a `tf.function` of no arguments returning a scalar.

    Layers are built and given the same weights (both layers are seeded
    alike); inputs are fixed random tensors.
    """
    keras.utils.set_random_seed(seed)
    if case.implementation in ("attnflow", "keras"):
        return _layer_step(case)
    return _core_step(case)


def _layer_step(case: Case):
    from attnflow.layers import MultiHeadAttention

    tokens = tf.random.normal((BATCH, case.length, MODEL_DIM))
    reference = keras.layers.MultiHeadAttention(HEADS, HEAD_DIM, dtype=case.precision)
    reference(tokens[:, :2], tokens[:, :2])
    layer = reference
    if case.implementation == "attnflow":
        layer = MultiHeadAttention(HEADS, HEAD_DIM, dtype=case.precision)
        layer(tokens[:, :2], tokens[:, :2])
        layer.set_weights(reference.get_weights())
    if case.mode == "fwd":
        return tf.function(lambda: tf.reduce_sum(layer(tokens, tokens)))

    def forward_backward():
        sources = [tokens, *layer.trainable_weights]
        with tf.GradientTape() as tape:
            tape.watch(tokens)
            loss = tf.reduce_sum(tf.square(tf.cast(layer(tokens, tokens), tf.float32)))
        return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, sources)])

    return tf.function(forward_backward)


def _core_step(case: Case):
    from attnflow.ops import dot_product_attention

    shape = (BATCH, case.length, HEADS, HEAD_DIM) if case.implementation == "keras core" else (
        BATCH, HEADS, case.length, HEAD_DIM)
    dtype = tf.bfloat16 if case.precision == "mixed_bfloat16" else tf.float32
    query, key, value = (tf.cast(tf.random.normal(shape), dtype) for _ in range(3))
    core = keras.ops.dot_product_attention if case.implementation == "keras core" else (
        dot_product_attention)

    def attend(query, key, value):
        return tf.cast(core(query, key, value), tf.float32)

    if case.mode == "fwd":
        return tf.function(lambda: tf.reduce_sum(attend(query, key, value)))

    def forward_backward():
        with tf.GradientTape() as tape:
            tape.watch([query, key, value])
            loss = tf.reduce_sum(tf.square(attend(query, key, value)))
        return tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, [query, key, value])])

    return tf.function(forward_backward)


def matmul_step(size: int = 2048, batched: bool = False, dtype=tf.float32):
    """A square matmul (the machine's reference rate in `dtype`) and its FLOPs."""
    keras.utils.set_random_seed(1)
    a, b = (tf.cast(tf.random.normal((size, size)), dtype) for _ in range(2))
    if batched:  # BatchMatMulV2, the op attention's matmuls run on
        a, b = a[None], b[None]
    return tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32))), 2.0 * size**3
