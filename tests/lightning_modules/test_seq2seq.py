"""The seq2seq slice: generated pairs, the encoder–decoder, greedy and beam decoding, a run."""

import itertools
import json

import pytest
import torch

from lightning_modules.data.builtin.cmudict_pairs import cmudict_pairs
from lightning_modules.data.builtin.num2words_pairs import number_pairs, sample_numbers
from lightning_modules.data.builtin.synthetic import synthetic_pairs
from lightning_modules.data.modules.seq2seq import Seq2SeqData
from lightning_modules.models import TransformerConfig
from lightning_modules.models.seq2seq import EncoderDecoder, Seq2SeqAttention
from lightning_modules.models.seq2seq_decoding import beam_search, greedy_decode
from lightning_modules.run.train import run_training
from paretolab import settings
from paretolab.config import DataConfig
from paretolab.config.io import load_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

TINY = REPO / "configs" / "num2words_tiny.yaml"


def tiny_seq2seq(*overrides: str):
    return load_config(TINY, ["wandb.mode=disabled", *overrides])


def test_number_strata_are_distinct_and_cover_small_round_and_every_magnitude() -> None:
    numbers = sample_numbers(0, 999_999, 3000, seed=0)
    assert numbers["small"] == list(range(100))
    assert {100, 500, 9000, 80_000, 900_000} <= set(numbers["round"])
    every = [n for members in numbers.values() for n in members]
    assert len(every) == len(set(every)) == 3000
    digits = {len(str(n)) for n in numbers["random"]}
    assert digits == {3, 4, 5, 6}
    four_digit = sum(len(str(n)) == 4 for n in numbers["random"])
    assert four_digit > 0.1 * len(numbers["random"])  # not nine in ten six-digit numbers


def test_number_pairs_hold_out_val_and_test_numbers_and_test_covers_each_stratum() -> None:
    splits = number_pairs(DataConfig(dataset="num2words", num_examples=1000))
    sources = {name: {p.source for p in pairs} for name, pairs in splits.items()}
    assert not sources["train"] & sources["val"] and not sources["train"] & sources["test"]
    assert {p.group for p in splits["test"]} == {"small", "round", "random"}
    by_source = {p.source: p.target for pairs in splits.values() for p in pairs}
    assert by_source["eighty"] == "quatre-vingts" and by_source["one thousand"] == "mille"


def test_an_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(UserError, match="data.target_lang='xx' is not a num2words language"):
        number_pairs(DataConfig(dataset="num2words", target_lang="xx"))


@pytest.mark.parametrize(
    ("task", "check"),
    [
        ("copy", lambda s, t: s == t),
        ("reverse", lambda s, t: s[::-1] == t),
        ("sort", lambda s, t: "".join(sorted(s)) == t),
        ("addition", lambda s, t: sum(map(int, s.split("+"))) == int(t)),
    ],
)
def test_synthetic_targets_are_right_and_inputs_distinct(task, check) -> None:
    data = DataConfig(dataset=task, num_examples=300, sequence_length=(2, 5))
    splits = synthetic_pairs(task, data)
    pairs = [p for split in splits.values() for p in split]
    assert len(pairs) == 300 and len({p.source for p in pairs}) == 300
    assert all(check(p.source, p.target) for p in pairs)
    lengths = {len(p.source) for p in pairs} if task != "addition" else {0}
    assert task == "addition" or lengths == {2, 3, 4, 5}


def test_too_short_synthetic_sequences_are_a_clear_error() -> None:
    with pytest.raises(UserError, match=r"data.sequence_length=\[1, 1\] allows only 10"):
        synthetic_pairs("copy", DataConfig(dataset="copy", sequence_length=(1, 1)))


@pytest.mark.slow
def test_cmudict_pairs_spell_words_into_phonemes() -> None:
    splits = cmudict_pairs(DataConfig(dataset="cmudict", limit_samples=500))
    assert sum(len(s) for s in splits.values()) == 500
    pair = splits["train"][0]
    assert pair.source.islower() or not pair.source.isalpha()
    assert all(phoneme.isupper() or phoneme[:-1].isupper() for phoneme in pair.target.split())


def test_data_module_frames_targets_with_start_and_end_tokens(tmp_path) -> None:
    data = Seq2SeqData(tiny_seq2seq(), tmp_path)
    data.setup("fit")
    assert (tmp_path / "tokenizer.json").exists() and (tmp_path / "target_tokenizer.json").exists()
    batch = next(iter(data.train_dataloader()))
    first = batch["labels"][0]
    length = int((first != 0).sum())
    assert batch["target_in"][0, 0] == data.bos_id and first[length - 1] == data.eos_id
    assert torch.equal(batch["target_in"][0, 1:length], first[: length - 1])
    assert data.group_names == ["random", "round", "small"]


def _model(**kwargs) -> EncoderDecoder:
    torch.manual_seed(0)
    shape = dict(d_model=32, n_layers=2, n_decoder_layers=2, n_heads=4, d_ff=64)
    config = TransformerConfig(20, 16, target_vocab=7, dropout=0.0, **{**shape, **kwargs})
    return EncoderDecoder(config).eval()


def test_explicit_attention_path_matches_the_fast_path_and_masks_padding() -> None:
    model = _model()
    source = torch.randint(5, 20, (3, 9))
    source[1, 6:] = 0
    mask = source != 0
    target_in = torch.randint(5, 7, (3, 5))
    fast = model(source, mask, target_in)
    attention = Seq2SeqAttention()
    explicit = model(source, mask, target_in, attention)
    torch.testing.assert_close(explicit, fast, atol=1e-5, rtol=1e-5)
    assert [w.shape for w in attention.cross] == [(3, 4, 5, 9)] * 2
    assert [w.shape for w in attention.decoder] == [(3, 4, 5, 5)] * 2
    cross = attention.cross[0]
    torch.testing.assert_close(cross.sum(-1), torch.ones(3, 4, 5))
    assert torch.all(cross[1, :, :, 6:] == 0)  # padding gets no weight
    assert torch.all(attention.decoder[0].triu(diagonal=1) == 0)  # causal: no peeking


def _sequence_logp(model, source, mask, tokens: list[int], bos: int) -> float:
    ids = torch.tensor([[bos, *tokens]])
    with torch.no_grad():
        logp = model(source, mask, ids[:, :-1]).log_softmax(-1)[0]
    return float(sum(logp[i, t].item() for i, t in enumerate(tokens)))


def test_beam_search_with_room_for_every_prefix_finds_the_most_likely_sequence() -> None:
    model = _model()
    source = torch.randint(5, 20, (1, 6))
    mask = source != 0
    bos, eos, steps = 2, 3, 2
    best = beam_search(model, source, mask, bos, eos, steps, num_beams=49, length_penalty=0.0)
    candidates = [list(c) for c in itertools.product(range(7), repeat=steps)]
    for c in candidates:  # after the end token only pad follows, at no cost
        if c[0] in (eos,):
            c[1] = 0
    scores = {
        tuple(c): _sequence_logp(model, source, mask, c[: 1 if c[0] == eos else 2], bos)
        for c in candidates
    }
    assert tuple(best[0].tolist()) == max(scores, key=scores.get)


def test_one_beam_is_greedy_and_more_beams_score_at_least_as_well() -> None:
    model = _model()
    source = torch.randint(5, 20, (4, 6))
    mask = source != 0
    greedy = greedy_decode(model, source, mask, 2, 3, 6)
    assert torch.equal(beam_search(model, source, mask, 2, 3, 6, num_beams=1), greedy)
    beams = beam_search(model, source, mask, 2, 3, 6, num_beams=8, length_penalty=0.0)

    def logp(row: int, seq: torch.Tensor) -> float:
        tokens = seq.tolist()
        tokens = tokens[: tokens.index(3) + 1] if 3 in tokens else tokens
        return _sequence_logp(model, source[row : row + 1], mask[row : row + 1], tokens, 2)

    for row in range(4):
        assert logp(row, beams[row]) >= logp(row, greedy[row]) - 1e-5


def test_a_tiny_translation_run_reports_metrics_per_group_and_writes_translations(
    store: RunStore,
) -> None:
    run_id = queue_run(store, tiny_seq2seq())
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    for key in ("val_loss", "val_token_acc", "val_exact_match", "val_bleu", "test_bleu"):
        assert key in latest, key
    for group in ("small", "round", "random"):
        assert 0.0 <= latest[f"test_exact_match_{group}"].value <= 1.0
    assert latest["val_token_acc"].value > 0.2  # learned something in 4 short epochs
    path = settings.run_dir(run_id) / "translations.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows and {"source", "reference", "prediction", "exact", "group"} <= set(rows[0])
    exact = sum(r["exact"] for r in rows) / len(rows)
    assert exact == pytest.approx(latest["test_exact_match"].value)
    assert "translations.jsonl" in {a.path for a in store.list_artifacts(run_id)}


@pytest.mark.slow
def test_a_copy_task_is_learned_to_exact_match(store: RunStore) -> None:
    config = tiny_seq2seq(
        "data.dataset=copy",
        "data.num_examples=1500",
        "data.sequence_length=[1, 4]",
        "tokenizer.kind=char",
        "model.d_model=48",
        "trainer.max_epochs=8",
        "generate.num_beams=1",
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    assert latest["test_exact_match"].value >= 0.9
    assert latest["test_bleu"].value >= 90  # character n-grams: digit strings have no words


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("cmudict_tiny", marks=pytest.mark.slow),
        "reverse_tiny",
        "sort_tiny",
        "addition_tiny",
    ],
)
def test_each_seq2seq_tiny_config_trains(store: RunStore, name: str) -> None:
    config = load_config(
        REPO / "configs" / f"{name}.yaml", ["wandb.mode=disabled", "trainer.max_epochs=1"]
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    assert "test_exact_match" in store.latest_metrics(run_id)
