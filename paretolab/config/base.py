"""The base of every run-config section (``paretolab.config``): strict, self-documenting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.fields import FieldInfo

from paretolab import tasks


class ConfigSection(BaseModel):
    """Base for every config section: unknown keys are errors, field docstrings are help."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_assignment=True
    )


@dataclass(frozen=True)
class Choices:
    """Marks a text field whose allowed values a registry gives, read at each use (so a
    task registered after import is accepted); the dashboard form offers them as a list."""

    names: Callable[[], tuple[str, ...]]

    def check(self, value: Any) -> Any:
        """``value`` if it is one of the choices; otherwise pydantic's own Literal message."""
        allowed = self.names()
        if value not in allowed:
            quoted = [repr(name) for name in allowed]
            listed = quoted[0] if len(quoted) < 2 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
            raise ValueError(f"Input should be {listed}")
        return value


def choice_of(names: Callable[[], tuple[str, ...]]) -> Any:
    """A ``str`` field type that accepts only ``names()`` (see ``Choices``)."""
    choices = Choices(names)
    return Annotated[str, BeforeValidator(choices.check), choices]


def choices_of(field: FieldInfo) -> tuple[str, ...] | None:
    """The allowed values of a field typed with ``choice_of``; None for any other field."""
    marks = [m for m in field.metadata if isinstance(m, Choices)]
    return marks[0].names() if marks else None


TaskName = choice_of(tasks.task_names)
DatasetName = choice_of(tasks.dataset_names)
