"""The launch form offers the task registry's tasks and datasets as lists (they are no
longer Literal types in the schema, so the form reads the registry), a task registered
after import included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paretolab import tasks
from tests.dashboard.conftest import open_page


@pytest.fixture
def extra_task() -> Iterator[str]:
    tasks.register_task(
        tasks.TaskSpec("toy_task", ("val_loss",), ("encoder_classifier",), ("toy_data",))
    )
    yield "toy_task"
    tasks.unregister_task("toy_task")


def test_launch_form_lists_the_registrys_tasks_and_datasets(extra_task: str) -> None:
    at = open_page("views/launch.py")
    assert not at.exception
    task_options = tuple(at.selectbox(key="cfg0.task").options)
    assert task_options == tasks.task_names() and extra_task in task_options
    dataset_options = tuple(at.selectbox(key="cfg0.data.dataset").options)
    assert dataset_options == tasks.dataset_names() and "toy_data" in dataset_options
