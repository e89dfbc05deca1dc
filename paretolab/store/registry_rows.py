"""The model registry's row helpers: one version, aliases, the audit row, row → entity."""

from __future__ import annotations

import time

import sqlalchemy as sa

from paretolab.errors import UserError
from paretolab.store.registry_entities import ModelVersion
from paretolab.store.schema import (
    model_aliases,
    model_versions,
    registered_models,
    registry_audit,
)


def model_id(conn: sa.Connection, name: str, must_exist: bool = True) -> int | None:
    """The model's id (None for an unknown name when ``must_exist`` is False).

    Raises:
        UserError: an unknown name (with the names registered) when ``must_exist``.
    """
    found = conn.execute(
        sa.select(registered_models.c.id).where(registered_models.c.name == name)
    ).scalar()
    if found is not None or not must_exist:
        return found
    known = conn.execute(sa.select(registered_models.c.name)).scalars().all()
    listed = ", ".join(sorted(known)[:10]) or "none yet"
    raise UserError(
        f"no registered model {name!r} (registered: {listed}); register one with "
        f"`paretolab models register RUN --name {name}`"
    )


def version_row(conn: sa.Connection, model_id: int, name: str, version: int) -> sa.Row:
    row = conn.execute(
        sa.select(model_versions).where(
            model_versions.c.model_id == model_id, model_versions.c.version == version
        )
    ).first()
    if row is None:
        latest = conn.execute(
            sa.select(sa.func.max(model_versions.c.version)).where(
                model_versions.c.model_id == model_id
            )
        ).scalar()
        raise UserError(
            f"model {name} has no version {version} (its versions: 1 to {latest}); "
            f"see `paretolab models show {name}`"
        )
    return row


def alias_version(conn: sa.Connection, model_id: int, alias: str) -> int | None:
    return conn.execute(
        sa.select(model_versions.c.version)
        .join(model_aliases, model_aliases.c.version_id == model_versions.c.id)
        .where(model_aliases.c.model_id == model_id, model_aliases.c.alias == alias)
    ).scalar()


def aliases(conn: sa.Connection, model_id: int) -> dict[str, int]:
    rows = conn.execute(
        sa.select(model_aliases.c.alias, model_versions.c.version)
        .join(model_versions, model_aliases.c.version_id == model_versions.c.id)
        .where(model_aliases.c.model_id == model_id)
        .order_by(model_aliases.c.alias)
    ).all()
    return {alias: version for alias, version in rows}


def aliases_by_version(conn: sa.Connection, model_id: int) -> dict[int, tuple[str, ...]]:
    out: dict[int, tuple[str, ...]] = {}
    for alias, version in aliases(conn, model_id).items():
        out[version] = (*out.get(version, ()), alias)
    return out


def audit(
    conn: sa.Connection,
    model_id: int,
    who: str | None,
    action: str,
    target: str,
    previous: str | None = None,
) -> None:
    conn.execute(
        registry_audit.insert().values(
            model_id=model_id,
            at=time.time(),
            who=who,
            action=action,
            target=target,
            previous=previous,
        )
    )


def entity(name: str, row: sa.Row, aliases: tuple[str, ...]) -> ModelVersion:
    return ModelVersion(
        model=name,
        version=row.version,
        run_id=row.run_id,
        checkpoint=row.checkpoint,
        checkpoint_path=row.checkpoint_path,
        checkpoint_sha256=row.checkpoint_sha256,
        lineage=dict(row.lineage),
        description=row.description,
        archived=bool(row.archived),
        created_at=row.created_at,
        created_by=row.created_by,
        aliases=aliases,
    )
