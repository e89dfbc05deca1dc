"""The user's images: class folders and .npz files, every bad-input message, a tiny ViT run."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lightning_modules.data.sources import load_images
from lightning_modules.run.train import run_training
from paretolab.config.io import load_config, parse_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

DIGITS = REPO / "examples" / "data" / "digits"


def image_config(path: Path, **data):
    return parse_config(
        {
            "task": "image_classification",
            "model": {"family": "vit"},
            "trainer": {"monitor": "val_acc"},
            "data": {"dataset": "file", "path": str(path), **data},
        }
    )


def image_folder(root: Path, classes=("cat", "dog"), per_class=6, size=(6, 4), mode="L") -> Path:
    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
            pixels = rng.integers(0, 256, shape, dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def fails(config) -> str:
    with pytest.raises(UserError) as info:
        load_images(config)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_the_example_digit_folder_reads_as_grey_images_in_0_1() -> None:
    images, labels = load_images(image_config(DIGITS))
    assert images.shape == (120, 1, 8, 8) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert sorted(set(labels)) == [str(i) for i in range(10)] and labels.count("3") == 12


def test_colour_images_stay_rgb_and_other_files_are_ignored(tmp_path) -> None:
    root = image_folder(tmp_path / "pets", mode="RGB")
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "README.md").write_text("top-level files are ignored")
    images, labels = load_images(image_config(root))
    assert images.shape == (12, 3, 4, 6) and labels[:6] == ["cat"] * 6


@pytest.mark.parametrize(
    "layout,shape",
    [("nhw", (12, 5, 7)), ("nchw", (12, 3, 5, 7)), ("nhwc", (12, 5, 7, 3))],
)
def test_npz_layouts_become_nchw_in_0_1(tmp_path, layout: str, shape: tuple) -> None:
    pixels = np.full(shape, 255, dtype=np.uint8)
    path = tmp_path / "images.npz"
    np.savez(path, images=pixels, labels=np.arange(12) % 3)
    images, labels = load_images(image_config(path))
    channels = 1 if layout == "nhw" else 3
    assert images.shape == (12, channels, 5, 7) and images.max() == 1.0
    assert labels[:4] == ["0", "1", "2", "0"]


def test_npz_float_images_must_lie_in_0_1(tmp_path) -> None:
    path = tmp_path / "f.npz"
    np.savez(path, images=np.full((12, 4, 4), 3.0), labels=np.arange(12) % 2)
    assert "f.npz: float 'images' must lie in [0, 1], these range from 3 to 3" in fails(
        image_config(path)
    )


def test_npz_missing_array_and_mismatched_lengths(tmp_path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, images=np.zeros((12, 4, 4)), label=np.arange(12) % 2)
    msg = fails(image_config(path))
    assert "a.npz: no array 'labels'; the file has 'images', 'label'; rename 'label'" in msg
    np.savez(path, images=np.zeros((12, 4, 4)), labels=np.arange(11) % 2)
    msg = fails(image_config(path))
    assert "a.npz: 'labels' has shape (11,) but 'images' has 12 images" in msg


def test_npz_that_is_not_an_npz_and_pickled_arrays(tmp_path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    assert "junk.npz: is not a readable .npz file" in fails(image_config(junk))
    pickled = tmp_path / "p.npz"
    np.savez(pickled, images=np.zeros((12, 4, 4)), labels=np.array([{"a": 1}] * 12))
    assert "p.npz: holds object arrays, which only pickle can read" in fails(image_config(pickled))


def test_an_undecodable_image_is_named(tmp_path) -> None:
    root = image_folder(tmp_path / "pets")
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG not really")
    msg = fails(image_config(root))
    assert f"{root / 'dog' / 'broken.png'}: is not a readable image" in msg


def test_an_image_of_another_size_is_named_with_both_sizes(tmp_path) -> None:
    root = image_folder(tmp_path / "pets")
    Image.new("L", (9, 9)).save(root / "dog" / "big.png")
    msg = fails(image_config(root))
    assert f"{root / 'dog' / 'big.png'}: is 9×9 pixels, but most images are 6×4" in msg


def test_single_class_empty_class_no_classes_and_too_few(tmp_path) -> None:
    one = image_folder(tmp_path / "one", classes=("cat",), per_class=12)
    assert "every image has the class 'cat'" in fails(image_config(one))
    empty = image_folder(tmp_path / "empty")
    (empty / "bird").mkdir()
    assert f"{empty / 'bird'}: class folder holds no images" in fails(image_config(empty))
    flat = tmp_path / "flat"
    flat.mkdir()
    assert f"{flat}: has no sub-folders" in fails(image_config(flat))
    few = image_folder(tmp_path / "few", per_class=2)
    assert f"{few}: only 4 images; at least 10 are needed" in fails(image_config(few))


def test_total_size_over_the_limit_and_a_missing_path(tmp_path) -> None:
    root = image_folder(tmp_path / "pets", size=(64, 64))
    msg = fails(image_config(root, max_file_mb=0.001))
    assert f"{root}: " in msg and "over data.max_file_mb=0.001" in msg
    assert "nowhere.npz: no such file" in fails(image_config(tmp_path / "nowhere.npz"))


def test_a_tiny_vit_trains_from_an_image_folder(store: RunStore) -> None:
    config = load_config(
        REPO / "configs" / "digits_tiny.yaml",
        [
            "wandb.mode=disabled",
            "data.dataset=file",
            f"data.path={DIGITS}",
            "trainer.log_every_n_steps=2",
        ],
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    assert {"test_acc", "val_acc"} <= set(store.latest_metrics(run_id))
