"""Datasets: the built-in registry, splits, tokenizers and data modules.

Which data module serves which task is ``lightning_modules.registry``'s table.
"""

from __future__ import annotations

from lightning_modules.registry import build_data_module

__all__ = ["build_data_module"]
