"""`paretolab cost estimate`, the Launch preview and the run count the same parameters,
classifier head included (issue 22, defect 8), for the presets a newcomer meets first."""

import json

import pytest

from dashboard.services import launch as launch_services
from paretolab.cli import main
from paretolab.config.io import load_config
from tests.conftest import REPO


def torch_params(config) -> int:
    """What the run trains: the torch classifier built from the config, the tokenizer's
    vocabulary at its configured maximum (as the preview and the estimate assume)."""
    from lightning_modules.data.builtin.registry import get_dataset
    from lightning_modules.models import EncoderClassifier, TransformerConfig

    classes = get_dataset(config.data.dataset).num_classes
    net = EncoderClassifier(
        TransformerConfig.from_run(config, config.tokenizer.vocab_size, classes)
    )
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize(("preset", "expected"), [("tiny", 30_981), ("bbc_demo", 620_613)])
@pytest.mark.slow
def test_estimate_preview_and_run_count_the_same_parameters(
    home, capsys, preset: str, expected: int
) -> None:
    path = REPO / "configs" / f"{preset}.yaml"
    assert main(["cost", "estimate", str(path), "--tokens", "1M"]) == 0
    estimated = json.loads(capsys.readouterr().out)["params"]
    config = load_config(path)
    previewed = sum(launch_services.model_summary(config)[0].values())
    assert estimated == previewed == torch_params(config) == expected


def test_a_file_dataset_asks_for_its_classes(home, capsys) -> None:
    path = REPO / "configs" / "file_csv_tiny.yaml"
    assert main(["cost", "estimate", str(path), "--tokens", "1M"]) == 2
    assert "give --classes N" in capsys.readouterr().err
    assert main(["cost", "estimate", str(path), "--tokens", "1M", "--classes", "3"]) == 0
