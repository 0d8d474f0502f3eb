"""`import attnflow` gives the public packages DESIGN.md names, without further imports."""

from __future__ import annotations

import subprocess
import sys


def test_import_attnflow_exposes_layers_models_and_ops():
    # A fresh interpreter: in this process the test suite has imported every subpackage already.
    code = ("import attnflow; "
            "print(sorted(attnflow.__all__), attnflow.models.AttentionForecaster.__name__, "
            "attnflow.layers.MultiHeadAttention.__name__, attnflow.ops.dot_product_attention.__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [
        "['Forecaster',", "'SequenceClassifier',", "'TextClassifier',", "'Translator',",
        "'__version__',", "'layers',", "'load',", "'models',", "'ops']",
        "AttentionForecaster", "MultiHeadAttention", "dot_product_attention"]


def test_import_attnflow_does_not_import_tensorflow_until_asked():
    code = ("import sys, attnflow; print('tensorflow' in sys.modules); "
            "attnflow.Forecaster; print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
