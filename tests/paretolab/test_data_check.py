"""The CLI side of the data-file check: absolute paths, and the check in a child process."""

from pathlib import Path

import pytest

from paretolab.config.io import load_config
from paretolab.data_check import check_data, with_absolute_data_path
from paretolab.errors import UserError
from tests.conftest import REPO, TINY

FILE_CSV = REPO / "configs" / "file_csv_tiny.yaml"


def test_relative_data_paths_become_absolute_against_the_base(tmp_path: Path) -> None:
    config = load_config(FILE_CSV)
    resolved = with_absolute_data_path(config, tmp_path / "here")
    assert resolved.data.path == str(tmp_path / "here" / "examples/data/number_languages.csv")
    assert config.data.path == "examples/data/number_languages.csv"  # the input is untouched
    assert with_absolute_data_path(resolved, Path("/elsewhere")) is resolved
    builtin = load_config(TINY)
    assert with_absolute_data_path(builtin, tmp_path) is builtin


def test_check_data_summarises_a_good_file_and_raises_the_files_problem() -> None:
    assert check_data(load_config(TINY)) is None  # built-in: nothing to read
    config = with_absolute_data_path(load_config(FILE_CSV), REPO)
    assert check_data(config) == "number_languages.csv: 320 rows, 4 classes"
    config.data.label_column = "language"
    with pytest.raises(UserError, match=r"number_languages.csv, line 1: no column 'language'"):
        check_data(config)
