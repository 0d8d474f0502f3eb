"""What the command line shows of a task, importable without TensorFlow.

`attnflow --help`, `attnflow train --help` and `attnflow train TASK --help`
read a task's name, summary, attention names and flags from its `TaskFlags`
class (`attnflow.tasks.TASK_FLAGS`), in a module of its family's package
that imports neither TensorFlow nor the task's data libraries, so that help
comes in a fraction of a second. The task class itself inherits from it
(`class ForecastTask(ForecastFlags, Task)`), so both say the same.
"""

from __future__ import annotations

from typing import ClassVar


class TaskFlags:
    """A task's face on the command line: no data, no model, no TensorFlow."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""  # one line for `attnflow train --help`
    attention_names: ClassVar[tuple[str, ...]] = ()  # what model.attention accepts, for --help; (): not listed

    def add_arguments(self, parser, command: str) -> None:
        """Adds the task's own flags for `command` ("train", "evaluate" or
        "predict"). A train flag whose `dest` is a dotted config key (e.g.
        dest="options.horizon") overrides that setting when given."""


def set_help(parser, flag: str, text: str) -> None:
    """Says what a task reads for a flag the CLI defines for every task (e.g. predict --data)."""
    for action in parser._actions:  # argparse has no public way to reword a flag's help
        if flag in action.option_strings:
            action.help = text
