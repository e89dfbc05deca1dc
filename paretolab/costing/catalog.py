"""The hardware and price catalog: what a device can do and what an hour of it costs.

The catalog ships as ``hardware.yaml`` beside this module. A user's own entries — their
cluster's internal rate, a device missing here — live in a YAML file of the same shape at
``$PARETOLAB_HOME/hardware.yaml`` or at the path in ``$PARETOLAB_HARDWARE``; it is merged
over the shipped one:

- ``defaults``: the keys it names replace the shipped ones (``pue``, ``grid``, ``grids``…);
- ``devices``: a new key adds a device; an existing key replaces the fields it names,
  except ``prices``, which go before the shipped ones (the first matching price wins);
  ``based_on: h100-sxm`` copies a shipped device's specs into a new entry.

Every entry is validated; a bad one is a ``UserError`` naming the file, the entry and the
field. Imports no torch.
"""

from __future__ import annotations

import copy
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from paretolab import settings
from paretolab.config.io import load_yaml_text
from paretolab.errors import ConfigError, UserError

HARDWARE_ENV = "PARETOLAB_HARDWARE"
SHIPPED = Path(__file__).with_name("hardware.yaml")
DType = Literal["fp32", "tf32", "bf16", "fp16", "int8"]
PriceKind = Literal["on_demand", "spot", "internal"]
Pricing = Literal["auto", "on_demand", "spot", "internal"]
# The dtype whose peak a run's precision is measured against (MFU's denominator).
PRECISION_DTYPES: dict[str, str] = {"32": "fp32", "bf16-mixed": "bf16", "16-mixed": "fp16"}
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Strict):
    """One price quote for an hour of one device."""

    kind: PriceKind
    usd_per_hour: float = Field(gt=0)
    provider: str = Field(min_length=1)
    date: str
    """When the quote was read: YYYY, YYYY-MM or YYYY-MM-DD."""
    source: str = Field(min_length=1)
    note: str = ""

    @field_validator("date", mode="before")
    @classmethod
    def _dated(cls, value: Any) -> str:
        text = str(value)
        if not _DATE.match(text):
            raise ValueError(f"a date is YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        return text

    def label(self) -> str:
        """``$2.79/h, Lambda 8× A100 (2026-09)``: the quote with where and when."""
        return f"${self.usd_per_hour:g}/h, {self.provider} ({self.date})"


class Device(_Strict):
    """A device profile: dense peak FLOP/s per dtype, memory, board power, prices."""

    name: str = Field(min_length=1)
    kind: Literal["cpu", "gpu", "other"] = "gpu"
    peak_flops: dict[DType, float] = Field(default_factory=dict)
    memory_gb: float | None = Field(None, gt=0)
    tdp_watts: float = Field(gt=0)
    tdp_source: str = ""
    match: list[str] = Field(default_factory=list)
    """Regular expressions (case-insensitive) matched against a device's reported name."""
    prices: list[Price] = Field(default_factory=list)

    @field_validator("peak_flops")
    @classmethod
    def _positive_peaks(cls, peaks: dict[str, float]) -> dict[str, float]:
        for dtype, value in peaks.items():
            if value <= 0:
                raise ValueError(f"peak_flops.{dtype} must be > 0, got {value}")
        return peaks

    @field_validator("match")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        return patterns

    def price(self, pricing: str = "auto") -> Price | None:
        """The first quote of the kind asked for; ``auto``: your internal rate if there is
        one, else on-demand. None when the catalog has no such quote."""
        kinds = ("internal", "on_demand") if pricing == "auto" else (pricing,)
        for kind in kinds:
            for price in self.prices:
                if price.kind == kind:
                    return price
        return None


class Grid(_Strict):
    kg_co2e_per_kwh: float = Field(ge=0)
    source: str = ""


class Defaults(_Strict):
    """Data-centre overhead and grid carbon intensity used for energy and CO₂e."""

    pue: float = Field(ge=1.0, le=3.0)
    pue_source: str = ""
    grid: str
    grids: dict[str, Grid]
    date: str = ""

    @model_validator(mode="after")
    def _grid_known(self) -> Defaults:
        if self.grid not in self.grids:
            raise ValueError(f"grid {self.grid!r} is not one of grids: {', '.join(self.grids)}")
        return self

    @property
    def carbon_kg_per_kwh(self) -> float:
        """The chosen grid's intensity."""
        return self.grids[self.grid].kg_co2e_per_kwh


class Catalog(_Strict):
    defaults: Defaults
    devices: dict[str, Device]

    def device(self, key: str) -> Device:
        """The entry ``key``.

        Raises:
            UserError: no such entry (the message lists the ones there are).
        """
        if key not in self.devices:
            raise UserError(
                f"hardware {key!r} is not in the catalog; choose one of "
                f"{', '.join(self.devices)} or add it to {user_catalog_hint()}"
            )
        return self.devices[key]

    def match(self, device_name: str) -> str | None:
        """The entry whose ``match`` patterns fit a reported device name (e.g. torch's
        ``NVIDIA A100-SXM4-80GB``), in catalog order (your own entries first)."""
        for key, device in self.devices.items():
            if any(re.search(p, device_name, re.IGNORECASE) for p in device.match):
                return key
        return None


def check_profile(profile: str) -> None:
    """Refuse a run whose ``hardware.profile`` names no catalog entry (``auto`` always fits).

    Raises:
        UserError: the entry does not exist, or the catalog itself is invalid.
    """
    if profile != "auto":
        try:
            load_catalog().device(profile)
        except UserError as exc:
            raise UserError(f"hardware.profile: {exc}") from None


def user_catalog_path() -> Path | None:
    """Your catalog file: ``$PARETOLAB_HARDWARE``, else ``hardware.yaml`` in the home if
    it exists, else None."""
    explicit = os.environ.get(HARDWARE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    path = settings.home_dir() / "hardware.yaml"
    return path if path.is_file() else None


def user_catalog_hint() -> str:
    """Where a user's own entries go, for messages."""
    return str(user_catalog_path() or settings.home_dir() / "hardware.yaml")


def load_catalog() -> Catalog:
    """The shipped catalog with the user's merged over it.

    Raises:
        UserError: the user's file is missing (when named by ``$PARETOLAB_HARDWARE``),
            not YAML, or has an invalid entry.
    """
    user = user_catalog_path()
    if user is not None and not user.is_file():
        raise UserError(f"{HARDWARE_ENV}={user} is not a file; fix the path or unset it")
    stamp = (str(user), user.stat().st_mtime_ns) if user is not None else None
    return _load(stamp)


@lru_cache(maxsize=8)
def _load(user_stamp: tuple[str, int] | None) -> Catalog:
    shipped = load_yaml_text(SHIPPED.read_text(encoding="utf-8"), str(SHIPPED))
    raw, source = shipped, str(SHIPPED)
    if user_stamp is not None:
        source = user_stamp[0]
        text = Path(source).read_text(encoding="utf-8")
        raw = merge_catalogs(shipped, load_yaml_text(text, source), source)
    try:
        return Catalog.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_describe(err) for err in exc.errors()], source) from None


def merge_catalogs(base: dict[str, Any], user: dict[str, Any], source: str) -> dict[str, Any]:
    """``user`` merged over ``base`` (see the module docstring for the rules)."""
    unknown = set(user) - {"defaults", "devices"}
    if unknown:
        raise ConfigError(
            [f"{', '.join(sorted(unknown))}: unknown key; allowed keys: defaults, devices"], source
        )
    merged = copy.deepcopy(base)
    merged["defaults"] = {**merged.get("defaults", {}), **(user.get("defaults") or {})}
    devices = merged.get("devices", {})
    own: dict[str, Any] = {}
    for key, entry in (user.get("devices") or {}).items():
        if not isinstance(entry, dict):
            raise ConfigError([f"devices.{key}: expected a mapping of fields"], source)
        entry = dict(entry)
        template = entry.pop("based_on", None)
        if template is not None and template not in devices:
            raise ConfigError(
                [
                    f"devices.{key}.based_on={template!r}: no such shipped device; "
                    f"choose one of {', '.join(devices)}"
                ],
                source,
            )
        start = copy.deepcopy(devices.get(key) or (devices[template] if template else {}))
        if template:
            start["match"] = []  # a copy must not claim the template's devices
        shipped_prices = start.get("prices", []) if key in devices else []
        start.update(entry)
        start["prices"] = [*(entry.get("prices") or []), *shipped_prices]
        own[key] = start
    # Your entries first: device matching and listings prefer them.
    merged["devices"] = {**own, **{k: v for k, v in devices.items() if k not in own}}
    return merged


def _describe(err: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{path}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    return f"{path}={err.get('input')!r}: {msg}"
