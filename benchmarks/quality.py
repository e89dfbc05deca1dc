"""Quality benchmark: train each demo config end to end, print its quality and wall time.

    python benchmarks/quality.py [--demo bbc_demo --demo digits_vit] [--set KEY=VALUE ...]

Each demo runs `paretolab train` in a fresh temporary home (the same path a user takes),
then reads the finished run from the store. Goals (issues 2 and 3, on a 2-core CPU): BBC
News test accuracy >= 0.95 within 5 minutes; digits ViT test accuracy >= 0.98 within 3
minutes; num2words en→fr test exact match >= 0.99 within 5 minutes; Shakespeare char LM
full val loss <= 1.60 within 10 minutes of training. Demos without a goal report their
figures. Writes its table to benchmarks/results/ after every demo (a long run that stops
half-way keeps what it measured).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    home_store,
    machine,
    markdown_table,
    remember_commit,
    train_with_cli,
    write_result,
)
from benchmarks.pretrained_rows import FULL_DEMO, RunFacts, beside, run_facts  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Demo:
    config: str
    metric: str
    """The headline metric; ``val_*`` metrics are read at their best epoch."""
    goal: float | None = None
    budget_s: float | None = None
    minimise: bool = False
    details: tuple[str, ...] = ()
    """Further metrics shown beside the headline one."""


_SEQ2SEQ = ("test_bleu", "test_token_acc")
DEMOS = {
    "bbc_demo": Demo("configs/bbc_demo.yaml", "test_acc", 0.95, 300, details=("test_f1",)),
    "digits_vit": Demo("configs/digits_vit.yaml", "test_acc", 0.98, 180, details=("test_f1",)),
    # No goal in the issue for these two; for scale, linear char n-gram baselines reach
    # 0.81-0.845 test accuracy on the Chinese reviews.
    "mnist_vit": Demo("configs/mnist_vit.yaml", "test_acc", details=("test_f1",)),
    "zh_reviews_demo": Demo("configs/zh_reviews_demo.yaml", "test_acc", details=("test_f1",)),
    # 10 minutes of training (trainer.max_time_minutes) plus start-up, data and test.
    "shakespeare_char": Demo(
        "configs/shakespeare_char.yaml", "val_loss", 1.60, 660, True, ("val_bpc", "test_loss")
    ),
    "num2words_demo": Demo(
        "configs/num2words_demo.yaml",
        "test_exact_match",
        0.99,
        300,
        details=("test_exact_match_small", "test_exact_match_round", *_SEQ2SEQ),
    ),
    "cmudict_demo": Demo("configs/cmudict_demo.yaml", "test_exact_match", details=_SEQ2SEQ),
    **{
        f"{task}_demo": Demo(f"configs/{task}_demo.yaml", "test_exact_match", details=_SEQ2SEQ)
        for task in ("copy", "reverse", "sort", "addition")
    },
    "regression_demo": Demo(
        "configs/regression_demo.yaml", "test_r2", details=("test_mae", "test_rmse")
    ),
    # Issue 20: the packaged all-MiniLM-L6-v2 fine-tuned; `pretrained_rows` prints what
    # each is compared with. bbc_lora's goal: ≤ 3% trainable, within 1.5 points of
    # bbc_pretrained (run first), its checkpoint ≤ 5% of the full one's.
    "bbc_pretrained_10pct": Demo(
        "configs/bbc_pretrained_10pct.yaml", "test_acc", 0.97, 600, details=("test_f1",)
    ),
    FULL_DEMO: Demo("configs/bbc_pretrained.yaml", "test_acc", 0.985, 900, details=("test_f1",)),
    "bbc_lora": Demo("configs/bbc_lora.yaml", "test_acc", details=("test_f1",)),
}


def run_demo(
    name: str, demo: Demo, overrides: list[str], earlier: dict[str, RunFacts]
) -> list[str]:
    """Train one demo in a fresh home; return its table row (``earlier``: the pretrained
    runs of this invocation so far, which it adds to)."""
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as home:
        try:
            run_id, wall = train_with_cli(Path(home), demo.config, overrides)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return [name, demo.metric, "failed", "", "", "", "", _goal(demo), "NOT met"]
        store = home_store(Path(home))
        latest = store.latest_metrics(run_id)
        value = latest[demo.metric].value
        if demo.metric.startswith("val_"):  # the best epoch: the checkpoint that is kept
            history = store.metric_history(run_id, demo.metric).values
            value = min(history) if demo.minimise else max(history)
        facts = run_facts(Path(home) / "runs" / str(run_id), value)
    compared, composite = beside(name, demo.config, facts, earlier)
    if facts is not None:
        earlier[name] = facts
    met = demo.goal is None or (
        (value <= demo.goal if demo.minimise else value >= demo.goal)
        and wall <= (demo.budget_s or float("inf"))
    )
    details = ", ".join(
        f"{key.removeprefix('test_')} {latest[key].value:.4g}"
        for key in demo.details
        if key in latest
    )
    details = "; ".join(filter(None, [details, compared]))
    if composite is not None:
        met = composite
    verdict = (
        ("met" if met else "NOT met") if demo.goal is not None or composite is not None else "—"
    )
    return [
        name,
        demo.metric,
        f"{value:.4f}",
        details,
        f"{latest['epoch'].value:.0f}",
        str(max(v.step for v in latest.values())),
        f"{wall:.1f}",
        _goal(demo) if composite is None else "see `benchmarks/pretrained_rows.py`",
        verdict,
    ]


def _goal(demo: Demo) -> str:
    if demo.goal is None:
        return "—"
    sign = "≤" if demo.minimise else "≥"
    return f"{sign} {demo.goal} in ≤ {demo.budget_s:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", action="append", choices=sorted(DEMOS), help="default: all")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--out", default="quality", help="results file name (default: quality)")
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    names = args.demo or list(DEMOS)
    if "bbc_lora" in names and FULL_DEMO not in names:  # its goal is against the full one
        names.insert(names.index("bbc_lora"), FULL_DEMO)
    header = ["demo", "metric", "value", "details", "epochs", "steps", "wall time (s)"]
    header += ["goal", "met"]
    rows: list[list[str]] = []
    earlier: dict[str, RunFacts] = {}
    for name in names:
        rows.append(run_demo(name, DEMOS[name], args.overrides, earlier))
        table = markdown_table(header, rows)
        print(f"\n{table}", flush=True)
        partial = "" if len(rows) == len(names) else f" (partial: {len(rows)} of {len(names)})"
        path = write_result(
            args.out,
            table,
            "Wall time covers the whole `paretolab train` command: start-up, data and "
            f"tokenizer, fit, test of the best checkpoint.{partial}",
        )
    print(f"machine: {machine()}\nwritten to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
