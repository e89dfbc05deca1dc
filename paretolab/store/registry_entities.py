"""Plain entities the model registry returns (``paretolab.store.registry``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BEST, LAST = "best", "last"
CHECKPOINT_KINDS = (BEST, LAST)


@dataclass(frozen=True)
class ModelVersion:
    """Version ``version`` of model ``model``: one run's checkpoint and where it came from."""

    model: str
    version: int
    run_id: int
    checkpoint: str
    """``best`` or ``last``."""
    checkpoint_path: str
    checkpoint_sha256: str
    lineage: dict[str, Any]
    """``config``, ``task``, ``data`` (dataset, or file path + SHA-256), ``code_commit``,
    ``metrics`` (val_/test_ figures at registration)."""
    description: str
    archived: bool
    created_at: float
    created_by: str | None
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """``NAME:VERSION``, the reference every command takes."""
        return f"{self.model}:{self.version}"


@dataclass(frozen=True)
class RegisteredModel:
    """A named model: its description and its versions' count and aliases."""

    name: str
    description: str
    created_at: float
    created_by: str | None
    latest_version: int
    aliases: dict[str, int] = field(default_factory=dict)
    """alias → version number."""


@dataclass(frozen=True)
class AuditEntry:
    """One change to the registry: who, when, what, and what it pointed at before."""

    at: float
    who: str | None
    action: str
    """``register``, ``alias``, ``archive`` or ``unarchive``."""
    target: str
    previous: str | None
