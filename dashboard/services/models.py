"""The model registry for the Models page and the Run page: read models and versions;
register, move aliases and archive, each refused to viewers and read-only demos first."""

from __future__ import annotations

from dashboard.services.access import owner_name, require
from dashboard.services.common import store
from paretolab import model_registry
from paretolab.store.registry_entities import AuditEntry, ModelVersion, RegisteredModel


def models() -> list[RegisteredModel]:
    """Every registered model, by name."""
    return model_registry.registry(store()).models()


def versions(name: str) -> list[ModelVersion]:
    """The model's versions, newest first."""
    return model_registry.registry(store()).versions(name)


def audit(name: str) -> list[AuditEntry]:
    """The model's audit trail, oldest first."""
    return model_registry.registry(store()).audit(name)


def register(
    run_id: int, name: str, checkpoint: str = "best", description: str = ""
) -> ModelVersion:
    """Register the run's checkpoint as the next version of ``name``.

    Raises:
        DemoModeError, AccessDenied: a read-only demo, or a viewer; UserError: bad input.
    """
    user = require("register a model")
    return model_registry.register_run(
        run_id, name, checkpoint, description, owner_name(user), store()
    )


def set_alias(name: str, version: int, alias: str) -> int | None:
    """Point ``alias`` at ``version``; returns the version it pointed at before."""
    user = require("move a model alias")
    return model_registry.registry(store()).set_alias(name, version, alias, owner_name(user))


def set_archived(name: str, version: int, archived: bool = True) -> None:
    """Archive a version (or bring it back)."""
    user = require("archive a model version")
    model_registry.registry(store()).set_archived(name, version, archived, owner_name(user))
