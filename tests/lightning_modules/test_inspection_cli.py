"""`paretolab attention`: the command writes the documented .npz arrays."""

import subprocess
import sys

import numpy as np
import pytest

from lightning_modules.inspection import maps as maps_module
from paretolab.cli import main
from tests.conftest import TrainedRuns

EVERY_RUN = {
    "tokens",
    "special",
    "attention",
    "rollout",
    "prediction",
    "reference",
    "source",
    "run",
    "family",
    "task",
    "notes",
    "fast_path_max_diff",
}
SALIENCY = {"saliency", "saliency_signed"}
SEQ2SEQ = {
    "target_tokens",
    "output_tokens",
    "target_special",
    "decoder_attention",
    "cross_attention",
    "decoder_rollout",
}
VIT = {"image", "patch_grid"}


def test_the_documented_arrays_are_the_ones_written() -> None:
    for name in EVERY_RUN | SALIENCY | SEQ2SEQ | VIT:
        assert f"``{name}``" in maps_module.__doc__, name


@pytest.mark.parametrize(
    ("family", "args", "extra"),
    [
        ("encoder_classifier", ["--text", "the bank raised interest rates"], SALIENCY),
        ("encoder_decoder", ["--sample", "2", "--split", "test"], SEQ2SEQ),
        ("vit", ["--sample", "0", "--checkpoint", "last"], SALIENCY | VIT),
        ("decoder_lm", ["--text", "To be, or not"], set()),
    ],
)
def test_the_command_writes_the_documented_arrays(
    trained_home: TrainedRuns, tmp_path, capsys, family: str, args: list[str], extra: set[str]
) -> None:
    run_id = trained_home.ids[family]
    out = tmp_path / "maps.npz"
    assert main(["attention", str(run_id), *args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert f"run {run_id}, " in captured.err and "explicit path = fast path" in captured.err
    with np.load(out, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    assert set(arrays) == EVERY_RUN | extra
    L, H, T, _ = arrays["attention"].shape
    assert arrays["tokens"].shape == arrays["special"].shape == (T,)
    assert arrays["rollout"].shape == (T, T) and str(arrays["family"]) == family
    if "cross_attention" in arrays:
        U = len(arrays["output_tokens"])
        assert arrays["cross_attention"].shape[1:] == (H, U, T)
        assert str(arrays["source"]) == "test sample 2"
    if "image" in arrays:
        rows, cols = arrays["patch_grid"]
        assert 1 + rows * cols == T and arrays["image"].shape == (1, 8, 8)


def test_bad_input_is_one_line_and_exit_code_2(trained_home: TrainedRuns, tmp_path, capsys) -> None:
    out = tmp_path / "maps.npz"
    vit = str(trained_home.ids["vit"])
    for argv, message in (
        (["attention", vit, "--text", "hello"], "reads images, not text"),
        (["attention", "77", "--sample", "0"], "no run with id 77"),
        (["attention", vit, "--sample", "-1"], "--sample must be 0 or more"),
    ):
        assert main([*argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("paretolab: error:") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_registering_the_command_does_not_load_torch() -> None:
    # Every `paretolab` command builds the parser, plugins included: it must stay light.
    code = (
        "import sys, paretolab.cli as cli; cli.build_parser(); "
        "assert 'torch' not in sys.modules and 'lightning' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
