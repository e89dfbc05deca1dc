"""Pretraining benchmark: does masked-token pretraining help a classifier that has few labels?

    python benchmarks/pretraining.py [--set KEY=VALUE ...]   (overrides for both fine-tunes)

Three runs of `paretolab train` in one fresh temporary home (the path a user takes):

(a) `configs/bbc_mlm_pretrain.yaml`: masked-LM pretraining on the BBC training articles;
(b) `configs/bbc_finetune_10pct.yaml` with `model.init_from` = (a): classification on 10% of
    the labelled training articles, starting from (a)'s encoder and tokenizer;
(c) the same config with `model.init_from=null`: the same recipe from random weights.

(b) and (c) are tested on the same full-size test split. Prints the side-by-side table and
writes it to benchmarks/results/. Step budgets, not time budgets, so the figures do not
depend on how busy the machine is; about 15 minutes on an idle 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    REPO,
    home_store,
    machine,
    markdown_table,
    remember_commit,
    train_with_cli,
    write_result,
)

PRETRAIN = "configs/bbc_mlm_pretrain.yaml"
FINETUNE = "configs/bbc_finetune_10pct.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory(prefix="paretolab-bench-") as tmp:
        home = Path(tmp)
        source, pretrain_wall = train_with_cli(home, PRETRAIN, [])
        runs = {
            "(b) fine-tuned from (a)": train_with_cli(
                home, FINETUNE, [f"model.init_from={source}", *args.overrides]
            ),
            "(c) from scratch": train_with_cli(
                home, FINETUNE, ["model.init_from=null", *args.overrides]
            ),
        }
        store = home_store(home)
        mlm = store.latest_metrics(source)
        rows = [
            [
                "(a) masked-LM pretraining",
                "—",
                f"masked-token acc {mlm['test_acc'].value:.4f}, ppl {mlm['test_ppl'].value:.1f}",
                "—",
                f"{pretrain_wall:.1f}",
            ]
        ]
        scores = {}
        for name, (run_id, wall) in runs.items():
            latest = store.latest_metrics(run_id)
            scores[name] = (latest["test_acc"].value, latest["test_f1"].value)
            best_val = max(store.metric_history(run_id, "val_acc").values)
            rows.append(
                [
                    name,
                    f"{best_val:.4f}",
                    f"{scores[name][0]:.4f}",
                    f"{scores[name][1]:.4f}",
                    f"{wall:.1f}",
                ]
            )
    (b_acc, b_f1), (c_acc, c_f1) = scores.values()
    rows.append(["gain (b − c)", "", f"{b_acc - c_acc:+.4f}", f"{b_f1 - c_f1:+.4f}", ""])
    header = ["run", "best val accuracy", "test accuracy", "test macro-F1", "wall time (s)"]
    table = markdown_table(header, rows)
    print(f"machine: {machine()}\n\n{table}")
    path = write_result(
        "pretraining",
        table,
        "BBC News topics. (b) and (c) train on the same 10% of the labelled training "
        "articles (`data.train_fraction: 0.1`, stratified) with the same recipe and are "
        "tested on the same full test split; (a) read the training articles' text only, "
        "never their labels nor the val/test articles. Wall time covers each whole "
        "`paretolab train` command.",
    )
    print(f"\nwritten to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
