"""Measured serving figures of registered versions (``paretolab bench serve``), kept with
the hardware they came from; the newest measurement per runtime and hardware counts."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from paretolab.store import registry_rows as rows
from paretolab.store.schema import model_versions, registered_models, serving_benchmarks


@dataclass(frozen=True)
class ServingResult:
    """One runtime's figures on one machine."""

    runtime: str
    """``pytorch`` (eager) or ``onnx`` (ONNX Runtime)."""
    device: str
    hardware: str
    threads: int | None
    p50_ms: float
    p95_ms: float
    p99_ms: float
    best_batch: int
    throughput_rps: float
    """Requests a second at ``best_batch``."""
    peak_memory_mb: float
    details: dict[str, Any] = field(default_factory=dict)
    measured_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The figures as a plain dict (the model card and JSON read these)."""
        return asdict(self)


class ServingResults:
    """Serving figures on the run store's database."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def add(self, name: str, version: int, result: ServingResult) -> None:
        """Record ``result`` for ``name:version``.

        Raises:
            UserError: no such model or version.
        """
        values = result.as_dict() | {"measured_at": time.time()}
        with self.engine.begin() as conn:
            model_id = rows.model_id(conn, name)
            row = rows.version_row(conn, model_id, name, version)
            conn.execute(serving_benchmarks.insert().values(version_id=row.id, **values))

    def for_version(self, name: str, version: int) -> list[ServingResult]:
        """The newest figures of each (runtime, hardware) for ``name:version``."""
        with self.engine.connect() as conn:
            model_id = rows.model_id(conn, name)
            row = rows.version_row(conn, model_id, name, version)
            found = conn.execute(
                sa.select(serving_benchmarks)
                .where(serving_benchmarks.c.version_id == row.id)
                .order_by(serving_benchmarks.c.measured_at.desc())
            ).all()
        return _newest(found)

    def for_run(self, run_id: int) -> list[tuple[str, ServingResult]]:
        """(``NAME:VERSION``, figures) of every registered version of run ``run_id``."""
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(serving_benchmarks, registered_models.c.name, model_versions.c.version)
                .join(model_versions, serving_benchmarks.c.version_id == model_versions.c.id)
                .join(registered_models, model_versions.c.model_id == registered_models.c.id)
                .where(model_versions.c.run_id == run_id)
                .order_by(serving_benchmarks.c.measured_at.desc())
            ).all()
        out, seen = [], set()
        for r in found:
            key = (r.name, r.version, r.runtime, r.hardware)
            if key not in seen:
                seen.add(key)
                out.append((f"{r.name}:{r.version}", _entity(r)))
        return out


def _newest(found: list[sa.Row]) -> list[ServingResult]:
    out, seen = [], set()
    for r in found:
        if (r.runtime, r.hardware) not in seen:
            seen.add((r.runtime, r.hardware))
            out.append(_entity(r))
    return out


def _entity(r: sa.Row) -> ServingResult:
    return ServingResult(
        runtime=r.runtime,
        device=r.device,
        hardware=r.hardware,
        threads=r.threads,
        p50_ms=r.p50_ms,
        p95_ms=r.p95_ms,
        p99_ms=r.p99_ms,
        best_batch=r.best_batch,
        throughput_rps=r.throughput_rps,
        peak_memory_mb=r.peak_memory_mb,
        details=dict(r.details),
        measured_at=r.measured_at,
    )
