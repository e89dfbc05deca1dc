"""W&B gets each metric at most once in a while; the store gets every point (issue 26)."""

from __future__ import annotations

from lightning.pytorch.loggers import WandbLogger

from lightning_modules.callbacks import throttled_wandb
from lightning_modules.callbacks.throttled_wandb import ThrottledWandbLogger
from lightning_modules.run.trainers import make_loggers
from tests.conftest import tiny_config


def _logger(monkeypatch, min_interval_s: float) -> tuple[ThrottledWandbLogger, list, list]:
    sent: list[tuple[dict, int]] = []
    now = [0.0]
    monkeypatch.setattr(throttled_wandb.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(
        WandbLogger, "log_metrics", lambda self, m, step=None: sent.append((m, step))
    )
    monkeypatch.setattr(WandbLogger, "finalize", lambda self, status: None)
    return ThrottledWandbLogger(min_interval_s, offline=True), sent, now


def test_each_metric_goes_at_most_once_a_second_and_the_last_point_at_the_end(monkeypatch) -> None:
    logger, sent, now = _logger(monkeypatch, 1.0)
    for step in range(0, 300, 10):  # 10 steps of 7 ms: a call every 70 ms
        now[0] = step * 0.007
        logger.log_metrics({"train_loss": float(step), "lr": 0.1}, step)
        if step == 150:  # a validation metric, logged rarely, always goes through
            logger.log_metrics({"val_loss": 1.0}, step)
    logger.finalize("success")
    steps = [step for metrics, step in sent if "train_loss" in metrics]
    # 0.0 s, then the first call at or after 1.0 s (step 150: 1.05 s), 2.0 s (step 290: 2.03
    # s) — and 140, held when val_loss went through at step 150, sent first to keep the order.
    assert steps == [0, 140, 150, 290], steps
    assert ({"val_loss": 1.0}, 150) in sent
    assert [s for _, s in sent] == sorted(s for _, s in sent)  # W&B's steps never go back


def test_the_held_point_is_sent_when_the_run_ends(monkeypatch) -> None:
    logger, sent, now = _logger(monkeypatch, 1.0)
    logger.log_metrics({"train_loss": 3.0}, 0)
    now[0] = 0.5
    logger.log_metrics({"train_loss": 2.0}, 10)
    assert sent == [({"train_loss": 3.0}, 0)]
    logger.finalize("success")
    assert sent[-1] == ({"train_loss": 2.0}, 10)


def test_zero_sends_every_call(monkeypatch) -> None:
    logger, sent, now = _logger(monkeypatch, 0.0)
    for step in range(5):
        logger.log_metrics({"train_loss": 1.0}, step)
    assert [s for _, s in sent] == [0, 1, 2, 3, 4]


def test_runs_log_to_w_and_b_through_the_throttle(tmp_path, store) -> None:
    cfg = tiny_config("wandb.mode=offline", "wandb.min_interval_s=2.5")
    run_id = store.create_run(cfg.model_dump(mode="json"), "w", cfg.task).id
    loggers = make_loggers(cfg, store, run_id, tmp_path)
    (wandb_logger,) = [lg for lg in loggers if isinstance(lg, WandbLogger)]
    assert isinstance(wandb_logger, ThrottledWandbLogger) and wandb_logger.min_interval_s == 2.5
