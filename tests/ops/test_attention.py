"""`dot_product_attention` ("full" and "chunked") against the float64 reference."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from attnflow import ops
from tests import reference as ref
from tests.reference import B, D, H, TK, TQ

IMPLEMENTATIONS = ["full", "chunked"]
DV = 6
# chunk_size=3 splits Tk=4 into a full and a partial block.
CHUNK = {"full": None, "chunked": 3}
# float64 tolerances. The chunked kernel rounds a Python-float scale through
# float32 (tf.cast of a Python float), which costs it ~1e-8 relative.
TOL64 = {"full": dict(rtol=1e-10, atol=1e-12), "chunked": dict(rtol=1e-6, atol=1e-7)}


def attend(q, k, v, implementation, **kwargs):
    return ops.dot_product_attention(q, k, v, implementation=implementation,
                                     chunk_size=CHUNK[implementation], **kwargs)


@pytest.fixture
def qkv(rng):
    return (rng.normal(size=(B, H, TQ, D)), rng.normal(size=(B, H, TK, D)),
            rng.normal(size=(B, H, TK, DV)))


@pytest.fixture
def qkv32(qkv):
    return tuple(x.astype(np.float32) for x in qkv)


def full_mask(rng):
    """A [B, H, Tq, Tk] mask in which every query row keeps at least one key."""
    mask = rng.random((B, H, TQ, TK)) > 0.5
    mask[..., rng.integers(TK)] = True
    return mask


# Each form is cut from one [B, H, Tq, Tk] mask; the reference gets the explicit broadcast.
MASK_FORMS = {
    "2d [Tq, Tk]": lambda m: m[0, 0],
    "3d [1, Tq, Tk]": lambda m: m[0, :1],
    "3d [H, Tq, Tk]": lambda m: m[0],
    "4d [B, 1, Tq, Tk]": lambda m: m[:, :1],
    "4d [1, 1, Tq, Tk]": lambda m: m[:1, :1],
    "4d [B, H, Tq, Tk]": lambda m: m,
    "4d [B, 1, 1, Tk]": lambda m: m[:, :1, :1],
}


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_matches_reference_float64(qkv, implementation):
    out = attend(*qkv, implementation)
    assert out.shape == (B, H, TQ, DV) and out.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), ref.attention(*qkv)[0], **TOL64[implementation])


def test_full_returns_weights_matching_reference(qkv):
    out, weights = attend(*qkv, "full", return_weights=True)
    expected_out, expected_weights = ref.attention(*qkv)
    assert weights.shape == (B, H, TQ, TK)
    np.testing.assert_allclose(weights.numpy(), expected_weights, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), expected_out, rtol=1e-12)
    np.testing.assert_allclose(weights.numpy().sum(-1), 1.0)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
@pytest.mark.parametrize("form", list(MASK_FORMS))
def test_mask_forms_equal_explicit_mask_reference(qkv32, rng, implementation, dtype, form):
    mask = MASK_FORMS[form](full_mask(rng))
    out = attend(*qkv32, implementation, mask=mask.astype(dtype))
    explicit = np.broadcast_to(mask, (B, H, TQ, TK))
    np.testing.assert_allclose(out.numpy(), ref.attention(*qkv32, mask=explicit)[0], atol=1e-5)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_bias_and_scale(qkv, rng, implementation):
    bias = rng.normal(size=(1, H, TQ, TK))
    out = attend(*qkv, implementation, bias=bias, scale=0.3)
    np.testing.assert_allclose(out.numpy(), ref.attention(*qkv, bias=bias, scale=0.3)[0],
                               **TOL64[implementation])


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_causal_is_bottom_right_aligned(qkv, implementation):
    # Tq=3 < Tk=4: query i sees keys 0 .. i + 1, the last query sees all.
    out = attend(*qkv, implementation, is_causal=True)
    expected, weights = ref.attention(*qkv, is_causal=True)
    np.testing.assert_allclose(out.numpy(), expected, **TOL64[implementation])
    assert np.all(weights[..., 0, 2:] == 0) and np.all(weights[..., -1, :] > 0)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_causal_combines_with_mask(qkv, rng, implementation):
    mask = full_mask(rng)[:, :1, :1]  # [B, 1, 1, Tk]
    mask[..., 0] = True
    out = attend(*qkv, implementation, mask=mask, is_causal=True)
    np.testing.assert_allclose(out.numpy(), ref.attention(*qkv, mask=mask, is_causal=True)[0],
                               **TOL64[implementation])


def fully_masked(mask):
    mask = mask.copy()
    mask[0, :, 1] = False  # query row 1 of batch element 0, every head
    mask[1] = False  # the whole of batch element 1
    return mask


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_fully_masked_rows_give_zero_output_and_finite_gradients(qkv32, rng, implementation):
    mask = fully_masked(full_mask(rng))
    q, k, v = (tf.constant(x) for x in qkv32)
    with tf.GradientTape() as tape:
        tape.watch([q, k, v])
        out = attend(q, k, v, implementation, mask=mask)
        loss = tf.reduce_sum(out ** 2)
    grads = tape.gradient(loss, [q, k, v])
    out = out.numpy()
    assert np.all(np.isfinite(out))
    assert np.all(out[0, :, 1] == 0.0) and np.all(out[1] == 0.0)
    np.testing.assert_allclose(out, ref.attention(*qkv32, mask=mask)[0], atol=1e-5)
    for grad in grads:
        assert np.all(np.isfinite(grad.numpy()))
    assert np.all(grads[0].numpy()[1] == 0.0)


def test_fully_masked_rows_give_zero_weights(qkv, rng):
    _, weights = attend(*qkv, "full", mask=fully_masked(full_mask(rng)), return_weights=True)
    weights = weights.numpy()
    assert np.all(weights[0, :, 1] == 0.0) and np.all(weights[1] == 0.0)
    np.testing.assert_allclose(weights[0, :, [0, 2]].sum(-1), 1.0)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_causal_with_more_queries_than_keys_masks_the_first_rows(rng, implementation):
    q, k, v = rng.normal(size=(1, 1, 4, 2)), rng.normal(size=(1, 1, 2, 2)), rng.normal(size=(1, 1, 2, 3))
    out = attend(q, k, v, implementation, is_causal=True).numpy()
    np.testing.assert_array_equal(out[0, 0, :2], 0.0)
    np.testing.assert_allclose(out, ref.attention(q, k, v, is_causal=True)[0], **TOL64[implementation])


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype, atol", [(tf.float16, 5e-3), (tf.bfloat16, 3e-2)])
def test_low_precision_is_finite_and_close_to_float32(qkv32, rng, implementation, dtype, atol):
    mask = fully_masked(full_mask(rng))
    q, k, v = (tf.cast(x, dtype) for x in qkv32)
    out = attend(q, k, v, implementation, mask=mask)
    assert out.dtype == dtype
    out = tf.cast(out, tf.float32).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, attend(*qkv32, implementation, mask=mask).numpy(), atol=atol * 4)


def test_low_precision_weights_are_float32(qkv32, rng):
    q, k, v = (tf.cast(x, tf.float16) for x in qkv32)
    _, weights = attend(q, k, v, "full", mask=full_mask(rng), return_weights=True)
    assert weights.dtype == tf.float32


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_gradient_matches_numeric_float64(rng, implementation):
    # Small: the numeric Jacobian calls the kernel twice per input element.
    q, k, v = (tf.constant(rng.normal(size=s)) for s in ((1, 1, 2, 3), (1, 1, TK, 3), (1, 1, TK, 2)))
    mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)  # [Tq, Tk]
    theoretical, numerical = tf.test.compute_gradient(
        lambda q, k, v: attend(q, k, v, implementation, mask=mask, is_causal=True), [q, k, v])
    for analytic, numeric in zip(theoretical, numerical):
        assert np.abs(analytic).max() > 1e-3  # the check is not vacuous
        np.testing.assert_allclose(analytic, numeric, atol=1e-6)


def test_dropout_only_when_training(qkv32):
    kwargs = dict(dropout_rate=0.5, seed=3, return_weights=True)
    plain, plain_weights = attend(*qkv32, "full", return_weights=True)
    eval_out, eval_weights = attend(*qkv32, "full", training=False, **kwargs)
    train_out, train_weights = attend(*qkv32, "full", training=True, **kwargs)
    np.testing.assert_array_equal(eval_out.numpy(), plain.numpy())
    assert np.abs(train_out.numpy() - plain.numpy()).max() > 1e-3
    # The weights returned are those before dropout.
    np.testing.assert_array_equal(train_weights.numpy(), plain_weights.numpy())
    again, _ = attend(*qkv32, "full", training=True, **kwargs)
    np.testing.assert_array_equal(again.numpy(), train_out.numpy())


def test_auto_equals_full_on_small_inputs(qkv32):
    np.testing.assert_array_equal(ops.dot_product_attention(*qkv32).numpy(), attend(*qkv32, "full").numpy())


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("jit_compile", [False, True])
def test_runs_in_tf_function(qkv32, rng, implementation, jit_compile):
    mask = full_mask(rng)[:, :1]
    fn = tf.function(lambda q, k, v: attend(q, k, v, implementation, mask=mask, is_causal=True),
                     jit_compile=jit_compile)
    np.testing.assert_allclose(fn(*qkv32).numpy(), ref.attention(*qkv32, mask=mask, is_causal=True)[0],
                               atol=1e-5)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_dynamic_batch_and_lengths_in_tf_function(rng, implementation):
    """A serving signature: B, Tq and Tk unknown when traced."""
    spec = tf.TensorSpec([None, H, None, D], tf.float32)
    fn = tf.function(lambda q, k, v, mask: attend(q, k, v, implementation, mask=mask, is_causal=True),
                     input_signature=[spec, spec, spec, tf.TensorSpec([None, 1, 1, None], tf.bool)])
    for batch, q_len, k_len in ((B, TQ, TK), (1, 2, 7)):
        q, k, v = (rng.normal(size=(batch, H, t, D)).astype(np.float32) for t in (q_len, k_len, k_len))
        mask = rng.random((batch, 1, 1, k_len)) > 0.3
        np.testing.assert_allclose(fn(q, k, v, mask).numpy(),
                                   ref.attention(q, k, v, mask=mask, is_causal=True)[0], atol=1e-5)


@st.composite
def attention_problems(draw):
    b, h = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    q_len, k_len = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    depth, value_depth = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    full_shape = (b, h, q_len, k_len)
    # Any sub-shape that broadcasts to [B, H, Tq, Tk]: drop leading axes, set others to 1.
    rank = draw(st.integers(2, 4))
    shape = tuple(1 if draw(st.booleans()) else size for size in full_shape[4 - rank:])
    mask = draw(st.none() | hnp.arrays(np.bool_, shape))
    floats = st.floats(-3, 3, width=32)
    return dict(
        query=draw(hnp.arrays(np.float32, (b, h, q_len, depth), elements=floats)),
        key=draw(hnp.arrays(np.float32, (b, h, k_len, depth), elements=floats)),
        value=draw(hnp.arrays(np.float32, (b, h, k_len, value_depth), elements=floats)),
        mask=mask, is_causal=draw(st.booleans()),
        implementation=draw(st.sampled_from(IMPLEMENTATIONS)), chunk_size=draw(st.integers(1, 4)),
    )


@settings(max_examples=40, deadline=None)
@given(problem=attention_problems())
def test_property_random_shapes_and_masks_match_reference(problem):
    out = ops.dot_product_attention(**problem).numpy()
    expected, _ = ref.attention(problem["query"], problem["key"], problem["value"],
                                mask=problem["mask"], is_causal=problem["is_causal"])
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=2e-5)


BAD_CALLS = {
    "query of rank 3": (lambda q, k, v: ops.dot_product_attention(q[0], k, v), "query.shape"),
    "key of rank 5": (lambda q, k, v: ops.dot_product_attention(q, k[None], v), "key.shape"),
    "integer query": (lambda q, k, v: ops.dot_product_attention(q.astype(np.int32), k, v), "query.dtype"),
    "mixed dtypes": (lambda q, k, v: ops.dot_product_attention(q, k.astype(np.float64), v), "dtypes"),
    "depth mismatch": (lambda q, k, v: ops.dot_product_attention(q[..., :-1], k, v), "shapes"),
    "length mismatch": (lambda q, k, v: ops.dot_product_attention(q, k, v[:, :, :-1]), "shapes"),
    "batch mismatch": (lambda q, k, v: ops.dot_product_attention(q[:1], k, v), "shapes"),
    "heads mismatch": (lambda q, k, v: ops.dot_product_attention(q, k[:, :1], v[:, :1]), "shapes"),
    "mask of wrong shape": (
        lambda q, k, v: ops.dot_product_attention(q, k, v, mask=np.ones((B, 1, TQ, TK + 1), bool)),
        "mask.shape"),
    "mask of rank 5": (
        lambda q, k, v: ops.dot_product_attention(q, k, v, mask=np.ones((1, B, H, TQ, TK), bool)),
        "mask.shape"),
    "mask with swapped axes": (
        lambda q, k, v: ops.dot_product_attention(q, k, v, mask=np.ones((TK, TQ), bool)), "mask.shape"),
    "bias of wrong shape": (
        lambda q, k, v: ops.dot_product_attention(q, k, v, bias=np.zeros((TQ, TQ), np.float32)),
        "bias.shape"),
    "dropout_rate=1.5": (lambda q, k, v: ops.dot_product_attention(q, k, v, dropout_rate=1.5),
                         "dropout_rate=1.5"),
    "implementation='x'": (lambda q, k, v: ops.dot_product_attention(q, k, v, implementation="x"),
                           "implementation='x'"),
    "chunk_size=0": (lambda q, k, v: ops.dot_product_attention(q, k, v, chunk_size=0), "chunk_size=0"),
    "scale='a'": (lambda q, k, v: ops.dot_product_attention(q, k, v, scale="a"), "scale='a'"),
    "scale=True": (lambda q, k, v: ops.dot_product_attention(q, k, v, scale=True), "scale=True"),
    "scale=[0.5]": (lambda q, k, v: ops.dot_product_attention(q, k, v, scale=[0.5]), "scale=[0.5]"),
    "chunked weights": (
        lambda q, k, v: ops.dot_product_attention(q, k, v, implementation="chunked", return_weights=True),
        "implementation='chunked'"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_bad_arguments_raise_value_error_naming_them(qkv32, case):
    call, name = BAD_CALLS[case]
    with pytest.raises(ValueError, match="Received: ") as error:
        call(*qkv32)
    assert name in str(error.value)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_non_numeric_scale_is_a_value_error_on_both_paths(qkv32, implementation):
    with pytest.raises(ValueError) as error:
        attend(*qkv32, implementation, scale="a")
    assert str(error.value) == "expected scale to be None, a real number or a float tensor. Received: scale='a'"


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("scale", [2, np.float32(0.3), np.float64(0.3), np.array(0.3)],
                         ids=["int", "np.float32", "np.float64", "0-d array"])
def test_numeric_python_and_numpy_scales_are_accepted(qkv32, implementation, scale):
    out = attend(*qkv32, implementation, scale=scale)
    np.testing.assert_allclose(out.numpy(), ref.attention(*qkv32, scale=float(scale))[0], atol=1e-5)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("jit_compile", [False, True])
def test_tensor_scale_stays_allowed_in_tf_function(qkv32, implementation, jit_compile):
    fn = tf.function(lambda q, k, v, scale: attend(q, k, v, implementation, scale=scale),
                     jit_compile=jit_compile)
    for scale in (0.3, 0.7):  # one trace serves every scale value
        out = fn(*qkv32, tf.constant(scale))
        np.testing.assert_allclose(out.numpy(), ref.attention(*qkv32, scale=scale)[0], atol=1e-5)
