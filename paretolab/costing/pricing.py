"""From time on a device to device-hours, dollars, kWh and kg CO₂e; projections.

- device-hours = wall hours × devices;
- $ = device-hours × the catalog's price for the device (with its date and source);
- kWh = device-hours × TDP (kW) × PUE — an estimate from board power, not a measurement;
- kg CO₂e = kWh × the grid's carbon intensity.

A projection runs a FLOP budget on a catalog entry at an assumed MFU:
wall seconds = FLOPs ÷ (devices × peak × MFU).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from paretolab.costing.catalog import PRECISION_DTYPES, Catalog, Defaults, Grid
from paretolab.costing.peaks import required_peak
from paretolab.errors import UserError


@dataclass(frozen=True)
class Spend:
    """What time on hardware cost, and the assumptions behind each figure."""

    hardware: str
    device_name: str
    devices: int
    wall_seconds: float
    device_hours: float
    cost_usd: float | None
    price_usd_per_hour: float | None
    price_quote: str
    """Provider, date and source of the price, or why there is none."""
    energy_kwh: float
    tdp_watts: float
    pue: float
    co2_kg: float
    carbon_kg_per_kwh: float
    grid: str

    def as_dict(self) -> dict:
        return asdict(self)


def spend(
    catalog: Catalog, hardware: str, wall_seconds: float, devices: int = 1, pricing: str = "auto"
) -> Spend:
    """Device-hours, dollars, energy and CO₂e of ``wall_seconds`` on ``devices`` of one entry.

    Raises:
        UserError: ``hardware`` is not in the catalog.
    """
    device = catalog.device(hardware)
    defaults = catalog.defaults
    hours = wall_seconds / 3600.0 * devices
    price = device.price(pricing)
    kwh = hours * device.tdp_watts / 1000.0 * defaults.pue
    return Spend(
        hardware=hardware,
        device_name=device.name,
        devices=devices,
        wall_seconds=wall_seconds,
        device_hours=hours,
        cost_usd=hours * price.usd_per_hour if price else None,
        price_usd_per_hour=price.usd_per_hour if price else None,
        price_quote=(
            f"{price.label()}, {price.source}"
            if price
            else f"no {pricing} price for {hardware} in the catalog"
        ),
        energy_kwh=kwh,
        tdp_watts=device.tdp_watts,
        pue=defaults.pue,
        co2_kg=kwh * defaults.carbon_kg_per_kwh,
        carbon_kg_per_kwh=defaults.carbon_kg_per_kwh,
        grid=defaults.grid,
    )


@dataclass(frozen=True)
class Projection:
    """A FLOP budget run on a catalog entry at an assumed MFU."""

    flops: float
    mfu: float
    dtype: str
    peak_flops: float
    peak_source: str
    spend: Spend

    def as_dict(self) -> dict:
        return {
            "flops": self.flops,
            "mfu": self.mfu,
            "dtype": self.dtype,
            "peak_flops": self.peak_flops,
            "peak_source": self.peak_source,
            **self.spend.as_dict(),
        }


def project(
    catalog: Catalog,
    flops: float,
    hardware: str,
    devices: int = 1,
    mfu: float = 0.4,
    precision: str = "bf16-mixed",
    pricing: str = "auto",
) -> Projection:
    """Time, device-hours, dollars and energy to compute ``flops`` on ``devices`` × ``hardware``.

    Raises:
        UserError: an unknown entry, an MFU outside (0, 1], or no peak for the dtype.
    """
    if not 0 < mfu <= 1:
        raise UserError(f"MFU must be in (0, 1], got {mfu} (0.3–0.5 is typical on GPUs)")
    if devices < 1:
        raise UserError(f"devices must be at least 1, got {devices}")
    _, peak, source = required_peak(catalog, hardware, precision)
    dtype = PRECISION_DTYPES.get(precision, precision)
    seconds = flops / (devices * peak * mfu)
    return Projection(
        flops, mfu, dtype, peak, source, spend(catalog, hardware, seconds, devices, pricing)
    )


def with_energy(
    catalog: Catalog,
    hardware: str,
    pue: float | None = None,
    tdp_watts: float | None = None,
    grid: str | float | None = None,
) -> Catalog:
    """The catalog with the energy assumptions replaced: the data centre's PUE, the power
    of one ``hardware`` device, and the grid (a named one, or kg CO₂e per kWh).

    Raises:
        UserError: a PUE outside [1, 3], a non-positive power, a negative or unknown grid.
    """
    defaults = catalog.defaults
    changes: dict = {}
    if pue is not None:
        if not 1.0 <= pue <= 3.0:
            raise UserError(f"PUE must be between 1 and 3, got {pue:g} (1.1 is an efficient site)")
        changes.update(pue=pue, pue_source="given")
    if grid is not None:
        changes.update(_grid(defaults, grid))
    devices = catalog.devices
    if tdp_watts is not None:
        if not tdp_watts > 0:
            raise UserError(f"the power per device must be positive watts, got {tdp_watts:g}")
        device = catalog.device(hardware).model_copy(
            update={"tdp_watts": tdp_watts, "tdp_source": "given"}
        )
        devices = {**devices, hardware: device}
    return catalog.model_copy(
        update={"defaults": defaults.model_copy(update=changes), "devices": devices}
    )


def _grid(defaults: Defaults, grid: str | float) -> dict:
    """``grid``/``grids`` changes for a grid name or a number of kg CO₂e per kWh."""
    try:
        intensity = float(grid)
    except ValueError:
        if grid not in defaults.grids:
            raise UserError(
                f"grid {grid!r} is not a named grid; choose one of {', '.join(defaults.grids)}, "
                "or give kg CO2e per kWh (e.g. 0.4)"
            ) from None
        return {"grid": grid}
    if not 0 <= intensity < 10:
        raise UserError(f"grid intensity must be between 0 and 10 kg CO2e/kWh, got {grid}")
    given = Grid(kg_co2e_per_kwh=intensity, source="given")
    return {"grid": "given", "grids": {**defaults.grids, "given": given}}
