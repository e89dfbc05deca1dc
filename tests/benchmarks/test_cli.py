"""``paretolab bench``: the plugin command that runs the benchmark scripts."""

from __future__ import annotations

import pytest

from benchmarks import cli
from paretolab.cli import build_parser, main


def test_bench_is_a_registered_command_with_every_present_script() -> None:
    args = build_parser().parse_args(["bench", "overhead", "--quick"])
    assert args.handler is cli.run_bench and args.name == "overhead" and args.quick
    present = cli.available()
    assert {"overhead", "gpu", "store", "browser", "dashboard", "quality"} <= set(present)
    assert all(path.is_file() for path in present.values())
    assert cli.has_quick_mode(present["overhead"])
    assert not cli.has_quick_mode(present["quality"])


def test_bench_refuses_arguments_for_all_and_quick_for_a_script_without_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "all", "--", "--steps", "5"]) == 2
    assert "name it instead of `all`" in capsys.readouterr().err
    assert main(["bench", "quality", "--quick"]) == 2
    assert "has no --quick mode" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_gpu_skips_cleanly_without_cuda(capfd: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.fail("this test checks the CPU-only path; run it where there is no CUDA device")
    assert main(["bench", "gpu", "--quick"]) == 0
    assert "skipped, no CUDA device" in capfd.readouterr().out


def test_bench_serve_takes_a_model_and_the_script_takes_its_options() -> None:
    args = build_parser().parse_args(["bench", "serve", "bbc@production", "--", "--threads", "2"])
    assert (args.name, args.script_args) == ("serve", ["bbc@production", "--threads", "2"])
    script = cli.available()["serve"]
    assert script.name == "serving.py" and cli.has_quick_mode(script)
