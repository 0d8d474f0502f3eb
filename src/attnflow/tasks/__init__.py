"""Tasks: one file per task, found by name.

A task module registers its Task subclass with `@register_task`; `get_task`
imports `attnflow.tasks.<name>` on demand, and `available_tasks` imports
every public module of this package, so a new task is one new file here.
See `attnflow.tasks.base.Task` for the interface.
"""

from __future__ import annotations

import importlib
import pkgutil

from attnflow._validation import fail

_REGISTRY: dict = {}
_NOT_TASKS = {"base"}


def register_task(cls):
    """Class decorator: makes a Task subclass available under `cls.name`."""
    from attnflow.tasks.base import Task

    if not (isinstance(cls, type) and issubclass(cls, Task)):
        fail("a subclass of attnflow.tasks.base.Task", cls=cls)
    if not cls.name or not isinstance(cls.name, str):
        fail("a task class with a non-empty `name`", cls=cls.__name__)
    known = _REGISTRY.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        fail(f"one task per name; {cls.name!r} is {known.__qualname__}", cls=cls.__qualname__)
    _REGISTRY[cls.name] = cls
    return cls


def _import(module: str) -> None:
    try:
        importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith(f"{__name__}.{module}"):
            return  # no such task module
        fail(f"the packages of task {module!r} to be installed "
             f"(pip install 'attnflow[all]')", missing=error.name)


def available_tasks() -> list[str]:
    """Names of every task a module of this package registers."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name not in _NOT_TASKS:
            try:
                _import(info.name)
            except ValueError:
                continue  # a task whose optional packages are missing
    return sorted(_REGISTRY)


def get_task(name: str):
    """A new instance of the task registered as `name`.

    Raises:
        ValueError: no task has that name, or its packages are missing.
    """
    if not isinstance(name, str) or not name.isidentifier():
        fail(f"a task among {available_tasks()}", task=name)
    if name not in _REGISTRY:
        _import(name)
    if name not in _REGISTRY:
        available_tasks()
    if name not in _REGISTRY:
        fail(f"a task among {sorted(_REGISTRY)}", task=name)
    return _REGISTRY[name]()


__all__ = ["available_tasks", "get_task", "register_task"]
