"""The user's images: a folder with one sub-folder of images per class, or an ``.npz`` file.

Both become float32 ``(N, C, H, W)`` in [0, 1] with string labels, like the built-in sets.

- Folder: each sub-folder's name is a class; its PNG, JPEG, BMP and GIF files (first
  frame) are the examples; other files and hidden ones are ignored. Images are grey-scale
  (C=1) when every image is grey (all channels equal), else RGB (C=3); an alpha channel is
  dropped. All images must share one size: nothing is resized behind your back (resizing
  distorts, and which size is right depends on your data), so an odd one is an error that
  names it and the size most images have.
- ``.npz``: an array ``images`` of shape (N, H, W) (grey), (N, C, H, W) or (N, H, W, C)
  with C = 1 or 3, as uint8 0–255 (any integer type in that range) or floats in [0, 1];
  and an array ``labels`` of N class labels (numbers or strings). Pickled object arrays
  are refused.
"""

from __future__ import annotations

import difflib
import warnings
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from lightning_modules.data.user.files import (
    MIN_EXAMPLES,
    check_size,
    checked_file,
    data_error,
)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def read_images(path: str | Path, max_mb: float) -> tuple[np.ndarray, list[str]]:
    """An image folder or ``.npz`` file as ``(images (N, C, H, W) in [0, 1], labels)``.

    Raises:
        UserError: naming the file (or folder) and the problem, see the module docstring.
    """
    path = Path(path)
    if path.is_dir():
        return read_image_folder(path, max_mb)
    if path.suffix.lower() == ".npz" or not path.exists():
        return read_npz(path, max_mb)
    raise data_error(
        path,
        "task=image_classification reads a folder with one sub-folder of images per class, "
        "or an .npz file with 'images' and 'labels' arrays; point data.path at one",
    )


def read_image_folder(folder: Path, max_mb: float) -> tuple[np.ndarray, list[str]]:
    """Images ``(N, C, H, W)`` float32 in [0, 1] and their class (sub-folder) names."""
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise data_error(
            folder,
            "has no sub-folders; put the images of each class in a sub-folder named "
            "after the class (e.g. cats/, dogs/)",
        )
    files: list[tuple[Path, str]] = []
    for class_dir in classes:
        found = sorted(
            p
            for p in class_dir.iterdir()
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not p.name.startswith(".")
        )
        if not found:
            raise data_error(
                class_dir,
                f"class folder holds no images ({', '.join(IMAGE_SUFFIXES)}); add some or "
                "remove the folder",
            )
        files += [(p, class_dir.name) for p in found]
    check_size(folder, sum(p.stat().st_size for p, _ in files), max_mb)
    pixels = [_decode(p) for p, _ in files]
    sizes = Counter(a.shape[:2] for a in pixels)
    common = sizes.most_common(1)[0][0]
    for (p, _), a in zip(files, pixels, strict=True):
        if a.shape[:2] != common:
            raise data_error(
                p,
                f"is {a.shape[1]}×{a.shape[0]} pixels, but most images are "
                f"{common[1]}×{common[0]}; resize every image to one size",
            )
    stack = np.stack(pixels)  # (N, H, W, 3) uint8
    grey = bool((stack[..., :1] == stack[..., 1:]).all())
    stack = stack[..., :1] if grey else stack
    images = stack.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    labels = [label for _, label in files]
    return _checked(folder, images, labels)


def _decode(path: Path) -> np.ndarray:
    """One image file as ``(H, W, 3)`` uint8 (first frame; alpha dropped)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Past Pillow's pixel limit it only warns (an error at twice the limit): a
            # small file that decodes to gigabytes is refused either way.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise data_error(
            path,
            f"is too many pixels to decode safely ({exc}); resize it below "
            f"{Image.MAX_IMAGE_PIXELS:,} pixels or remove it",
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise data_error(
            path, f"is not a readable image ({exc}); re-save it as PNG or remove it"
        ) from None


def read_npz(path: Path | str, max_mb: float) -> tuple[np.ndarray, list[str]]:
    """Images ``(N, C, H, W)`` float32 in [0, 1] and labels from ``images``/``labels`` arrays."""
    path = checked_file(path, max_mb)
    if not zipfile.is_zipfile(path):
        raise data_error(
            path, "is not a readable .npz file (not a zip archive); save it with np.savez"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in ("images", "labels") if name in npz.files}
            present = list(npz.files)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise data_error(
            path, f"is not a readable .npz file ({exc}); save it with np.savez"
        ) from None
    except ValueError:  # object arrays need pickle, which could run code: refused
        raise data_error(
            path, "holds object arrays, which only pickle can read; store numeric or string arrays"
        ) from None
    for name in ("images", "labels"):
        if name not in arrays:
            close = difflib.get_close_matches(name, present, n=1, cutoff=0.5)
            hint = f"rename {close[0]!r} to {name!r}" if close else f"add an array {name!r}"
            raise data_error(
                path,
                f"no array {name!r}; the file has {', '.join(map(repr, present)) or 'none'}; "
                f"{hint} (np.savez(path, images=…, labels=…))",
            )
    images, labels = arrays["images"], arrays["labels"]
    if labels.ndim != 1 or len(labels) != len(images):
        raise data_error(
            path,
            f"'labels' has shape {labels.shape} but 'images' has {len(images)} images; "
            "give one label per image",
        )
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)  # 3.0 is class "3"
    return _checked(path, _channels_first(path, images), [str(v) for v in labels.tolist()])


def _channels_first(path: Path, images: np.ndarray) -> np.ndarray:
    """``images`` as float32 ``(N, C, H, W)`` in [0, 1]."""
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4 and images.shape[1] not in (1, 3) and images.shape[3] in (1, 3):
        images = images.transpose(0, 3, 1, 2)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise data_error(
            path,
            f"'images' has shape {images.shape}; give (N, H, W), (N, C, H, W) or "
            "(N, H, W, C) with C = 1 (grey) or 3 (RGB)",
        )
    if images.dtype.kind in "iub":
        low, high = (int(images.min()), int(images.max())) if images.size else (0, 0)
        if low < 0 or high > 255:
            raise data_error(
                path, f"integer 'images' range from {low} to {high}; give uint8 values 0–255"
            )
        return images.astype(np.float32) / 255.0
    if images.dtype.kind != "f":
        raise data_error(path, f"'images' has dtype {images.dtype}; give uint8 or float values")
    images = images.astype(np.float32)
    if not np.isfinite(images).all() or images.min() < 0.0 or images.max() > 1.0:
        raise data_error(
            path,
            f"float 'images' must lie in [0, 1], these range from {np.nanmin(images):g} to "
            f"{np.nanmax(images):g} (or hold NaN/inf); scale them, or store uint8 0–255",
        )
    return images


def _checked(path: Path, images: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """Refuse too few images or a single class."""
    if len(labels) < MIN_EXAMPLES:
        raise data_error(
            path,
            f"only {len(labels)} images; at least {MIN_EXAMPLES} are needed for "
            "train/val/test splits; add images",
        )
    if len(set(labels)) < 2:
        raise data_error(
            path,
            f"every image has the class {labels[0]!r}; image classification needs at least "
            "two classes",
        )
    return images, labels
