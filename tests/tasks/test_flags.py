"""What the command line shows of each task comes from a module without TensorFlow,
and says what the task itself accepts."""

from __future__ import annotations

import subprocess
import sys

from attnflow import tasks
from attnflow.tasks.classification import flags as classification_flags
from attnflow.tasks.forecast import flags as forecast_flags
from attnflow.tasks.translation import flags as translation_flags


def test_every_task_has_flags_and_inherits_them():
    assert set(tasks.TASK_FLAGS) == set(tasks.TASKS)
    for name in tasks.TASKS:
        flags = tasks.task_flags(name)
        assert flags.name == name and flags.summary
        assert isinstance(tasks.get_task(name), type(flags))  # one summary, one set of flags


def test_the_names_the_flags_list_are_those_the_task_accepts():
    from attnflow.data.builtin_panels import BUILTIN_PANELS
    from attnflow.data.builtin_series import BUILTIN_SERIES, DEFAULT_SERIES
    from attnflow.data.fashion_mnist import DATASET
    from attnflow.data.sequences import BUILTIN_DATASETS
    from attnflow.models.attention_forecaster import ATTENTIONS as FORECASTER_ATTENTIONS
    from attnflow.models.seq2seq_attention import ATTENTIONS as SEQ2SEQ_ATTENTIONS

    assert forecast_flags.SERIES_NAMES == tuple(sorted(BUILTIN_SERIES))
    assert forecast_flags.PANEL_NAMES == tuple(sorted(BUILTIN_PANELS))
    assert forecast_flags.DEFAULT_SERIES == DEFAULT_SERIES
    assert classification_flags.IMAGE_DATASET == DATASET
    assert forecast_flags.ATTENTIONS == FORECASTER_ATTENTIONS
    assert translation_flags.ATTENTIONS == SEQ2SEQ_ATTENTIONS
    assert classification_flags.SEQUENCE_DATASETS == BUILTIN_DATASETS


def test_help_imports_no_tensorflow_nor_pandas():
    code = ("import sys, contextlib, io\n"
            "sys.argv = ['attnflow']  # as the command starts (a program's import registers the layers)\n"
            "import attnflow, attnflow.cli\n"
            "for argv in (['--help'], ['train', '--help'], ['train', 'forecast', '--help'],\n"
            "             ['train', 'text', '--help'], ['train', 'dates', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "        attnflow.cli.main(argv)\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'pandas', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_unknown_task_flags_are_an_error():
    import pytest

    with pytest.raises(ValueError, match=r"expected a task among \[.*'dates'"):
        tasks.task_flags("nope")
