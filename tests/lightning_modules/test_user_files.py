"""The user's own tables and text files: good files, every bad-file message, the CLI check,
and tiny training runs from a CSV and from a .txt file."""

import json
import math
from pathlib import Path

import pytest

from lightning_modules.data import sources
from lightning_modules.run.train import run_training
from paretolab.cli import main
from paretolab.config.io import load_config, parse_config
from paretolab.errors import UserError
from paretolab.store import RunStore
from tests.conftest import REPO, queue_run

EXAMPLES = REPO / "examples" / "data"
FAMILY = {
    "classification": "encoder_classifier",
    "regression": "encoder_classifier",
    "masked_lm": "encoder_classifier",
    "language_modeling": "decoder_lm",
    "seq2seq": "encoder_decoder",
}


def file_config(path: Path, task: str = "classification", **data):
    return parse_config(
        {
            "task": task,
            "model": {"family": FAMILY[task]},
            "trainer": {"monitor": "val_loss"},
            "data": {"dataset": "file", "path": str(path), **data},
        }
    )


def csv_file(tmp_path: Path, body: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return path


ROWS = "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(12))
GOOD = "text,label\n" + ROWS


def fails(config, loader=sources.load_labelled_texts) -> str:
    with pytest.raises(UserError) as info:
        loader(config)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- good files -----------------------------------------------------------------------------


def test_csv_with_quotes_newlines_crlf_and_a_bom_reads_every_row(tmp_path) -> None:
    body = '\ufefftext,label\r\n"hello, world",a\r\n"two\r\nlines",b\r\n' + ROWS + ",,\r\n"
    texts, labels = sources.load_labelled_texts(file_config(csv_file(tmp_path, body)))
    assert texts[:2] == ["hello, world", "two\nlines"] and len(texts) == 14
    assert labels[:3] == ["a", "b", "a"]


def test_tsv_and_jsonl_with_custom_columns(tmp_path) -> None:
    tsv = csv_file(tmp_path, "review\tstars\n" + ROWS.replace(",", "\t"), "data.tsv")
    texts, labels = sources.load_labelled_texts(
        file_config(tsv, text_column="review", label_column="stars")
    )
    assert texts[1] == "text 1" and labels[1] == "b"
    lines = [json.dumps({"review": f"r{i}", "stars": i % 3, "x": None}) for i in range(12)]
    jsonl = csv_file(tmp_path, "\n".join(lines) + "\n\n", "data.jsonl")
    texts, labels = sources.load_labelled_texts(
        file_config(jsonl, text_column="review", label_column="stars")
    )
    assert texts[4] == "r4" and sorted(set(labels)) == ["0", "1", "2"]


def test_regression_reads_floats(tmp_path) -> None:
    config = file_config(EXAMPLES / "number_values.csv", "regression", label_column="value")
    texts, values = sources.load_regression_texts(config)
    assert len(texts) == 300 and all(isinstance(v, float) for v in values)
    assert values[texts.index("three")] == pytest.approx(0.003)


def test_seq2seq_pairs_and_the_corpus_of_a_table(tmp_path) -> None:
    body = "source,target\n" + "".join(f"{i},{i * 2}\n" for i in range(10))
    sources_, targets = sources.load_text_pairs(file_config(csv_file(tmp_path, body), "seq2seq"))
    assert sources_[3] == "3" and targets[3] == "6"
    corpus = sources.load_corpus(file_config(csv_file(tmp_path, GOOD), "masked_lm"))
    assert corpus[0] == "text 0" and len(corpus) == 12


def test_a_txt_file_is_one_document_for_lm_and_paragraphs_or_lines_for_mlm(tmp_path) -> None:
    paragraphs = "\n\n  \n".join(f"para {i}\nline two" for i in range(10))
    path = csv_file(tmp_path, paragraphs + "\n", "corpus.txt")
    assert sources.load_corpus(file_config(path, "language_modeling")) == [paragraphs + "\n"]
    docs = sources.load_corpus(file_config(path, "masked_lm"))
    assert len(docs) == 10 and docs[0] == "para 0\nline two"
    lines = csv_file(tmp_path, "".join(f"sentence {i}\n" for i in range(12)), "lines.txt")
    assert len(sources.load_corpus(file_config(lines, "masked_lm"))) == 12


# --- bad files: one message naming the file, the line and the problem ----------------------


def test_missing_file_folder_and_empty_file(tmp_path) -> None:
    assert "no.csv: no such file" in fails(file_config(tmp_path / "no.csv"))
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert "folder.csv: is a folder" in fails(file_config(folder))
    assert "empty.csv: the file is empty" in fails(file_config(csv_file(tmp_path, "", "empty.csv")))


def test_a_file_over_the_size_limit(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, GOOD * 20), max_file_mb=0.001))
    assert "data.csv: 0.0 MB is over data.max_file_mb=0.001" in msg


def test_undecodable_bytes_name_the_line_and_byte(tmp_path) -> None:
    body = GOOD.encode() + b"caf\xe9 au lait,a\n"
    msg = fails(file_config(csv_file(tmp_path, body)))
    assert "data.csv, line 14: byte 0xE9 at byte 4 of the line is not valid UTF-8" in msg


def test_a_missing_column_lists_the_columns_and_suggests_the_close_one(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, "\n" + GOOD), label_column="lable"))
    assert "data.csv, line 2: no column 'lable' (data.label_column)" in msg
    assert "'text', 'label'; set data.label_column=label" in msg


def test_an_empty_text_names_its_line(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, GOOD + '"  ",a\n')))
    assert "data.csv, line 14: column 'text' is empty; fill it in or delete the row" in msg
    html = file_config(csv_file(tmp_path, GOOD + "<br>,a\n"))
    html.clean.strip_html = True
    assert "line 14: column 'text' is empty after cleaning" in fails(html)


def test_a_row_with_the_wrong_number_of_fields(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, GOOD + "hello, world,a\n")))
    assert "data.csv, line 14: 3 fields, but the header has 2; put quotes around" in msg


def test_broken_csv_quoting(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, GOOD + '"open "quote,a\n')))
    assert "data.csv, line 14: not valid CSV" in msg


def test_malformed_and_non_object_json_lines(tmp_path) -> None:
    rows = "".join(json.dumps({"text": f"t{i}", "label": i % 2}) + "\n" for i in range(12))
    bad = file_config(csv_file(tmp_path, rows + '{"text": "x", label: 1}\n', "d.jsonl"))
    assert "d.jsonl, line 13: not valid JSON (Expecting property name" in fails(bad)
    array = file_config(csv_file(tmp_path, "[1, 2]\n" + rows, "e.jsonl"))
    assert "e.jsonl, line 1: a JSON list, not an object" in fails(array)
    missing = file_config(csv_file(tmp_path, rows + '{"txt": "x", "label": 1}\n', "f.jsonl"))
    assert "f.jsonl, line 13: no column 'text' (data.text_column); this object has keys" in (
        fails(missing)
    )


def test_a_single_class(tmp_path) -> None:
    body = "text,label\n" + "".join(f"t{i},only\n" for i in range(12))
    msg = fails(file_config(csv_file(tmp_path, body)))
    assert "data.csv: every row has the label 'only' in column 'label'" in msg
    assert "at least two classes" in msg


def test_regression_targets_must_be_finite_numbers(tmp_path) -> None:
    body = "text,label\n" + "".join(f"t{i},{i / 2}\n" for i in range(12))
    regression = sources.load_regression_texts
    msg = fails(file_config(csv_file(tmp_path, body + "x,lots\n"), "regression"), regression)
    assert "data.csv, line 14: 'lots' in column 'label' is not a number" in msg
    msg = fails(file_config(csv_file(tmp_path, body + "x,inf\n"), "regression"), regression)
    assert "data.csv, line 14: 'inf' in column 'label' is not a finite number" in msg
    values = regression(file_config(csv_file(tmp_path, body), "regression"))[1]
    assert math.isclose(sum(values), sum(i / 2 for i in range(12)))


def test_too_few_rows(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, "text,label\na,x\nb,y\n")))
    assert "data.csv: only 2 rows of data; at least 10 are needed" in msg


def test_the_wrong_kind_of_file_for_the_task(tmp_path) -> None:
    msg = fails(file_config(csv_file(tmp_path, GOOD, "data.xlsx")))
    assert "data.xlsx: task=classification reads .csv, .tsv, .jsonl, .ndjson files" in msg


def test_bad_txt_files(tmp_path) -> None:
    def lm(name: str, body: bytes, **data):
        return file_config(csv_file(tmp_path, body, name), "language_modeling", **data)

    assert "a.txt: the file holds only white space" in fails(
        lm("a.txt", b" \n\n"), sources.load_corpus
    )
    msg = fails(lm("b.txt", b"line one\nline two \xff\n"), sources.load_corpus)
    assert "b.txt, line 2: byte 0xFF at byte 10 of the line is not valid UTF-8" in msg
    msg = fails(lm("c.txt", b"text\n" + b"\x00\x01" * 8), sources.load_corpus)
    assert "c.txt, line 2: holds NUL bytes: a binary file, or text saved as UTF-16" in msg
    msg = fails(lm("d.txt", b"x" * 2000, max_file_mb=0.001), sources.load_corpus)
    assert "d.txt: 0.0 MB is over data.max_file_mb=0.001" in msg


# --- before anything is stored: the CLI check, then training from the files ------------------


def test_cli_train_with_a_bad_csv_exits_2_with_one_line_and_stores_nothing(home, capsys) -> None:
    bad = csv_file(home.parent, GOOD + "<missing label>\n", "reviews.csv")
    config = home.parent / "run.yaml"
    config.write_text(
        (REPO / "configs" / "file_csv_tiny.yaml")
        .read_text()
        .replace("examples/data/number_languages.csv", str(bad))
    )
    assert main(["train", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("paretolab: error: ")
    assert f"{bad}, line 14: 1 fields, but the header has 2" in err
    assert RunStore().list_runs() == []


@pytest.mark.slow
def test_a_tiny_run_trains_from_the_example_csv(store: RunStore) -> None:
    config = load_config(
        REPO / "configs" / "file_csv_tiny.yaml",
        ["wandb.mode=disabled", f"data.path={EXAMPLES / 'number_languages.csv'}"],
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    latest = store.latest_metrics(run_id)
    assert latest["test_acc"].value > 0.5  # four languages: chance is 0.25


@pytest.mark.slow
def test_a_tiny_language_model_trains_from_a_txt_file(store: RunStore) -> None:
    config = load_config(
        REPO / "configs" / "shakespeare_tiny.yaml",
        [
            "wandb.mode=disabled",
            "data.dataset=file",
            f"data.path={EXAMPLES / 'sums.txt'}",
            "trainer.max_epochs=3",
            "optim.lr=0.01",
        ],
    )
    run_id = queue_run(store, config)
    assert run_training(store, run_id) == "finished"
    # 21 distinct characters: a model that learned nothing scores log(21) = 3.0
    assert store.latest_metrics(run_id)["test_loss"].value < 2.5
