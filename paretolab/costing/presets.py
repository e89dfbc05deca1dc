"""Published models by name (``presets.yaml``): their shapes and, where published, their
training tokens, device-hours, power and emissions, each with its source. No torch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from paretolab.config.io import load_yaml_text
from paretolab.costing.shapes import ModelShape, check_shape
from paretolab.errors import UserError

PRESETS = Path(__file__).with_name("presets.yaml")


@dataclass(frozen=True)
class Preset:
    """A published model."""

    name: str
    shape: ModelShape
    source: str
    """Where the architecture comes from."""
    tokens: float | None
    """Training tokens the source gives (None: not published)."""
    tokens_source: str
    training: dict[str, Any] | None
    """Device-hours, power and emissions the source gives (with their ``source``)."""


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return load_yaml_text(PRESETS.read_text(encoding="utf-8"), str(PRESETS))


def preset_names() -> list[str]:
    """The presets there are."""
    return sorted(_data()["presets"])


def published(name: str) -> dict[str, Any]:
    """A family's published figures (``published`` in ``presets.yaml``)."""
    return dict(_data()["published"][name])


def preset(name: str) -> Preset:
    """The preset ``name``.

    Raises:
        UserError: no such preset (the message lists them).
    """
    entries = _data()["presets"]
    if name not in entries:
        raise UserError(
            f"--preset {name!r} is not known; choose one of {', '.join(preset_names())}"
        )
    entry = entries[name]
    base = entries[entry["based_on"]]["architecture"] if "based_on" in entry else {}
    shape = ModelShape(**{**base, **entry["architecture"]})
    check_shape(shape, f"preset {name}: ")
    return Preset(
        name=name,
        shape=shape,
        source=entry["architecture_source"],
        tokens=entry.get("tokens"),
        tokens_source=entry.get("tokens_source", ""),
        training=entry.get("training"),
    )
