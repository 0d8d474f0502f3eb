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
        "['Forecaster',", "'ImageClassifier',", "'SequenceClassifier',", "'TextClassifier',", "'Translator',",
        "'__version__',", "'layers',", "'load',", "'models',", "'ops']",
        "AttentionForecaster", "MultiHeadAttention", "dot_product_attention"]


def test_the_command_imports_tensorflow_only_when_asked(tmp_path):
    script = tmp_path / "attnflow"  # what the console script is called
    script.write_text("import sys, attnflow; print('tensorflow' in sys.modules); "
                      "attnflow.layers; print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_python_m_attnflow_help_imports_no_tensorflow():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "attnflow", "--help"],
                            capture_output=True, text=True, check=True)
    assert "usage: attnflow" in result.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    assert "attnflow.cli" in imported and "tensorflow" not in imported


def test_a_program_importing_attnflow_can_load_its_saved_models(tmp_path):
    # The layers and models register with Keras on `import attnflow`, as in every release before:
    # a model saved here loads in a fresh program that imports attnflow and nothing of it by name.
    import keras

    import attnflow

    keras.Sequential([keras.Input((3, 4)), attnflow.layers.PositionalEmbedding(4)]).save(tmp_path / "m.keras")
    code = (f"import attnflow, keras; m = keras.models.load_model({str(tmp_path / 'm.keras')!r}); "
            "print(type(m.layers[0]).__name__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["PositionalEmbedding"]


def test_layers_and_models_list_their_exports_plainly():
    import attnflow.layers
    import attnflow.models

    for package in (attnflow.layers, attnflow.models):
        assert package.__all__ == sorted(set(package.__all__))
        for name in package.__all__:
            exported = getattr(package, name)
            assert exported.__name__ == name and exported.__module__.startswith(package.__name__ + ".")
        public = {name for name, value in vars(package).items() if isinstance(value, type)}
        assert public == set(package.__all__)
