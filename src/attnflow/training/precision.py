"""`--precision`: which Keras dtype policy a run trains under.

The choices are `attnflow.training.config.PRECISIONS`. "float32",
"mixed_bfloat16" or "mixed_float16" name a Keras mixed-precision
policy (float32 weights, low-precision compute; attention's softmax stays
float32, see `attnflow.ops`). "auto" picks "mixed_bfloat16" where the CPU
multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16, which TensorFlow's
oneDNN uses) and "float32" elsewhere: emulated bfloat16 is slower than float32.
"""

from __future__ import annotations

import contextlib
import functools

import keras

_NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def has_native_bfloat16() -> bool:
    """Whether this machine's CPU has bfloat16 matmul instructions (Linux /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return any(flag in flags for flag in _NATIVE_BFLOAT16_FLAGS)


def resolve_precision(precision: str) -> str:
    """The Keras policy name for a `--precision` value ("auto" decided here)."""
    if precision == "auto":
        return "mixed_bfloat16" if has_native_bfloat16() else "float32"
    return precision


@contextlib.contextmanager
def precision_policy(precision: str):
    """Sets the global Keras dtype policy for the block, and restores the previous one.

    Layers take the global policy when they are created, so building the
    model inside the block is what matters; the policy travels with the
    model's config (resume, model.keras).
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(resolve_precision(precision))
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)
