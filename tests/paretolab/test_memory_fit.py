"""One per-GPU memory estimate for the launch check and the GPU queue: under FSDP each GPU
holds its shard (and checkpointed activations), under LoRA only the adapters get gradients
and optimiser states."""

import pytest

from paretolab.config.io import parse_config
from paretolab.devices import Accelerator, Machine
from paretolab.executors.gpu_queue import QueuedRun, plan
from paretolab.gpu_inventory import Gpu
from paretolab.memory_fit import MEMORY_ENV, estimate_gb, memory_problems, training_estimate
from tests.tiny_hf import save_tiny_model

GPU = Accelerator("cuda", 0, "NVIDIA H100 80GB HBM3", 80.0, "9.0", True, None)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory) -> str:
    return str(save_tiny_model("gpt2", tmp_path_factory.mktemp("hf") / "gpt2"))


def config(model: str, **hardware: object) -> dict:
    return {
        "task": "language_modeling",
        "data": {"dataset": "shakespeare", "batch_size": 64},
        "model": {"family": "pretrained", "pretrained": model},
        "hardware": {"accelerator": "gpu", **hardware},
    }


def test_fsdp_is_estimated_per_shard_by_both_the_check_and_the_queue(gpt2, monkeypatch) -> None:
    ddp = parse_config(config(gpt2, devices=4))
    fsdp = parse_config(config(gpt2, devices=4, strategy="fsdp"))
    parts = training_estimate(fsdp)
    sharded = estimate_gb(fsdp.model_dump(mode="json"))
    assert sharded == pytest.approx(parts.static_gb / 4 + parts.activations_gb["full"])
    whole = estimate_gb(ddp.model_dump(mode="json"))
    assert whole == pytest.approx(parts.total_gb("selective")) and sharded < whole
    between = (sharded + whole) / 2
    monkeypatch.setenv(MEMORY_ENV, str(int(between * 1e9)))
    machine = Machine("cpu", 2, 2, 8.0, accelerators=(GPU,) * 4)
    assert memory_problems(fsdp, machine) == []  # the launch check lets it through …
    gpus = [Gpu(i, "H100", between, 0.0, None) for i in range(4)]
    out = plan([QueuedRun(1, 0.0, 4, sharded)], gpus, set(), 0, 0.0, 1e9)
    assert out.starts == [(1, [0, 1, 2, 3])] and not out.refused  # … and the queue starts it


def test_lora_counts_gradients_and_optimiser_states_of_the_adapters_only(gpt2) -> None:
    full = training_estimate(parse_config(config(gpt2)))
    lora_config = config(gpt2)
    lora_config["model"]["finetune"] = "lora"
    lora = training_estimate(parse_config(lora_config))
    assert lora.weights_gb == full.weights_gb
    assert lora.gradients_gb < full.gradients_gb / 5
    assert lora.optimizer_gb < full.optimizer_gb / 5
    assert estimate_gb(parse_config(lora_config).model_dump(mode="json")) < estimate_gb(
        parse_config(config(gpt2)).model_dump(mode="json")
    )


def test_suggestions_are_only_those_that_apply(gpt2) -> None:
    from paretolab.memory_fixes import memory_fixes

    scratch = parse_config(
        {
            "task": "language_modeling",
            "data": {"dataset": "shakespeare"},
            "model": {"family": "decoder_lm"},
        }
    )
    text = memory_fixes(scratch, on_gpu=True)
    assert "model.d_model" in text and "LoRA" not in text and "FSDP" not in text
    full = parse_config(config(gpt2))
    assert memory_fixes(full, on_gpu=True) == (
        "lower data.batch_size, train in trainer.precision=bf16-mixed, fine-tune with LoRA "
        "(model.finetune=lora), shard it over several GPUs with FSDP (hardware.strategy=fsdp, "
        "hardware.devices), or choose a smaller checkpoint (model.pretrained)"
    )
    lora = config(gpt2)
    lora["model"]["finetune"] = "lora"
    lora["trainer"] = {"precision": "bf16-mixed"}
    assert memory_fixes(parse_config(lora), on_gpu=True) == (
        "lower data.batch_size, or choose a smaller checkpoint (model.pretrained)"
    )


def test_the_gpu_room_comes_from_the_callers_held_set_not_a_store_of_its_own(
    gpt2, monkeypatch
) -> None:
    import json

    from paretolab import memory_fit
    from paretolab.gpu_inventory import FAKE_GPUS_ENV

    monkeypatch.delenv(MEMORY_ENV, raising=False)
    full = [{"index": 0, "name": "H100", "memory_gb": 80, "used_gb": 80}]
    monkeypatch.setenv(FAKE_GPUS_ENV, json.dumps(full))
    monkeypatch.setattr("paretolab.store.RunStore", lambda *a: pytest.fail("opened a store"))
    cfg = parse_config(config(gpt2))
    machine = Machine("cpu", 2, 2, 8.0, accelerators=(GPU,))
    assert memory_fit.memory_limit(cfg, machine, lambda: {0}) == (
        80e9,
        "GPU 0 (H100, once its run ends)",
    )
    assert memory_fit.memory_limit(cfg, machine)[1].startswith("GPU 0's free memory")
    monkeypatch.delenv(FAKE_GPUS_ENV)
    monkeypatch.setattr("paretolab.gpu_inventory._nvml_gpus", lambda: [])
    no_gpus = memory_fit.memory_limit(cfg, machine, lambda: pytest.fail("asked for holdings"))
    assert no_gpus == (80e9, "this machine's GPU")
