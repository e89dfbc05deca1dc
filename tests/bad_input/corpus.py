"""Malformed inputs, each with a fragment its one-line message must contain.

Configs are YAML texts (bytes where the file is not text) given to ``paretolab train``;
overrides are ``--set`` values on the tiny config; data files are written and named by
``data.path`` of configs/file_csv_tiny.yaml; sweep specs change configs/sweeps/tiny.yaml.
"""

from __future__ import annotations

BASE = "data: {dataset: bbc_news, limit_samples: 50}\n"

# (id, file content, fragment of the message)
CONFIGS: list[tuple[str, str | bytes, str]] = [
    ("unclosed-list", "name: [unclosed\n", "YAML syntax error at line"),
    ("bad-indent", "model:\n  d_model: 32\n n_layers: 1\n", "YAML syntax error"),
    ("tab-indent", "model:\n\td_model: 32\n", "YAML syntax error"),
    ("unclosed-quote", 'name: "tiny\n', "YAML syntax error"),
    ("top-level-list", "- a\n- b\n", "top level must be a mapping"),
    ("top-level-string", "just a string\n", "top level must be a mapping"),
    ("section-not-mapping", BASE + "model: 5\n", "model"),
    ("word-for-int", BASE + "model: {d_model: thirty-two}\n", "model.d_model"),
    ("list-for-int", BASE + "model: {n_layers: [1, 2]}\n", "model.n_layers"),
    ("negative-layers", BASE + "model: {n_layers: -1}\n", "model.n_layers"),
    ("zero-heads", BASE + "model: {n_heads: 0}\n", "model.n_heads"),
    ("negative-lr", BASE + "optim: {lr: -0.1}\n", "optim.lr"),
    ("zero-epochs", BASE + "trainer: {max_epochs: 0}\n", "trainer.max_epochs"),
    ("zero-batch", "data: {dataset: bbc_news, batch_size: 0}\n", "data.batch_size"),
    ("negative-limit", "data: {dataset: bbc_news, limit_samples: -5}\n", "data.limit_samples"),
    ("unknown-section", BASE + "modle: {d_model: 32}\n", "modle"),
    ("unknown-key", BASE + "model: {d_modle: 32}\n", "d_modle"),
    ("bad-precision", BASE + "trainer: {precision: '8'}\n", "trainer.precision"),
    ("bad-task", BASE + "task: nonsense\n", "task"),
    ("bad-dataset", "data: {dataset: nonsense}\n", "data.dataset"),
    ("bool-for-float", BASE + "optim: {lr: [0.1]}\n", "optim.lr"),
    ("binary-config", b"\x00\xff\xfe\x89PNG\r\n\x1a\n", "cannot read"),
    ("latin1-config", "name: caf\u00e9\n".encode("latin-1"), "cannot read"),
]

# (id, --set value, fragment)
OVERRIDES: list[tuple[str, str, str]] = [
    ("no-equals", "model.d_model", "model.d_model"),
    ("word-value", "model.d_model=abc", "model.d_model"),
    ("unknown-path", "nosuch.key=1", "nosuch"),
    ("huge-layers", "model.n_layers=1000000000", "model.n_layers"),
    ("empty-key", "=3", "="),
]

# (id, file name, content, extra overrides, fragment)
DATA_FILES: list[tuple[str, str, str | bytes, list[str], str]] = [
    ("missing-file", "absent.csv", None, [], "absent.csv"),
    ("empty-file", "empty.csv", "", [], "empty.csv"),
    ("binary-file", "binary.csv", bytes(range(256)) * 40, [], "binary.csv"),
    (
        "latin1-file",
        "latin1.csv",
        "text,label\ncaf\u00e9 cr\u00e8me,fr\n".encode("latin-1"),
        [],
        "latin1.csv",
    ),
    ("utf16-file", "utf16.csv", "text,label\none,en\n".encode("utf-16"), [], "utf16.csv"),
    ("no-text-column", "notext.csv", "words,label\none,en\ntwo,en\n", [], "text"),
    ("no-label-column", "nolabel.csv", "text,lang\none,en\ntwo,en\n", [], "label"),
    ("header-only", "header.csv", "text,label\n", [], "header.csv"),
    (
        "huge-file",
        "huge.csv",
        "text,label\n" + "a long line of text,en\n" * 60_000,
        ["data.max_file_mb=1"],
        "data.max_file_mb",
    ),
    ("directory", "a-folder", "DIR", [], "a-folder"),
    ("unknown-format", "data.xlsx", "text,label\none,en\n", [], "data.xlsx"),
    ("bad-jsonl", "bad.jsonl", '{"text": "one", "label": "en"}\n{not json\n', [], "bad.jsonl"),
]

# (id, changes to the tiny sweep spec, fragment)
SPECS: list[tuple[str, dict, str]] = [
    (
        "low-above-high",
        {"parameters": {"optim.lr": {"type": "float", "low": 0.1, "high": 0.01}}},
        "optim.lr",
    ),
    (
        "log-from-zero",
        {"parameters": {"optim.lr": {"type": "float", "low": 0.0, "high": 0.1, "log": True}}},
        "optim.lr",
    ),
    (
        "empty-int-range",
        {"parameters": {"model.n_layers": {"type": "int", "low": 4, "high": 2}}},
        "model.n_layers",
    ),
    (
        "no-choices",
        {"parameters": {"model.d_model": {"type": "categorical", "choices": []}}},
        "model.d_model",
    ),
    (
        "unknown-param",
        {"parameters": {"model.d_modle": {"type": "categorical", "choices": [16]}}},
        "model.d_modle",
    ),
    (
        "unknown-type",
        {"parameters": {"optim.lr": {"type": "gaussian", "low": 0.1, "high": 0.2}}},
        "optim.lr",
    ),
    ("zero-trials", {"n_trials": 0}, "n_trials"),
    ("unknown-sampler", {"sampler": {"name": "magic"}}, "sampler"),
    ("no-objectives", {"objectives": []}, "objectives"),
]
