"""The model registry in the run store: models, numbered versions, aliases, audit trail.

Each public call is one transaction; changes write their audit row in the same
transaction, so the trail never misses a change nor records one that did not happen.
Names and aliases are checked here, before anything is written. Permission checks are the
callers' (the dashboard services); this layer records who asked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from paretolab.errors import UserError
from paretolab.store import registry_rows as rows
from paretolab.store.registry_entities import (
    CHECKPOINT_KINDS,
    AuditEntry,
    ModelVersion,
    RegisteredModel,
)
from paretolab.store.schema import model_aliases, model_versions, registered_models, registry_audit

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,99}")
LATEST = "latest"
"""The implicit alias of a model's newest version that is not archived (as in W&B)."""


class ModelRegistry:
    """Registered models on the run store's database (``RunStore.engine``)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    # ------------------------------------------------------------------ changes

    def register(
        self,
        name: str,
        run_id: int,
        checkpoint: str,
        checkpoint_path: str,
        checkpoint_sha256: str,
        lineage: Mapping[str, Any],
        description: str = "",
        who: str | None = None,
    ) -> ModelVersion:
        """Add the next version of model ``name`` (made on first use) and return it.

        Raises:
            UserError: a bad name or checkpoint kind.
        """
        check_model_name(name)
        if checkpoint not in CHECKPOINT_KINDS:
            raise UserError(f"--checkpoint must be best or last, not {checkpoint!r}")
        now = time.time()
        with self.engine.begin() as conn:
            model_id = self._model_id(conn, name, create=(description, now, who))
            number = (
                conn.execute(
                    sa.select(sa.func.max(model_versions.c.version)).where(
                        model_versions.c.model_id == model_id
                    )
                ).scalar()
                or 0
            ) + 1
            conn.execute(
                model_versions.insert().values(
                    model_id=model_id,
                    version=number,
                    run_id=run_id,
                    checkpoint=checkpoint,
                    checkpoint_path=checkpoint_path,
                    checkpoint_sha256=checkpoint_sha256,
                    lineage=dict(lineage),
                    description=description,
                    created_at=now,
                    created_by=who,
                )
            )
            rows.audit(conn, model_id, who, "register", f"v{number} (run {run_id}, {checkpoint})")
        return self.version(name, number)

    def set_alias(self, name: str, version: int, alias: str, who: str | None = None) -> int | None:
        """Point ``alias`` at version ``version``; returns the version it pointed at before.

        Raises:
            UserError: unknown model or version, an archived version, or a bad alias.
        """
        check_alias(alias)
        with self.engine.begin() as conn:
            model_id = self._model_id(conn, name)
            row = rows.version_row(conn, model_id, name, version)
            if row.archived:
                raise UserError(f"{name}:{version} is archived; unarchive it before aliasing it")
            before = rows.alias_version(conn, model_id, alias)
            key = {"model_id": model_id, "alias": alias}
            values = {"version_id": row.id, "updated_at": time.time(), "updated_by": who}
            conn.execute(model_aliases.delete().filter_by(**key))
            conn.execute(model_aliases.insert().values(**key, **values))
            previous = None if before is None else f"v{before}"
            rows.audit(conn, model_id, who, "alias", f"{alias} → v{version}", previous)
        return before

    def set_archived(self, name: str, version: int, archived: bool, who: str | None = None) -> None:
        """Archive a version (hidden from lists, never served) or bring it back.

        Raises:
            UserError: unknown model or version, or an alias still points at it.
        """
        with self.engine.begin() as conn:
            model_id = self._model_id(conn, name)
            row = rows.version_row(conn, model_id, name, version)
            pointing = conn.execute(
                sa.select(model_aliases.c.alias).where(model_aliases.c.version_id == row.id)
            ).scalars()
            pointing = sorted(pointing)
            if archived and pointing:
                raise UserError(
                    f"{name}:{version} is {', '.join('@' + a for a in pointing)}; move the "
                    f"alias to another version first (`paretolab models alias {name} N ALIAS`)"
                )
            conn.execute(
                model_versions.update()
                .where(model_versions.c.id == row.id)
                .values(archived=archived)
            )
            action = "archive" if archived else "unarchive"
            previous = "archived" if row.archived else "active"
            rows.audit(conn, model_id, who, action, f"v{version}", previous)

    # ------------------------------------------------------------------ reads

    def models(self) -> list[RegisteredModel]:
        """Every registered model, by name."""
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(registered_models).order_by(registered_models.c.name))
            out = []
            for row in found.all():
                latest = conn.execute(
                    sa.select(sa.func.max(model_versions.c.version)).where(
                        model_versions.c.model_id == row.id
                    )
                ).scalar()
                out.append(
                    RegisteredModel(
                        name=row.name,
                        description=row.description,
                        created_at=row.created_at,
                        created_by=row.created_by,
                        latest_version=latest or 0,
                        aliases=rows.aliases(conn, row.id),
                    )
                )
        return out

    def versions(self, name: str, archived: bool = True) -> list[ModelVersion]:
        """The model's versions, newest first (``archived=False``: the active ones only).

        Raises:
            UserError: no such model.
        """
        with self.engine.connect() as conn:
            model_id = self._model_id(conn, name)
            query = sa.select(model_versions).where(model_versions.c.model_id == model_id)
            if not archived:
                query = query.where(model_versions.c.archived == sa.false())
            found = conn.execute(query.order_by(model_versions.c.version.desc())).all()
            by_version = rows.aliases_by_version(conn, model_id)
        return [rows.entity(name, row, by_version.get(row.version, ())) for row in found]

    def version(self, name: str, version: int) -> ModelVersion:
        """Version ``version`` of model ``name``.

        Raises:
            UserError: no such model or version.
        """
        with self.engine.connect() as conn:
            model_id = self._model_id(conn, name)
            row = rows.version_row(conn, model_id, name, version)
            aliases = rows.aliases_by_version(conn, model_id).get(version, ())
        return rows.entity(name, row, aliases)

    def alias_version(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at (``latest``: the newest version not archived).

        Raises:
            UserError: no such model, or the model has no such alias.
        """
        with self.engine.connect() as conn:
            model_id = self._model_id(conn, name)
            if alias == LATEST:
                number = conn.execute(
                    sa.select(sa.func.max(model_versions.c.version)).where(
                        model_versions.c.model_id == model_id,
                        model_versions.c.archived == sa.false(),
                    )
                ).scalar()
            else:
                number = rows.alias_version(conn, model_id, alias)
            if number is None:
                known = ", ".join("@" + a for a in sorted(rows.aliases(conn, model_id))) or "none"
                raise UserError(
                    f"model {name} has no alias @{alias} (its aliases: {known}); set one with "
                    f"`paretolab models alias {name} VERSION {alias}`"
                )
        return self.version(name, number)

    def audit(self, name: str) -> list[AuditEntry]:
        """The model's audit trail, oldest first.

        Raises:
            UserError: no such model.
        """
        with self.engine.connect() as conn:
            model_id = self._model_id(conn, name)
            found = conn.execute(
                sa.select(registry_audit)
                .where(registry_audit.c.model_id == model_id)
                .order_by(registry_audit.c.id)
            ).all()
        return [AuditEntry(r.at, r.who, r.action, r.target, r.previous) for r in found]

    # ------------------------------------------------------------------ helpers

    def _model_id(
        self,
        conn: sa.Connection,
        name: str,
        create: tuple[str, float, str | None] | None = None,
    ) -> int:
        """The model's id; with ``create`` (description, time, who), make it if new."""
        found = rows.model_id(conn, name, must_exist=create is None)
        if found is not None:
            return found
        description, now, who = create
        return conn.execute(
            registered_models.insert()
            .values(name=name, description=description, created_at=now, created_by=who)
            .returning(registered_models.c.id)
        ).scalar_one()


def check_model_name(name: str) -> None:
    """Raise ``UserError`` unless ``name`` is a model name (letters, digits, ``._-``)."""
    if not _NAME.fullmatch(name):
        raise UserError(
            f"model name {name!r}: use letters, digits, '.', '_' and '-' (at most 200, "
            "starting with a letter or digit)"
        )


def check_alias(alias: str) -> None:
    """Raise ``UserError`` unless ``alias`` is an alias one may set."""
    if alias == LATEST:
        raise UserError("@latest always means the newest version; pick another alias")
    if not _ALIAS.fullmatch(alias):
        raise UserError(
            f"alias {alias!r}: use lowercase letters, digits, '_' and '-', starting with a "
            "letter (e.g. production, candidate)"
        )
