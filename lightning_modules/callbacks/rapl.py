"""CPU package and DRAM energy through RAPL, read from Linux's powercap files.

Each RAPL zone under ``/sys/class/powercap`` (``intel-rapl:0``, its sub-zones
``intel-rapl:0:N``; AMD's RAPL driver uses the same ``intel-rapl`` names since Linux 5.8)
has a ``name`` (``package-0``, ``dram``, ``core``, ``uncore``, ``psys``), a cumulative
``energy_uj`` and the ``max_energy_range_uj`` it wraps at. Packages and DRAM are counted;
``core`` and ``uncore`` are parts of their package and ``psys`` covers the whole platform,
so counting them would count energy twice.

``energy_uj`` is root-only on most kernels since CVE-2020-8694, and absent in most VMs:
``RaplMeter.open`` then returns None and the run falls back to the TDP estimate. Tests point
``PARETOLAB_POWERCAP_ROOT`` at a fake tree.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
ROOT_ENV = "PARETOLAB_POWERCAP_ROOT"
DEFAULT_ROOT = "/sys/class/powercap"
ZONE_PREFIX = "intel-rapl:"
MICROJOULES_PER_JOULE = 1e6


@dataclass
class _Zone:
    path: Path
    part: str  # "cpu" (a package) or "dram"
    wrap_uj: int  # max_energy_range_uj: the counter runs from 0 to this, then starts over
    last_uj: int
    joules: float = 0.0  # since the meter opened


def powercap_root() -> Path:
    """The powercap folder: ``$PARETOLAB_POWERCAP_ROOT`` or ``/sys/class/powercap``."""
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def _part(name: str) -> str | None:
    if name.startswith("package"):
        return "cpu"
    return "dram" if name == "dram" else None


def _zone_dirs(root: Path) -> list[Path]:
    """Every RAPL zone folder, once: top-level and nested (sysfs lists sub-zones both ways)."""
    found: dict[Path, Path] = {}
    pending = sorted(root.glob(f"{ZONE_PREFIX}*")) if root.is_dir() else []
    while pending:
        folder = pending.pop(0)
        real = folder.resolve()
        if real in found or not folder.is_dir():
            continue
        found[real] = folder
        pending += sorted(folder.glob(f"{ZONE_PREFIX}*"))
    return list(found.values())


def _read_int(path: Path) -> int:
    return int(path.read_text(encoding="ascii").strip())


def _open_zone(folder: Path) -> _Zone | None:
    """The zone in ``folder`` when it is a package or DRAM and its counter is readable."""
    try:
        part = _part((folder / "name").read_text(encoding="ascii").strip())
        if part is None:
            return None
        return _Zone(
            folder, part, _read_int(folder / "max_energy_range_uj"), _read_int(folder / "energy_uj")
        )
    except (OSError, ValueError) as exc:  # PermissionError for non-root, the usual case
        log.info("RAPL zone %s is not readable: %s", folder, exc)
        return None


class RaplMeter:
    """The energy of the machine's CPU packages and DRAM since the meter opened.

    Call ``read`` more often than a counter wraps (a package at 200 W wraps its 262 kJ
    range in about 20 minutes; the sampler reads every few seconds).
    """

    def __init__(self, zones: list[_Zone]):
        self.zones = zones

    @classmethod
    def open(cls, root: Path | None = None) -> RaplMeter | None:
        """A meter over every readable package and DRAM zone, or None when no package is
        readable (no RAPL, a VM, or not root)."""
        zones = [z for f in _zone_dirs(root or powercap_root()) if (z := _open_zone(f))]
        if not any(z.part == "cpu" for z in zones):
            return None
        return cls(zones)

    @property
    def parts(self) -> list[str]:
        """The parts measured: ``cpu``, and ``dram`` where the machine reports it."""
        return sorted({z.part for z in self.zones})

    def read(self) -> dict[str, float]:
        """Joules by part since the meter opened. A zone that cannot be read now keeps its
        total; its next reading counts the energy in between."""
        for zone in self.zones:
            try:
                now = _read_int(zone.path / "energy_uj")
            except (OSError, ValueError) as exc:
                log.debug("RAPL zone %s: %s", zone.path, exc)
                continue
            delta = now - zone.last_uj
            if delta < 0:  # the counter wrapped past max_energy_range_uj
                delta += zone.wrap_uj
            zone.joules += max(delta, 0) / MICROJOULES_PER_JOULE
            zone.last_uj = now
        out: dict[str, float] = {}
        for zone in self.zones:
            out[zone.part] = out.get(zone.part, 0.0) + zone.joules
        return out
