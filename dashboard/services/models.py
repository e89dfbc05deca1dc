"""The model registry for the Models page and the Run page: models, versions, cards,
measured serving figures and export downloads; register, move aliases and archive, each
refused to viewers and read-only demos first."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from dashboard.services.access import owner_name, require
from dashboard.services.common import store
from paretolab import model_registry
from paretolab.costing.catalog import load_catalog
from paretolab.costing.serving import measured_usd_per_million_requests
from paretolab.store.registry_entities import AuditEntry, ModelVersion, RegisteredModel
from paretolab.store.serving_results import ServingResults


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


def version(name: str, number: int) -> ModelVersion:
    """Version ``number`` of ``name``."""
    return model_registry.registry(store()).version(name, number)


def card(name: str, number: int) -> str:
    """The version's model card (Markdown), its figures read from the store now."""
    from lightning_modules.serving.card import model_card

    measured = ServingResults(store().engine).for_version(name, number)
    return model_card(version(name, number), store(), [m.as_dict() for m in measured])


def measure(name: str, number: int, requests: int = 100, seconds_per_batch: float = 0.3) -> int:
    """Measure the version's serving figures on this machine now (PyTorch and ONNX Runtime,
    a shorter run than ``paretolab bench serve``'s default) and store them; returns how many
    runtimes were measured.

    Raises:
        UserError: the version's checkpoint is gone or changed.
        DemoModeError, AccessDenied: a read-only demo, or a viewer.
    """
    from lightning_modules.serving.bench import bench_serving

    require("measure a model's serving cost")
    ref = f"{name}:{number}"
    return len(
        bench_serving(
            ref, None, requests=requests, seconds_per_batch=seconds_per_batch, store=store()
        )
    )


def serving_frame(name: str, number: int) -> pd.DataFrame:
    """The version's measured serving figures, with $ per 1M requests on this CPU's price."""
    price = load_catalog().device("cpu").price()
    rows = []
    for m in ServingResults(store().engine).for_version(name, number):
        per_million = (
            measured_usd_per_million_requests(price.usd_per_hour, m.throughput_rps)
            if price and m.device == "cpu"
            else None
        )
        rows.append(
            {
                "runtime": m.runtime,
                "hardware": m.hardware,
                "p50_ms": m.p50_ms,
                "p95_ms": m.p95_ms,
                "p99_ms": m.p99_ms,
                "requests_per_s": m.throughput_rps,
                "best_batch": m.best_batch,
                "peak_memory_mb": m.peak_memory_mb,
                "usd_per_million_requests": per_million,
            }
        )
    return pd.DataFrame(rows)


def export_zip(name: str, number: int, fmt: str) -> bytes:
    """The version exported as ``fmt`` (safetensors or onnx), zipped for a download."""
    from lightning_modules.serving.export import export_version

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}-v{number}-{fmt}"
        export_version(f"{name}:{number}", fmt, out, store())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(out.parent))
        return buffer.getvalue()
