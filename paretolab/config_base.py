"""The base of every run-config section (``paretolab.config``): strict, self-documenting."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ConfigSection(BaseModel):
    """Base for every config section: unknown keys are errors, field docstrings are help."""

    model_config = ConfigDict(
        extra="forbid", use_attribute_docstrings=True, validate_assignment=True
    )
