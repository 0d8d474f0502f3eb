"""The task registry: tasks found by name, one file each, clear errors otherwise."""

from __future__ import annotations

import pytest

from attnflow import tasks
from attnflow.tasks import available_tasks, get_task, register_task
from attnflow.tasks.base import Task


def test_builtin_tasks_are_found_by_name():
    assert {"dates", "translate"} <= set(available_tasks())
    dates = get_task("dates")
    assert dates.name == "dates" and isinstance(dates, Task)
    assert get_task("dates") is not dates  # a fresh instance each time


@pytest.mark.parametrize("name", ["nope", "../x", None])
def test_unknown_tasks(name):
    with pytest.raises(ValueError, match=r"expected a task among \[.*'dates'"):
        get_task(name)


def test_registering_checks_the_class(monkeypatch):
    monkeypatch.setattr(tasks, "_REGISTRY", dict(tasks._REGISTRY))
    with pytest.raises(ValueError, match="subclass of attnflow.tasks.base.Task"):
        register_task(int)

    class Nameless(Task):
        pass

    with pytest.raises(ValueError, match="non-empty `name`"):
        register_task(Nameless)

    class Other(Task):
        name = "dates"

    with pytest.raises(ValueError, match="one task per name"):
        register_task(Other)
