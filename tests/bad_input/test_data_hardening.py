"""Issue 18's refusals before a run is stored: a model too big for memory, a missing
``model.init_from`` run, and data files whose rows, cells, classes, targets or column
names cannot train (one line, exit code 2, nothing stored)."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from lightning_modules.data.data_check import check_user_data
from paretolab import limits
from paretolab.config.io import load_config, parse_config
from paretolab.devices import Machine
from paretolab.errors import UserError
from paretolab.memory_fit import check_memory, memory_problems
from tests.bad_input.test_bad_input import FILE_CONFIG, assert_refused
from tests.conftest import REPO, TINY, tiny_config

HUGE_MODEL = [
    "model.d_model=16384",
    "model.n_layers=128",
    "model.n_heads=128",
    "model.d_ff=131072",
    "tokenizer.vocab_size=250000",
]


def test_a_model_too_big_for_memory_is_refused_with_the_figures(capsys, store) -> None:
    argv = ["train", str(TINY)]
    for value in HUGE_MODEL:
        argv += ["--set", value]
    assert_refused(argv, "make the model smaller (model.d_model", capsys, store)


def test_the_memory_override_refuses_even_the_tiny_model(monkeypatch, capsys, store) -> None:
    monkeypatch.setenv("PARETOLAB_MEMORY_BYTES", "1000")
    assert_refused(["train", str(TINY)], "PARETOLAB_MEMORY_BYTES", capsys, store)


def test_activations_over_memory_ask_for_a_smaller_batch(monkeypatch) -> None:
    config = tiny_config("data.batch_size=4096", "data.max_length=512")
    machine = Machine("cpu", 1, 1, memory_gb=1.0)
    with pytest.raises(UserError, match="lower data.batch_size or data.max_length"):
        check_memory(config, machine)
    check_memory(tiny_config(), machine)  # the tiny model fits in 1 GB


def test_init_from_a_missing_run_is_refused_before_it_is_stored(capsys, store) -> None:
    assert_refused(["train", str(TINY), "--set", "model.init_from=42"], "no run 42", capsys, store)


def png_header(width: int, height: int) -> bytes:
    """A PNG file that claims ``width`` × ``height`` pixels (Pillow reads the size first)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_png_decompression_bomb_names_its_file(tmp_path) -> None:
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(6):
            Image.new("L", (4, 4), i * 10).save(tmp_path / label / f"{i}.png")
    bomb = tmp_path / "b" / "bomb.png"
    bomb.write_bytes(png_header(30_000, 30_000))
    config = load_config(
        REPO / "configs" / "digits_tiny.yaml",
        ["wandb.mode=disabled", "data.dataset=file", f"data.path={tmp_path}"],
    )
    with pytest.raises(UserError) as info:
        check_user_data(config)
    message = str(info.value)
    assert str(bomb) in message and "pixels" in message and "\n" not in message, message


ROWS = "".join(f"row {i},{'en' if i % 2 else 'fr'}\n" for i in range(30))
LONG_ROW = "x" * (limits.MAX_ROW_BYTES + 10)
LONG_CELL = "y" * (limits.MAX_CELL_CHARS + 10)
# (id, file name, content, extra overrides, fragment)
DATA_FILES: list[tuple[str, str, str, list[str], str]] = [
    ("long-csv-row", "long.csv", f"text,label\n{LONG_ROW},en\n" + ROWS, [], "MAX_ROW_BYTES"),
    (
        "long-jsonl-row",
        "long.jsonl",
        json.dumps({"text": LONG_ROW, "label": "en"}) + '\n{"text": "a", "label": "b"}' * 20,
        [],
        "long.jsonl, line 1",
    ),
    (
        "long-csv-cell",
        "cell.csv",
        f'text,label\n"{LONG_CELL}",en\n' + ROWS,
        [],
        "MAX_CELL_CHARS",
    ),
    (
        "long-multiline-row",
        "lines.csv",
        'text,label\n"' + ("z" * 1000 + "\n") * 1100 + '",en\n' + ROWS,
        [],
        "lines.csv, line 2",
    ),
    (
        "every-row-its-own-class",
        "unique.csv",
        "text,label\n" + "".join(f"text {i},class {i}\n" for i in range(60)),
        [],
        "60 classes in 60 rows",
    ),
    (
        "constant-target",
        "flat.csv",
        "text,label\n" + "".join(f"text {i},3.5\n" for i in range(30)),
        ["task=regression", "trainer.monitor=val_loss", "trainer.monitor_mode=min"],
        "every row has the target 3.5",
    ),
    (
        "duplicate-text-column",
        "twotext.csv",
        "text,label,text\n" + "".join(f"a {i},{i % 2},b {i}\n" for i in range(30)),
        [],
        "column 'text' appears twice",
    ),
    (
        "duplicate-label-column",
        "twolabel.csv",
        "text,label,label\n" + "".join(f"a {i},{i % 2},x\n" for i in range(30)),
        [],
        "column 'label' appears twice",
    ),
    (
        "duplicate-jsonl-key",
        "twokeys.jsonl",
        "".join(f'{{"text": "a {i}", "label": "{i % 2}", "text": "b"}}\n' for i in range(30)),
        [],
        "twokeys.jsonl, line 1: key 'text' appears twice",
    ),
]


@pytest.mark.parametrize(
    "name, content, overrides, fragment",
    [c[1:] for c in DATA_FILES],
    ids=[c[0] for c in DATA_FILES],
)
def test_a_data_file_that_cannot_train(tmp_path, name, content, overrides, fragment) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    config = load_config(FILE_CONFIG, [f"data.path={path}", "wandb.mode=disabled", *overrides])
    with pytest.raises(UserError) as info:
        check_user_data(config)
    message = str(info.value)
    assert fragment in message and "\n" not in message, message


def test_a_long_row_through_the_command(tmp_path, capsys, store) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"text,label\n{LONG_ROW},en\n" + ROWS)
    argv = ["train", str(FILE_CONFIG), "--set", f"data.path={path}"]
    assert_refused(argv, "long.csv, line 2", capsys, store)


def test_the_check_reads_at_most_max_check_bytes(tmp_path, monkeypatch) -> None:
    # Past the first MAX_CHECK_BYTES the check reads nothing: a bad byte there is left to
    # training (which reads the whole file), and the summary says how much was checked.
    monkeypatch.setattr(limits, "MAX_CHECK_BYTES", 2_000)
    path = tmp_path / "big.csv"
    path.write_bytes(b"text,label\n" + ROWS.encode() * 20 + b"caf\xe9,en\n")
    config = load_config(FILE_CONFIG, [f"data.path={path}", "wandb.mode=disabled"])
    summary = check_user_data(config).summary
    assert "first 2,000 bytes checked" in summary, summary


def test_the_dashboard_and_a_sweep_trial_refuse_a_model_too_big(monkeypatch, store) -> None:
    import optuna

    from dashboard.services import launch as launch_services
    from dashboard.services import system as system_services
    from sweeps.objective import TrialFailed, run_trial
    from sweeps.spec import load_spec
    from tests.sweeps.conftest import TINY_SPEC

    monkeypatch.setenv("PARETOLAB_MEMORY_BYTES", "1000")
    system_services.machine.clear()
    config, problems = launch_services.validate(tiny_config().model_dump(mode="json"))
    assert config is None and "PARETOLAB_MEMORY_BYTES" in problems[0], problems
    trial = optuna.create_study().ask()
    with pytest.raises(TrialFailed, match="PARETOLAB_MEMORY_BYTES"):
        run_trial(trial, load_spec(TINY_SPEC, study="big"), store)
    assert trial.user_attrs["run_status"] == "refused"
    assert store.list_runs() == []


def test_on_a_gpu_the_model_must_fit_the_gpus_memory() -> None:
    from paretolab.devices import Accelerator

    gpu = Accelerator("cuda", 0, "Small GPU", 1.0, "8.0", True, None)
    machine = Machine("cpu", 16, 8, memory_gb=512.0, accelerators=(gpu,))
    big = tiny_config("model.d_model=1024", "model.n_layers=12", "hardware.accelerator=gpu")
    with pytest.raises(
        UserError,
        match="GB of this machine's GPU; lower data.batch_size.*make the model smaller \\(model.d_model",
    ):
        check_memory(big, machine)
    big.hardware.accelerator = "cpu"
    check_memory(big, machine)  # the machine's 512 GB hold it


def test_a_gpt2_small_at_4k_context_fits_an_80_gb_gpu() -> None:
    # SDPA keeps no (T × T) attention scores: counting them would ask for ~215 GB here.
    from paretolab.devices import Accelerator

    gpu = Accelerator("cuda", 0, "H100", 80.0, "9.0", True, None)
    machine = Machine("cpu", 16, 8, memory_gb=64.0, accelerators=(gpu,))
    gpt2 = load_config(
        REPO / "configs" / "shakespeare_tiny.yaml",
        [
            "model.d_model=768",
            "model.n_layers=12",
            "model.n_heads=12",
            "model.d_ff=3072",
            "data.batch_size=8",
            "data.max_length=4096",
            "trainer.precision=bf16-mixed",
            "hardware.accelerator=gpu",
            "wandb.mode=disabled",
        ],
    )
    assert memory_problems(gpt2, machine) == []
    gpt2.data.batch_size = 64  # 8× the activations: now it cannot fit
    assert "lower data.batch_size or data.max_length" in memory_problems(gpt2, machine)[0]


def test_fsdp_shards_a_7b_full_fine_tune_that_one_80_gb_gpu_cannot_hold(tmp_path) -> None:
    import transformers as tf

    from paretolab.devices import Accelerator

    folder = tmp_path / "llama-7b-shape"  # config.json only: the check reads the shape
    tf.LlamaConfig(hidden_size=4096, num_hidden_layers=32, intermediate_size=11008).save_pretrained(
        folder
    )
    gpus = tuple(Accelerator("cuda", i, "H100", 80.0, "9.0", True, None) for i in range(4))
    machine = Machine("cpu", 16, 8, memory_gb=512.0, accelerators=gpus)
    raw = {
        "task": "language_modeling",
        "data": {"dataset": "shakespeare", "max_length": 512, "batch_size": 1},
        "model": {"pretrained": str(folder)},
        "trainer": {"precision": "bf16-mixed", "monitor": "val_loss", "monitor_mode": "min"},
    }
    one = parse_config({**raw, "hardware": {"accelerator": "gpu"}})
    [refusal] = memory_problems(one, machine)
    assert "shard it over several GPUs with FSDP (hardware.strategy=fsdp" in refusal
    fsdp = {"accelerator": "gpu", "devices": 4, "strategy": "fsdp"}
    assert memory_problems(parse_config({**raw, "hardware": fsdp}), machine) == []
