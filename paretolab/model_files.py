"""Facts read straight from a Hugging Face model folder's files, without loading the model:
the exact parameter count (safetensors headers), the licence (the model card's front
matter) and the size on disk. Imports no torch and no transformers.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path

import yaml

from paretolab.errors import UserError

# A safetensors header lists one small JSON object per tensor; a few megabytes cover models
# with tens of thousands of tensors. A bigger length is a corrupt or foreign file.
MAX_HEADER_BYTES = 100_000_000
# The model card's YAML front matter sits at the top of README.md; reading more than this
# to find its end is reading a card that has none.
MAX_CARD_BYTES = 256_000
INDEX_FILE = "model.safetensors.index.json"
# Parameters are floating point; an integer tensor is a saved buffer (BERT's old checkpoints
# keep `embeddings.position_ids`), which model.parameters() does not count.
FLOAT_DTYPES = ("F", "BF")


def safetensors_files(folder: Path) -> list[Path]:
    """The safetensors files holding the model's weights: the shards that the index names,
    else ``model.safetensors``, else every ``*.safetensors`` file directly in ``folder``."""
    index = folder / INDEX_FILE
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
            return [folder / name for name in sorted(set(weight_map.values()))]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise UserError(f"{index} is not a safetensors index; fix or remove it") from None
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    return sorted(p for p in folder.glob("*.safetensors") if p.is_file())


def tensor_count(path: Path) -> int:
    """The number of values in the floating-point tensors of one safetensors file (its header only: an
    8-byte little-endian length, then that many bytes of JSON).

    Raises:
        UserError: the file is missing, truncated, or not safetensors.
    """
    try:
        with path.open("rb") as f:
            raw = f.read(8)
            (length,) = struct.unpack("<Q", raw) if len(raw) == 8 else (-1,)
            if not 0 < length <= MAX_HEADER_BYTES:
                raise UserError(f"{path} is not a safetensors file (bad header length)")
            header = json.loads(f.read(length))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} cannot be read as safetensors ({exc})") from None
    if not isinstance(header, dict):
        raise UserError(f"{path} is not a safetensors file (its header is no JSON object)")
    total = 0
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        try:
            if str(tensor["dtype"]).startswith(FLOAT_DTYPES):
                total += math.prod(int(d) for d in tensor["shape"])
        except (TypeError, KeyError, ValueError):
            raise UserError(f"{path}: tensor {name!r} has no valid dtype and shape") from None
    return total


def parameter_count(folder: Path) -> int | None:
    """The exact parameter count from the safetensors headers; None when the folder has no
    safetensors weights (a ``.bin``-only folder: counting those would mean unpickling them).

    Raises:
        UserError: a weight file or the shard index cannot be read.
    """
    files = safetensors_files(folder)
    if not files:
        return None
    return sum(tensor_count(path) for path in files)


def card_license(folder: Path) -> str | None:
    """The ``license:`` of the model card (README.md's YAML front matter), if it names one.
    A card without front matter, or with front matter that does not parse, names none."""
    card = folder / "README.md"
    try:
        with card.open(encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_CARD_BYTES)
    except OSError:
        return None
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        meta = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return None
    if not isinstance(meta, dict):
        return None
    found = meta.get("license")
    if isinstance(found, list):
        found = ", ".join(str(x) for x in found)
    if found == "other" and meta.get("license_name"):  # the card names its own licence
        found = f"other ({meta['license_name']})"
    return str(found) if found else None


def disk_size(folder: Path) -> int:
    """Bytes of every file under ``folder``; a link counts as what it points to (the
    Hugging Face cache's snapshots link into its blobs)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # a dangling link: the blob was deleted
                continue
    return total
