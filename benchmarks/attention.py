"""Attention explorer benchmark: how long extracting every view's data takes on this CPU.

    OMP_WAIT_POLICY=PASSIVE python benchmarks/attention.py [--repeats 7] [--quick]

A randomly initialised 6-layer, 8-head model (vocabulary 8,000, d_ff = 4 · d_model) reads
one 256-token input, as an encoder classifier and as a decoder-only language model, at
two widths: d_model 256 (twice the config default; the demos use 48–128) and 512.
Timed: ``lightning_modules.inspection.extract`` — the explicit-path pass that collects every
layer's and head's probabilities, rollout, and (classifier) input × gradient saliency, i.e.
every view's data of the Look inside page. The goal, ≤ 2 s each, is on that. Also timed:
the same with the fast-path check the page and CLI add (one more forward pass, to report
how closely the explicit path reproduces the model's outputs).

One more row: a pretrained run, the packaged all-MiniLM-L6-v2 (BERT, 6 layers, 12 heads,
width 384) with a fresh 5-class head, read offline; its views come from the
eager-attention pass (``lightning_modules.inspection.pretrained``), the check from its SDPA
pass. ``--only-pretrained`` times that row alone (results: attention-pretrained-<date>.md).
The median of ``--repeats`` runs after one warm-up is printed and written to
benchmarks/results/attention-<date>.md. ``--quick`` (2 repeats) checks the script runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, markdown_table, remember_commit, write_result  # noqa: E402

GOAL_S = 2.0
LAYERS, HEADS, TOKENS, VOCAB = 6, 8, 256, 8000
WIDTHS = (256, 512)
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
PRETRAINED = "pretrained"  # the "task" of the MiniLM row


def build_run(task: str, width: int):
    """A ``LoadedRun`` around a randomly initialised model of the benchmark's shape."""
    from tokenizers import Tokenizer, models

    from lightning_modules.data.tokenization import SPECIAL_TOKENS, UNK
    from lightning_modules.inspection import LoadedRun
    from lightning_modules.tasks import ClassificationTask, LanguageModelTask
    from paretolab.config.io import load_config

    family = "decoder_lm" if task == "language_modeling" else "encoder_classifier"
    dataset = "shakespeare" if task == "language_modeling" else "bbc_news"
    config = load_config(
        Path(__file__).resolve().parents[1] / "configs" / "tiny.yaml",
        [
            f"task={task}",
            f"data.dataset={dataset}",
            f"data.max_length={TOKENS}",
            f"model.family={family}",
            f"model.n_layers={LAYERS}",
            f"model.n_heads={HEADS}",
            f"model.d_model={width}",
            f"tokenizer.vocab_size={VOCAB}",
            "trainer.monitor=val_loss",
            "trainer.monitor_mode=min",
        ],
    )
    plain = config.model_dump(mode="json")
    if task == "language_modeling":
        model = LanguageModelTask(plain, VOCAB)
    else:
        model = ClassificationTask(plain, VOCAB, ["a", "b", "c", "d", "e"])
    words = [*SPECIAL_TOKENS, *(f"w{i}" for i in range(VOCAB - len(SPECIAL_TOKENS)))]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=UNK))
    return LoadedRun(
        run_id=0,
        checkpoint="random weights",
        checkpoint_path=Path("."),
        step=0,
        config=config,
        task=model.eval(),
        work_dir=Path("."),
        fold=None,
        tokenizer=tokenizer,
    )


def build_pretrained_run():
    """A ``LoadedRun`` around the packaged MiniLM with a fresh 5-class head (offline)."""
    from lightning_modules.inspection import LoadedRun
    from lightning_modules.pretrained.loading import checkpoint_tokenizer
    from lightning_modules.tasks.pretrained import PretrainedClassificationTask
    from paretolab.config.io import parse_config

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    config = parse_config(
        {
            "name": "bench-minilm",
            "model": {"pretrained": MINILM},
            "data": {"dataset": "bbc_news", "max_length": TOKENS},
            "wandb": {"mode": "disabled"},
        }
    )
    tokenizer = checkpoint_tokenizer(config.model)
    plain = config.model_dump(mode="json")
    task = PretrainedClassificationTask(plain, tokenizer.get_vocab_size(), list("abcde"))
    return LoadedRun(
        0, "pretrained weights", Path("."), 0, config, task.eval(), Path("."), None, tokenizer
    )


def _input_ids(run, generator):
    """A random 256-token input (a pretrained run's: [CLS] … [SEP] around it)."""
    import torch

    if run.family != PRETRAINED:
        return torch.randint(5, VOCAB, (TOKENS,), generator=generator)
    tok = run.tokenizer
    words = torch.randint(1000, tok.get_vocab_size(), (TOKENS - 2,), generator=generator)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    return torch.cat([torch.tensor([cls]), words, torch.tensor([sep])])


def time_extraction(
    task: str, width: int, repeats: int, check: bool
) -> tuple[float, list[float], object]:
    """Median seconds of ``extract`` on one random 256-token input, all times, the maps."""
    import torch

    from lightning_modules.inspection import Example, extract

    run = build_pretrained_run() if task == PRETRAINED else build_run(task, width)
    generator = torch.Generator().manual_seed(0)
    example = Example("benchmark", ids=_input_ids(run, generator))
    maps = extract(run, example, check)  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        maps = extract(run, example, check)
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, maps


def _row(task: str, name: str, width: int, repeats: int) -> list[str]:
    """Time one model (without, then with the fast-path check), print it, return its row."""
    median, times, maps = time_extraction(task, width, repeats, check=False)
    checked, _, _ = time_extraction(task, width, repeats, check=True)
    met = median <= GOAL_S
    shape = "×".join(str(n) for n in maps.attention.shape)
    views = "probabilities, rollout" + (", saliency" if maps.saliency is not None else "")
    print(
        f"{name}, d_model {width}: all views' data in {median:.3f} s (median of "
        f"{repeats}; {min(times):.3f}–{max(times):.3f}); goal ≤ {GOAL_S:.0f} s: "
        f"{'met' if met else 'NOT met'}; with the fast-path check {checked:.3f} s"
    )
    return [
        name,
        str(width),
        shape,
        views,
        f"{median:.3f}",
        f"{min(times):.3f}–{max(times):.3f}",
        f"{checked:.3f}",
        f"≤ {GOAL_S:.0f} s",
        "met" if met else "NOT met",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2 repeats: check that it runs")
    parser.add_argument(
        "--only-pretrained", action="store_true", help="time the pretrained MiniLM row alone"
    )
    args = parser.parse_args()
    repeats = 2 if args.quick else args.repeats
    remember_commit()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    print(machine())
    models = (("classification", "encoder classifier"), ("language_modeling", "decoder LM"))
    cases = [(task, name, width) for width in WIDTHS for task, name in models]
    cases.append((PRETRAINED, "pretrained all-MiniLM-L6-v2 classifier (eager pass)", 384))
    if args.only_pretrained:
        cases = cases[-1:]
    rows = [_row(task, name, width, repeats) for task, name, width in cases]
    table = markdown_table(
        [
            "model",
            "d_model",
            "attention (L×H×T×T)",
            "views' data",
            "median s",
            "range s",
            "+ fast-path check, s",
            "goal",
            "met",
        ],
        rows,
    )
    notes = (
        f"{LAYERS} layers, {HEADS} heads, d_ff = 4 · d_model, vocabulary {VOCAB}, "
        f"one input of {TOKENS} tokens, random weights; median of {repeats} runs after a "
        "warm-up. The views' data is one explicit-path pass (with the backward pass for "
        "saliency on the classifier) and rollout; the page and CLI also run the fast path "
        "once to report that the two paths' outputs agree (last column but two). The "
        "pretrained row: the packaged all-MiniLM-L6-v2 (6 layers, 12 heads, width 384, "
        "vocabulary 30,522) with a fresh 5-class head, its eager-attention pass with "
        "output_attentions and saliency, fast path = its SDPA pass."
    )
    if args.quick:
        print("(quick: no result file written)")
        return 0
    name = "attention-pretrained" if args.only_pretrained else "attention"
    print(f"wrote {write_result(name, table, notes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
