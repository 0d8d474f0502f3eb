"""`HeadProjection`: the projections of `MultiHeadAttention`, as one 2-D matmul.

`keras.layers.EinsumDense` lowers "abc,cde->abde" on TensorFlow to a
`BatchMatMulV2` of the [B, T, c] input with the [c, d*e] kernel. For the few
rows of a decoding step that op costs about 60 us on a 2-core CPU where a
`MatMul` of the same [B*T, c] rows takes about 23 us, and a cached step of
`MultiHeadAttention` runs four projections: a seventh to a fifth of its time.
For thousands of rows the two ops run at the same speed.
"""

from __future__ import annotations

import math

import keras

from attnflow._validation import fail


@keras.saving.register_keras_serializable(package="attnflow")
class HeadProjection(keras.layers.EinsumDense):
    """An `EinsumDense` that computes its einsum as [rows, in] x [in, out] where it can.

    It takes the arguments of `keras.layers.EinsumDense` and holds the same
    weights. Equations that contract the input's last k axes with the
    kernel's first k, in order, and whose output is the input's other axes
    followed by the kernel's other axes ("abc,cde->abde", "abcd,cde->abe",
    "abcd,cdef->abef") run as a `MatMul` of the flattened input and kernel;
    any other equation runs as `EinsumDense` does. The kernel is read as the
    layer's `kernel` property, so LoRA and mixed precision apply as there;
    quantized layers keep Keras's own call.

    Call arguments:
        inputs: [..., *contracted axes].

    Returns:
        [..., *kernel's output axes], with the bias added and the activation
        applied as `EinsumDense` does.
    """

    def __init__(self, equation: str, output_shape, **kwargs):
        super().__init__(equation, output_shape, **kwargs)
        self._contracted = contracted_axes(equation)

    def call(self, inputs, training=None):
        if self._contracted is None:
            return super().call(inputs, training=training)
        contracted = self._contracted
        kernel = self.kernel  # [*contracted, *out]
        expected, received = tuple(kernel.shape[:contracted]), tuple(inputs.shape[-contracted:])
        if any(want != got for want, got in zip(expected, received) if got is not None):
            # else a reshape fails deep in TensorFlow, naming no argument
            fail(f"inputs of shape [..., {', '.join(map(str, expected))}], as the layer was built",
                 **{"inputs.shape": tuple(inputs.shape)})
        in_shape = keras.ops.shape(inputs)
        in_size = math.prod(int(size) for size in kernel.shape[:contracted])
        out_shape = tuple(kernel.shape[contracted:])
        rows = keras.ops.reshape(inputs, (-1, in_size))  # [rows, in]
        product = keras.ops.matmul(rows, keras.ops.reshape(kernel, (in_size, -1)))  # [rows, out]
        outputs = keras.ops.reshape(product, (*in_shape[:-contracted], *out_shape))  # [..., *out]
        if self.bias is not None:
            outputs = keras.ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


def contracted_axes(equation: str) -> int | None:
    """How many trailing input axes `equation` contracts with the leading
    kernel axes, when its output is the input's other axes followed by the
    kernel's other axes; None for any other equation (or one with "...")."""
    try:
        operands, output = equation.replace(" ", "").split("->")
        inputs, kernel = operands.split(",")
    except ValueError:
        return None
    if "." in equation:
        return None
    count = sum(letter in inputs for letter in kernel)
    if (count == 0 or kernel[:count] != inputs[len(inputs) - count:]
            or output != inputs[:len(inputs) - count] + kernel[count:]):
        return None
    return count

