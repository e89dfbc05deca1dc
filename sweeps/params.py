"""A sweep's search parameters: float, int or categorical, each optionally conditional.

Shared by the spec (``sweeps.spec``), its checks (``sweeps.param_checks``) and the search
space (``sweeps.space``), so none of them imports another to name a parameter.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A part of a sweep spec: unknown keys are refused, attribute docstrings describe fields."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class _Param(StrictModel):
    when: dict[str, Any] | None = None
    """Sample this parameter only when each named field (an earlier parameter or a config
    field) has the given value or one of the listed values, e.g. `{optim.optimizer: sgd}`."""


class FloatParam(_Param):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    """Sample on a log scale (low must be > 0)."""
    step: float | None = Field(None, gt=0)
    """Sample only multiples of `step` from `low` (not with `log`)."""


class IntParam(_Param):
    type: Literal["int"]
    low: int
    high: int
    step: int = Field(1, ge=1)
    log: bool = False


class CategoricalParam(_Param):
    type: Literal["categorical"]
    choices: list[str | int | float | bool | None] = Field(min_length=1)


Param = Annotated[FloatParam | IntParam | CategoricalParam, Field(discriminator="type")]
