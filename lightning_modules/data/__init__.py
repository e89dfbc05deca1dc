"""Datasets and the data modules that serve them to a task.

- ``builtin/``: one module per built-in dataset, and their registry;
- ``user/``: the user's own files (plain text, tables, images);
- ``modules/``: the data modules, named after the tasks they serve;
- here: what they share (sources, splits, folds, cleaning, augmentation, masking,
  tokenization, seq2seq pairs) and ``data_check``, the pre-launch check of a user's file.

Which data module serves which task is ``lightning_modules.registry``'s table.
"""

from __future__ import annotations

from lightning_modules.registry import build_data_module

__all__ = ["build_data_module"]
