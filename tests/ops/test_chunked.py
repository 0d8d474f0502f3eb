"""The chunked kernel against the full one: outputs and gradients, masks, dropout, tiling."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow import ops
from attnflow.ops.attention import _resolve_implementation
from attnflow.ops.chunked_tiles import Tiling
from attnflow.ops.positional_dropout import draw_seed, keep_mask

RTOL = 1e-5  # the contract: float32, relative to the largest entry


def attend_with_grads(q, k, v, bias=None, run="eager", **kwargs):
    """Output and gradients of a nonlinear loss wrt q, k, v (and bias)."""

    def compute(q, k, v, bias):
        sources = [q, k, v] + ([bias] if bias is not None else [])
        with tf.GradientTape() as tape:
            tape.watch(sources)
            out = ops.dot_product_attention(q, k, v, bias=bias, **kwargs)
            loss = tf.reduce_sum(out * tf.cos(3.0 * out + 1.0))
        return [out] + tape.gradient(loss, sources)

    if run != "eager":
        compute = tf.function(compute, jit_compile=run == "xla")
    return [t.numpy() for t in compute(q, k, v, bias)]


def assert_close(got, want, names="out dq dk dv dbias".split()):
    assert len(got) == len(want)
    for name, g, w in zip(names, got, want):
        assert np.isfinite(g).all(), name
        scale = max(np.abs(w).max(), 1e-2)
        assert np.abs(g - w).max() <= RTOL * scale, (name, np.abs(g - w).max() / scale)


def random_case(rng, case: int):
    """Random sizes, a mask in one of its accepted forms, maybe a bias and causal."""
    b, h = rng.integers(1, 3, size=2)
    q_len, k_len = rng.integers(1, 12, size=2)
    d, dv = rng.integers(1, 6, size=2)
    q, k, v = (tf.constant(rng.normal(size=s), tf.float32)
               for s in ((b, h, q_len, d), (b, h, k_len, d), (b, h, k_len, dv)))
    masks = [None, rng.random((b, 1, 1, k_len)) > 0.3, rng.random((q_len, k_len)) > 0.3,
             (rng.random((b, h, q_len, k_len)) > 0.5).astype("int32")]
    biases = [None, (1, h, q_len, k_len), (b, 1, 1, k_len), (h, 1, k_len), (q_len, k_len)]
    bias_shape = biases[case % len(biases)]
    bias = None if bias_shape is None else tf.constant(rng.normal(size=bias_shape), tf.float32)
    kwargs = dict(mask=masks[case % len(masks)], is_causal=bool(case % 3 == 0))
    return (q, k, v), bias, kwargs, int(rng.integers(1, 6))


@pytest.mark.parametrize("case, run", [(case, ("eager", "graph", "xla")[case % 3]) for case in range(15)])
def test_chunked_and_auto_match_full(case, run):
    rng = np.random.default_rng(case)
    qkv, bias, kwargs, chunk_size = random_case(rng, case)
    want = attend_with_grads(*qkv, bias=bias, implementation="full", **kwargs)
    got = attend_with_grads(*qkv, bias=bias, run=run, implementation="chunked",
                            chunk_size=chunk_size, **kwargs)
    assert_close(got, want)
    if run != "eager":
        assert_close(attend_with_grads(*qkv, bias=bias, run=run, **kwargs), want)


@pytest.mark.parametrize("q_len, k_len, chunk_size", [(8, 8, 2), (3, 8, 2), (8, 3, 3), (7, 11, 3),
                                                     (7, 11, 16)])
def test_causal_tiles_match_full(q_len, k_len, chunk_size):
    rng = np.random.default_rng(q_len * 100 + k_len)
    q, k, v = (tf.constant(rng.normal(size=(1, 2, n, 4)), tf.float32) for n in (q_len, k_len, k_len))
    want = attend_with_grads(q, k, v, implementation="full", is_causal=True)
    got = attend_with_grads(q, k, v, implementation="chunked", chunk_size=chunk_size, is_causal=True)
    assert_close(got, want)


def test_rows_with_no_key_give_zero_output_and_finite_gradients():
    rng = np.random.default_rng(1)
    q, k, v = (tf.constant(rng.normal(size=(2, 1, n, 3)), tf.float32) for n in (5, 6, 6))
    mask = np.ones((2, 1, 5, 6), bool)
    mask[0, 0, 1] = False  # one query row sees nothing
    mask[1, 0, :, 3:] = False  # a whole key block hidden
    for run in ("eager", "xla"):
        got = attend_with_grads(q, k, v, run=run, mask=mask, implementation="chunked", chunk_size=3)
        assert_close(got, attend_with_grads(q, k, v, mask=mask, implementation="full"))
        np.testing.assert_array_equal(got[0][0, 0, 1], 0.0)
        np.testing.assert_array_equal(got[1][0, 0, 1], 0.0)  # no gradient reaches that query


def test_more_queries_than_keys_with_causal_mask():
    # Queries 0 .. Tq - Tk - 1 precede every key: output 0, as in the full path.
    rng = np.random.default_rng(2)
    q, k, v = (tf.constant(rng.normal(size=(1, 1, n, 2)), tf.float32) for n in (7, 3, 3))
    got = attend_with_grads(q, k, v, implementation="chunked", chunk_size=2, is_causal=True)
    assert_close(got, attend_with_grads(q, k, v, implementation="full", is_causal=True))
    np.testing.assert_array_equal(got[0][0, 0, :4], 0.0)


def dropout_reference(q, k, v, keep, rate):
    """Full attention with a given keep mask, by plain autodiff."""
    with tf.GradientTape() as tape:
        tape.watch([q, k, v])
        scores = tf.matmul(q, k, transpose_b=True) / np.sqrt(q.shape[-1])
        dropped = tf.nn.softmax(scores) * tf.cast(keep, tf.float32) / (1.0 - rate)
        out = tf.matmul(dropped, v)
        loss = tf.reduce_sum(out * tf.cos(3.0 * out + 1.0))
    return [out.numpy()] + [g.numpy() for g in tape.gradient(loss, [q, k, v])]


@pytest.mark.parametrize("run", ["eager", "graph", "xla"])
def test_dropout_is_the_same_in_forward_backward_and_full(run):
    rng = np.random.default_rng(3)
    q, k, v = (tf.constant(rng.normal(size=(2, 2, n, 4)), tf.float32) for n in (5, 7, 7))
    rate = 0.4
    kwargs = dict(dropout_rate=rate, training=True, seed=11)
    got = attend_with_grads(q, k, v, run=run, implementation="chunked", chunk_size=3, **kwargs)
    keep = keep_mask(draw_seed(11), 2, 2, tf.range(5), tf.range(7), rate)
    assert 0.3 < 1.0 - np.mean(keep) < 0.5
    assert_close(got, dropout_reference(q, k, v, keep, rate))
    assert_close(got, attend_with_grads(q, k, v, run=run, implementation="full", **kwargs))


def test_dropout_seeds_and_training_flag():
    rng = np.random.default_rng(4)
    q, k, v = (tf.constant(rng.normal(size=(1, 2, 6, 4)), tf.float32) for _ in range(3))

    def run(**kwargs):
        return ops.dot_product_attention(q, k, v, implementation="chunked", chunk_size=4,
                                         dropout_rate=0.5, **kwargs).numpy()

    np.testing.assert_array_equal(run(training=True, seed=1), run(training=True, seed=1))
    assert not np.allclose(run(training=True, seed=1), run(training=True, seed=2))
    generator = keras.random.SeedGenerator(5)
    assert not np.allclose(run(training=True, seed=generator), run(training=True, seed=generator))
    np.testing.assert_allclose(run(training=False, seed=1),
                               ops.dot_product_attention(q, k, v, implementation="full").numpy(),
                               rtol=1e-5, atol=1e-6)


def test_dropout_mask_statistics():
    keep = keep_mask(draw_seed(7), 2, 3, tf.range(64), tf.range(96), 0.25).numpy()
    assert abs(keep.mean() - 0.75) < 0.01
    # Heads, batch rows, neighbouring positions: no two slices alike.
    assert 0.5 < (keep[0, 0] == keep[0, 1]).mean() < 0.7
    assert 0.5 < (keep[0, 0] == keep[1, 0]).mean() < 0.7
    assert 0.5 < (keep[0, 0, :, 1:] == keep[0, 0, :, :-1]).mean() < 0.7


def test_float16_inputs_accumulate_in_float32():
    rng = np.random.default_rng(5)
    q, k, v = (rng.normal(size=(1, 2, 9, 4)) for _ in range(3))
    half = [tf.constant(x, tf.float16) for x in (q, k, v)]
    out = ops.dot_product_attention(*half, implementation="chunked", chunk_size=4, is_causal=True)
    assert out.dtype == tf.float16
    want = ops.dot_product_attention(*[tf.constant(x, tf.float32) for x in (q, k, v)],
                                     implementation="full", is_causal=True)
    np.testing.assert_allclose(out.numpy().astype(np.float32), want.numpy(), atol=2e-2)


def test_chunked_weights_are_a_clear_error():
    q = tf.zeros((1, 1, 2, 2))
    with pytest.raises(ValueError, match="return_weights=True.*Received: implementation='chunked'"):
        ops.dot_product_attention(q, q, q, implementation="chunked", return_weights=True)


def test_causal_tiles_above_the_diagonal_are_skipped():
    # 8 x 8 causal scores in 2 x 2 tiles: query block i visits key blocks 0 .. i,
    # of which only the diagonal one is masked.
    q = tf.zeros((1, 1, 8, 1))
    tiling = Tiling.create(q, q, 2, 2, is_causal=True, has_mask=False)
    for i in range(4):
        assert [int(x) for x in tiling.key_ranges(i)] == [i, i + 1]
        start, clean = tiling.query_ranges(i)
        assert (int(start), int(clean)) == (i, i + 1)
    # Two keys more than queries (decoding against a cache): row i sees i + 2 keys.
    tiling = Tiling.create(q[:, :, :6], q, 2, 2, is_causal=True, has_mask=False)
    assert [[int(x) for x in tiling.key_ranges(i)] for i in range(3)] == [[1, 2], [2, 3], [3, 4]]


def test_auto_picks_chunked_once_all_scores_pass_512_mib_unless_weights_are_asked():
    def pick(batch, heads, q_len, k_len, weights=False, implementation="auto"):
        query, key = tf.TensorSpec((batch, heads, q_len, 8)), tf.TensorSpec((batch, heads, k_len, 8))
        return _resolve_implementation(implementation, query, key, weights)

    assert pick(1, 8, 4096, 4096) == "full"  # 2^27 entries: still full
    assert pick(1, 8, 4096, 4097) == "chunked"
    assert pick(8, 8, 2048, 2048) == "chunked"  # the batch counts
    assert pick(None, 8, 8192, 8192) == "chunked"
    assert pick(1, 8, 1, None) == "full"  # unknown lengths (decoding)
    assert pick(1, 8, 8192, 8192, weights=True) == "full"
    assert pick(1, 8, 8192, 8192, implementation="full") == "full"
