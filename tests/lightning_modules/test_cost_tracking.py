"""Measured FLOPs (FlopCounterMode) against the cost model for every family; a run's bill."""

import json

import pytest
import torch

from lightning_modules.callbacks.cost_tracking import CostTracker
from lightning_modules.callbacks.flop_count import count_flops, real_token_count
from lightning_modules.models import (
    DecoderLM,
    EncoderClassifier,
    TransformerConfig,
    VisionTransformer,
)
from lightning_modules.models.masked_lm import MaskedLM
from lightning_modules.models.seq2seq import EncoderDecoder
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.costing.flops import training_flops
from paretolab.costing.shapes import BatchShape, ModelShape
from paretolab.store import RunStore
from tests.conftest import queue_run, tiny_config

D, L, H, FF, V, B, T = 32, 2, 4, 128, 200, 4, 24


def ids(length: int = T) -> torch.Tensor:
    return torch.randint(1, V, (B, length))


def shape(family: str, head: str, **extra) -> ModelShape:
    return ModelShape(family, L, D, H, FF, vocab_size=V, max_len=64, head=head, **extra)


def classifier():
    s = shape("encoder_classifier", "classes", num_classes=5)
    net, x, mask = (
        EncoderClassifier(TransformerConfig.from_shape(s)),
        ids(),
        torch.ones(B, T, dtype=torch.bool),
    )
    return (lambda: net(x, mask)), s, BatchShape(B, T)


def masked_lm():
    s = shape("encoder_classifier", "mlm")
    net = MaskedLM(TransformerConfig.from_shape(s))
    x, mask = ids(), torch.ones(B, T, dtype=torch.bool)
    targets = torch.rand(B, T) < 0.15
    targets[0, 0] = True
    batch = BatchShape(B, T, predicted=int(targets.sum()))
    return (lambda: net(x, mask, targets)), s, batch


def decoder():
    s = shape("decoder_lm", "lm")
    net, x = DecoderLM(TransformerConfig.from_shape(s)), ids()
    return (lambda: net(x)), s, BatchShape(B, T)


def encoder_decoder():
    s = shape("encoder_decoder", "lm", n_decoder_layers=3, target_vocab=120)
    net = EncoderDecoder(TransformerConfig.from_shape(s))
    source, target = ids(), torch.randint(1, 120, (B, 16))
    mask = torch.ones(B, T, dtype=torch.bool)
    return (lambda: net(source, mask, target)), s, BatchShape(B, T, 16)


def vit():
    s = shape("vit", "classes", num_classes=10, image_shape=(1, 28, 28), patch_size=4)
    net = VisionTransformer(TransformerConfig.from_shape(s, pooling="cls"))
    images = torch.rand(B, 1, 28, 28)
    return (lambda: net(images)), s, BatchShape(B, s.image_tokens)


@pytest.mark.parametrize("build", [classifier, masked_lm, decoder, encoder_decoder, vit])
def test_estimate_within_ten_percent_of_flop_counter_mode(build) -> None:
    forward, model_shape, batch = build()
    measured = count_flops(lambda: forward().float().sum().backward())
    estimated = training_flops(model_shape, batch)
    assert measured == pytest.approx(estimated, rel=0.10), (measured, estimated)


@pytest.mark.slow
def test_a_run_stores_its_bill_as_metrics_and_cost_json(store: RunStore) -> None:
    run_id = queue_run(store, tiny_config("trainer.max_epochs=1"))
    assert run_training(store, run_id) == "finished"
    latest = {k: v.value for k, v in store.latest_metrics(run_id).items()}
    for key in (
        "cost/flops_estimated",
        "cost/flops_measured",
        "cost/flops_ratio",
        "cost/tokens",
        "cost/train_seconds",
        "cost/device_hours",
        "cost/usd",
        "cost/energy_kwh",
        "cost/co2_kg",
        "cost/mfu",
    ):
        assert latest.get(key, 0) > 0, key
    assert 0.9 < latest["cost/flops_ratio"] < 1.1
    assert latest["cost/tokens"] == latest["cost/samples"] * 64  # tiny texts fill max_length
    assert latest["cost/usd"] == pytest.approx(latest["cost/device_hours"] * 0.0816)
    assert any(k.startswith("throughput/") for k in latest)
    doc = json.loads((settings.run_dir(run_id) / "cost.json").read_text())
    assert doc["assumptions"]["hardware"] == "cpu"
    assert "2026-06" in doc["assumptions"]["spend"]["price_quote"]
    assert "cost.json" in {a.path for a in store.list_artifacts(run_id)}
    # Spend reads the same bill, on the hardware the run resolved (its config says auto).
    (spent,) = store.spend(by="hardware")
    assert (spent["group"], spent["runs_estimated"]) == ("cpu", 0)
    assert spent["usd"] == latest["cost/usd"]


def test_every_family_measures_its_flops_on_a_real_batch(trained_home) -> None:
    # The measurement calls the task on a real batch; a task whose forward takes something
    # else would log an error and store no measured FLOPs.
    store = RunStore()
    for family, run_id in trained_home.ids.items():
        latest = {k: v.value for k, v in store.latest_metrics(run_id).items()}
        assert latest.get("cost/flops_measured", 0) > 0, family
        assert 0.9 < latest["cost/flops_ratio"] < 1.1, family


@pytest.mark.parametrize(("profile", "billed"), [("h200", 8), ("cpu", 2)])
def test_ddp_bills_every_gpu_but_each_cpu_machine_once(profile: str, billed: int, tmp_path) -> None:
    """4 processes on each of 2 nodes: 8 GPUs are 8 device-hours an hour; the CPU entry
    prices a whole machine, which its 4 processes share."""
    import time

    from lightning_modules.callbacks.cost_tracking import CostTracker
    from lightning_modules.callbacks.flop_count import shape_flop_model

    tracker = CostTracker(tiny_config(), tmp_path)
    tracker.counting = shape_flop_model(shape("encoder_classifier", "classes", num_classes=5))
    tracker.flops, tracker.tokens, tracker.samples = 1e12, 1e6, 1e4
    tracker.peak, tracker.peak_source, tracker.profile = 1e14, "test", profile
    tracker._fit_start = time.perf_counter() - 3600.0  # one hour of fit
    report = tracker.report(world_size=8, num_nodes=2)
    assert report["assumptions"]["spend"]["devices"] == billed
    assert report["figures"]["device_hours"] == pytest.approx(billed, rel=1e-3)
    assert report["figures"]["tokens"] == 8e6  # every rank's tokens


def test_real_tokens_come_from_shapes_on_the_host_and_masks_on_the_device(tmp_path) -> None:
    lm_batch = {"input_ids": ids(), "labels": ids()}
    assert real_token_count(lm_batch) == B * T and isinstance(real_token_count(lm_batch), int)
    mask = torch.zeros(B, T, dtype=torch.long)
    mask[:, :5] = 1
    assert isinstance(real_token_count({"input_ids": ids(), "attention_mask": mask}), torch.Tensor)
    tracker = CostTracker(tiny_config(), tmp_path)
    assert tracker.real_token_total() is None  # images: nothing to count
    for _ in range(3):
        tracker._count_real_tokens(real_token_count({"input_ids": ids(), "attention_mask": mask}))
    tracker._count_real_tokens(real_token_count(lm_batch))
    assert tracker.real_token_total() == 3 * B * 5 + B * T
