"""``hardware.strategy: fsdp``: what runs on a CPU.

Lightning refuses FSDP off a GPU (its accelerator connector), and torch's FSDP refuses a
CPU when no ``device_id`` is given, which is how Lightning calls it there. So these tests
wrap the task with torch's FSDP directly on a one-process gloo group (``device_id`` = the
CPU, which torch accepts), with the strategy's own auto-wrap and activation-checkpointing
policies applied the way Lightning applies them; the same path through ``paretolab
train`` on GPUs is the device check's (``benchmarks/gpu_train.py --fsdp``).
"""

from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from lightning.fabric.strategies.fsdp import _setup_activation_checkpointing
from lightning.pytorch.strategies import FSDPStrategy
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import CheckpointWrapper
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp import StateDictType

from lightning_modules.pretrained.loading import build_model
from lightning_modules.run.sharding import block_classes, fsdp_strategy
from lightning_modules.run.trainers import build_trainer
from lightning_modules.sharded import clip_sharded_gradients, is_sharded
from lightning_modules.tasks.pretrained import PretrainedLanguageModelTask
from paretolab.config.io import parse_config
from paretolab.errors import UserError
from tests.tiny_hf import save_tiny_model

# The classes each model names in _no_split_modules (BERT keeps its embeddings whole too).
BLOCKS = {
    "gpt2": {"GPT2Block"},
    "llama": {"LlamaDecoderLayer"},
    "bert": {"BertLayer", "BertEmbeddings"},
}


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def fsdp_config(folder):
    return parse_config(
        {
            "task": "language_modeling",
            "data": {"dataset": "shakespeare", "max_length": 16, "batch_size": 4},
            "model": {"pretrained": str(folder)},
            "hardware": {"accelerator": "gpu", "devices": 2, "strategy": "fsdp"},
            "trainer": {"monitor": "val_loss", "monitor_mode": "min"},
            "wandb": {"mode": "disabled"},
        }
    )


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_fsdp_wraps_and_checkpoints_each_transformer_block(kind: str, tmp_path) -> None:
    folder = save_tiny_model(kind, tmp_path / kind)
    model = build_model(fsdp_config(folder) if kind != "bert" else _bert(folder), folder)
    assert {c.__name__ for c in block_classes(model)} == BLOCKS[kind]
    strategy = fsdp_strategy(model)
    assert isinstance(strategy, FSDPStrategy)
    assert strategy._state_dict_type == "full" and strategy.kwargs["use_orig_params"]


def _bert(folder):
    raw = {"data": {"dataset": "bbc_news"}, "model": {"pretrained": str(folder)}}
    return parse_config({**raw, "hardware": {"accelerator": "gpu", "strategy": "fsdp"}})


def test_a_model_without_block_classes_is_refused() -> None:
    with pytest.raises(UserError, match="names no Transformer block class"):
        block_classes(torch.nn.Linear(2, 2))


@pytest.fixture
def gloo_group(monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for key, value in {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GLOO_SOCKET_IFNAME", "lo")
    dist.init_process_group("gloo", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_a_task_under_fsdp_trains_clips_and_saves_the_models_own_keys(gloo_group, tmp_path) -> None:
    folder = save_tiny_model("llama", tmp_path / "llama")
    cfg = fsdp_config(folder)
    task = PretrainedLanguageModelTask(cfg.model_dump(mode="json"), vocab_size=0)
    keys = set(task.state_dict())
    strategy = fsdp_strategy(task.model)
    wrapped = FSDP(
        task,
        auto_wrap_policy=strategy.kwargs["auto_wrap_policy"],
        use_orig_params=True,
        device_id=torch.device("cpu"),
    )
    _setup_activation_checkpointing(wrapped, strategy._activation_checkpointing_kwargs)
    layers = task.model.config.num_hidden_layers
    assert sum(isinstance(m, FSDP) for m in wrapped.modules()) == layers + 1  # + the root
    assert sum(isinstance(m, CheckpointWrapper) for m in wrapped.modules()) == layers
    assert is_sharded(wrapped) and not is_sharded(task.model)

    tokens = torch.randint(0, 300, (2, 17))
    logits = wrapped({"input_ids": tokens[:, :-1]})  # (B, T, vocab), blocks recomputed
    F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten()).backward()
    grads = [p.grad for p in task.parameters()]
    assert grads and all(g is not None for g in grads)
    clip_sharded_gradients(wrapped, 1e-4)
    assert torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])) <= 1.01e-4

    # The full state dict Lightning gathers for a checkpoint has the unwrapped task's keys,
    # so restore_task, export and attention views read an FSDP run's checkpoints as is.
    with FSDP.state_dict_type(wrapped, StateDictType.FULL_STATE_DICT):
        assert set(wrapped.state_dict()) == keys


def test_fsdp_on_this_cpu_machine_is_refused_before_training(tmp_path) -> None:
    folder = save_tiny_model("gpt2", tmp_path / "gpt2")
    cfg = fsdp_config(folder)
    cfg.hardware.accelerator, cfg.hardware.devices = "auto", 1  # auto: the CPU here
    with pytest.raises(UserError, match="hardware.strategy=fsdp needs NVIDIA GPUs"):
        build_trainer(cfg, tmp_path, [], model=build_model(cfg, folder))
