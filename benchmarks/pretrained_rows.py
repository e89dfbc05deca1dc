"""What `benchmarks/quality.py` prints beside its pretrained rows (issue 20).

- ``bbc_pretrained_10pct``: the scratch encoder and our masked-LM → fine-tune on the same
  10% split (quoted from ``benchmarks/results/pretraining-2026-11-30.md``, test accuracy),
  and TF-IDF + logistic regression fitted now on the same 10%.
- ``bbc_pretrained``: TF-IDF + logistic regression fitted now on the same split.
- both: the 95% Wilson interval of the test accuracy (a point is about two of the 223 test
  articles), and TF-IDF's test accuracy on other seeds of the split (``data.split_seed``
  0–7): how far the yardstick itself moves with the draw of the test articles.
- ``bbc_lora``: its trainable share, its checkpoint's size against the full fine-tune's
  (``bbc_pretrained``, trained in the same invocation) and the gap in test accuracy. Its
  goal is all three: ≤ 3% trainable, within 1.5 points, checkpoint ≤ 5% of the full one's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from paretolab.config.io import load_config

REPO = Path(__file__).resolve().parents[1]
PRETRAINING_RESULTS = "pretraining-2026-11-30.md"
SCRATCH_10PCT, MLM_10PCT = 0.5919, 0.6816  # test accuracy, rows (c) and (b) of that file
FULL_DEMO = "bbc_pretrained"


@dataclass(frozen=True)
class RunFacts:
    """What a finished pretrained run leaves in its folder, read before the folder goes."""

    test_acc: float
    params_total: int
    params_trainable: int
    checkpoint_bytes: int


def run_facts(run_dir: Path, test_acc: float) -> RunFacts | None:
    """The facts of a pretrained run (None for a run without ``pretrained.json``)."""
    record = run_dir / "pretrained.json"
    if not record.is_file():
        return None
    data = json.loads(record.read_text(encoding="utf-8"))
    best = run_dir / "checkpoints" / "best.ckpt"
    return RunFacts(test_acc, data["params_total"], data["params_trainable"], best.stat().st_size)


SPREAD_SEEDS = range(8)


def wilson_interval(accuracy: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of an accuracy measured on ``n`` examples:
    where the accuracy on the whole population of such texts likely lies."""
    centre = (accuracy + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * (accuracy * (1 - accuracy) / n + z * z / (4 * n * n)) ** 0.5
    return centre - half, centre + half


def tfidf_test(config: str, split_seed: int | None = None) -> tuple[float, int]:
    """TF-IDF + logistic regression's test accuracy on ``config``'s split (or the same
    config with another ``split_seed``), and the number of test examples."""
    from lightning_modules.baseline import train_baseline

    run_config = load_config(REPO / config)
    if split_seed is not None:
        data = run_config.data.model_copy(update={"split_seed": split_seed})
        run_config = run_config.model_copy(update={"data": data})
    fitted = train_baseline(run_config)
    return fitted["metrics"]["test_acc"], fitted["examples"]["test"]


def _with_interval(accuracy: float, n: int) -> str:
    low, high = wilson_interval(accuracy, n)
    return f"{accuracy:.3f} [{low:.3f}, {high:.3f}]"


def _tfidf_beside(config: str, facts: RunFacts | None, label: str) -> str:
    """The run's own 95% interval, TF-IDF on the same split with its interval, and TF-IDF
    over split seeds."""
    accuracy, n = tfidf_test(config)
    spread = [tfidf_test(config, seed)[0] for seed in SPREAD_SEEDS]
    own = ""
    if facts is not None:
        low, high = wilson_interval(facts.test_acc, n)
        own = f"95% interval [{low:.3f}, {high:.3f}] over {n} test texts · "
    return (
        f"{own}TF-IDF {label} {_with_interval(accuracy, n)} · TF-IDF on split seeds "
        f"{SPREAD_SEEDS[0]}–{SPREAD_SEEDS[-1]}: {min(spread):.3f}–{max(spread):.3f} "
        f"(mean {sum(spread) / len(spread):.3f})"
    )


def beside(name: str, config: str, facts: RunFacts | None, earlier: dict[str, RunFacts]):
    """The comparison printed beside row ``name``, and whether a composite goal is met
    (None: the row's own goal decides)."""
    if name == "bbc_pretrained_10pct":
        return (
            f"scratch {SCRATCH_10PCT:.3f} · masked-LM → fine-tune {MLM_10PCT:.3f} "
            f"({PRETRAINING_RESULTS}) · {_tfidf_beside(config, facts, 'same 10%')}",
            None,
        )
    if name == FULL_DEMO:
        return _tfidf_beside(config, facts, "+ LR same split"), None
    if name != "bbc_lora" or facts is None:
        return "", None
    share = facts.params_trainable / facts.params_total
    text = f"trainable {facts.params_trainable:,} of {facts.params_total:,} ({share:.2%})"
    full = earlier.get(FULL_DEMO)
    if full is None:
        return f"{text}; no full fine-tune in this invocation to compare with", False
    gap = full.test_acc - facts.test_acc
    size = facts.checkpoint_bytes / full.checkpoint_bytes
    text += (
        f" · full fine-tune test acc {full.test_acc:.4f} (gap {gap * 100:+.2f} points)"
        f" · checkpoint {facts.checkpoint_bytes / 1e6:.2f} MB, {size:.2%} of the full"
        f" one's {full.checkpoint_bytes / 1e6:.0f} MB"
    )
    return text, share <= 0.03 and gap <= 0.015 and size <= 0.05
