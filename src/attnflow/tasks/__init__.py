"""Tasks: what to train on which data, scored how; one package per task family.

`TASKS` names every task and where its class lives: translation/ (dates,
translate), classification/ (text, sequence, image), forecast/ (forecast). A new
task is one module in its family's package plus one line in `TASKS`; the
interface is `attnflow.tasks.base.Task`. `TASK_FLAGS` names the class that
says what the command line shows of it (summary, flags), which imports no
TensorFlow, so that `attnflow train TASK --help` is fast (attnflow.tasks.flags).
"""

from __future__ import annotations

import importlib

from attnflow._validation import fail

# name -> "module:Class"; modules are imported only when their task is asked for
TASKS = {
    "dates": "attnflow.tasks.translation.dates:DatesTask",
    "translate": "attnflow.tasks.translation.translate:TranslateTask",
    "text": "attnflow.tasks.classification.text:TextTask",
    "sequence": "attnflow.tasks.classification.sequence:SequenceTask",
    "image": "attnflow.tasks.classification.image:ImageTask",
    "forecast": "attnflow.tasks.forecast.task:ForecastTask",
}

# name -> "module:Class" of its TaskFlags (no TensorFlow); the task class inherits from it
TASK_FLAGS = {
    "dates": "attnflow.tasks.translation.flags:DatesFlags",
    "translate": "attnflow.tasks.translation.flags:TranslateFlags",
    "text": "attnflow.tasks.classification.flags:TextFlags",
    "sequence": "attnflow.tasks.classification.flags:SequenceFlags",
    "image": "attnflow.tasks.classification.flags:ImageFlags",
    "forecast": "attnflow.tasks.forecast.flags:ForecastFlags",
}


def task_flags(name: str):
    """A TaskFlags instance of task `name`: its summary, attention names and
    flags, without importing the task (nor TensorFlow).

    Raises:
        ValueError: no task has that name.
    """
    if not isinstance(name, str) or name not in TASK_FLAGS:
        fail(f"a task among {sorted(TASKS)}", task=name)
    module_name, class_name = TASK_FLAGS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


def task_class(name: str):
    """The Task subclass registered as `name`.

    Raises:
        ValueError: no task has that name, or its packages are missing.
    """
    if not isinstance(name, str) or name not in TASKS:
        fail(f"a task among {sorted(TASKS)}", task=name)
    module_name, class_name = TASKS[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("attnflow"):
            raise
        fail(f"the packages of task {name!r} to be installed (pip install 'attnflow[all]')",
             missing=error.name)
    return getattr(module, class_name)


def available_tasks() -> list[str]:
    """Names of the tasks whose packages are installed."""
    names = []
    for name in TASKS:
        try:
            task_class(name)
        except ValueError:
            continue  # a task whose optional packages are missing
        names.append(name)
    return sorted(names)


def get_task(name: str):
    """A new instance of the task registered as `name`.

    Raises:
        ValueError: no task has that name, or its packages are missing.
    """
    return task_class(name)()


__all__ = ["TASKS", "TASK_FLAGS", "available_tasks", "get_task", "task_class", "task_flags"]
