"""The task registry: six tasks listed by name, clear errors otherwise."""

from __future__ import annotations

import pytest

from attnflow import tasks
from attnflow.tasks import available_tasks, get_task
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


def test_the_registry_lists_six_tasks_each_under_its_own_name():
    assert sorted(tasks.TASKS) == ["dates", "forecast", "image", "sequence", "text", "translate"]
    for name in tasks.TASKS:
        assert tasks.task_class(name).name == name


def test_helper_modules_are_not_tasks():
    assert "baselines" not in available_tasks()
    with pytest.raises(ValueError, match="expected a task among"):
        get_task("forecast_baselines")
