"""Silencing what C++ libraries print straight to file descriptor 2."""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_stderr():
    """Sends file descriptor 2 to /dev/null inside the block.

    TensorFlow's C++ start-up lines (CUDA probing on a machine without a GPU,
    oneDNN and CPU-feature notes) are written there before any log level
    applies; they are not actionable and would bury a one-line error of the
    `attnflow` command. Python exceptions still propagate.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow_import() -> None:
    """Imports TensorFlow (once) with its C++ start-up lines silenced."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_stderr():
        import tensorflow  # noqa: F401


def quiet_tensorflow_start() -> None:
    """Starts TensorFlow's runtime (once) with its C++ start-up lines silenced: on a
    machine without a GPU, "E0000 ... failed call to cuInit" at the first operation.
    Not when TF_CONFIG names a cluster: the runtime must start as the cluster is
    joined (attnflow.training), and a later start would print the line anyway."""
    global _started
    if _started or os.environ.get("TF_CONFIG"):
        return
    quiet_tensorflow_import()
    with quiet_stderr():
        import tensorflow as tf

        tf.constant(0)  # initializes the devices
    _started = True


_started = False
