"""The check a launch runs on the user's data file before any run is recorded."""

import subprocess
import sys

import pytest

from lightning_modules.data.data_check import check_user_data
from paretolab.config.io import load_config, parse_config
from paretolab.errors import UserError
from tests.conftest import REPO

EXAMPLES = REPO / "examples" / "data"


def test_each_task_is_summarised_with_what_the_model_needs() -> None:
    csv = load_config(REPO / "configs" / "file_csv_tiny.yaml")
    csv.data.path = str(EXAMPLES / "number_languages.csv")
    found = check_user_data(csv)
    assert found.summary == "number_languages.csv: 320 rows, 4 classes" and found.num_classes == 4
    images = load_config(
        REPO / "configs" / "digits_tiny.yaml", ["data.dataset=file", f"data.path={EXAMPLES}/digits"]
    )
    found = check_user_data(images)
    assert found.image_shape == (1, 8, 8) and found.num_classes == 10
    assert check_user_data(load_config(REPO / "configs" / "tiny.yaml")).num_classes == 0


def test_too_little_text_for_one_language_model_window_is_refused_before_training(
    tmp_path,
) -> None:
    path = tmp_path / "short.txt"
    path.write_text("a few words of text\n" * 20)  # 400 characters: 40 for val and test
    config = parse_config(
        {
            "task": "language_modeling",
            "model": {"family": "decoder_lm"},
            "trainer": {"monitor": "val_loss"},
            "data": {"dataset": "file", "path": str(path), "max_length": 64},
        }
    )
    with pytest.raises(UserError, match=r"short.txt: 400 characters of text leave 40 for the"):
        check_user_data(config)
    config.data.max_length = 32
    assert check_user_data(config).summary == "short.txt: 1 document(s), 400 characters"


def test_the_module_reports_on_stdout_or_exits_2_with_one_line(tmp_path) -> None:
    config = load_config(REPO / "configs" / "file_csv_tiny.yaml")
    config.data.path = str(tmp_path / "missing.csv")
    done = subprocess.run(
        [sys.executable, "-m", "lightning_modules.data.data_check"],
        input=config.model_dump_json(),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 2
    assert (
        done.stderr
        == f"paretolab: error: {tmp_path / 'missing.csv'}: no such file; check data.path\n"
    )
