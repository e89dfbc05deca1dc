"""Write the small example data files beside this script (reproducible: fixed seeds).

    .venv/bin/python examples/data/make_examples.py

- ``number_languages.csv``: text classification, columns ``text`` and ``label``: a number
  written out in English, French, German or Spanish (num2words); the label is the language.
- ``number_values.csv``: regression, columns ``text`` and ``value``: a number from 0 to 999
  written out in English; the value is the number / 1000.
- ``sums.txt``: language modelling, one sentence per line ("seven plus five is twelve.").
- ``digits/``: image classification, scikit-learn's 8×8 handwritten digits as grey-scale
  PNG files in one sub-folder per class (12 per class).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
from num2words import num2words
from PIL import Image
from sklearn.datasets import load_digits

HERE = Path(__file__).resolve().parent
LANGUAGES = ("en", "fr", "de", "es")


def write_csv(path: Path, header: tuple[str, str], rows: list[tuple[str, object]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def number_languages(rng: random.Random, per_language: int = 80) -> list[tuple[str, str]]:
    rows = [
        (num2words(n, lang=lang), lang)
        for lang in LANGUAGES
        for n in rng.sample(range(10_000), per_language)
    ]
    rng.shuffle(rows)
    return rows


def number_values(rng: random.Random, count: int = 300) -> list[tuple[str, float]]:
    return [(num2words(n), n / 1000) for n in rng.sample(range(1000), count)]


def sums(rng: random.Random, count: int = 600) -> str:
    lines = []
    for _ in range(count):
        a, b = rng.randrange(50), rng.randrange(50)
        lines.append(f"{num2words(a)} plus {num2words(b)} is {num2words(a + b)}.")
    return "\n".join(lines) + "\n"


def digit_pngs(folder: Path, per_class: int = 12) -> None:
    digits = load_digits()
    for label in range(10):
        class_dir = folder / str(label)
        class_dir.mkdir(parents=True, exist_ok=True)
        picks = np.flatnonzero(digits.target == label)[:per_class]
        for i in picks:
            pixels = (digits.images[i] * (255 / 16)).round().astype(np.uint8)
            Image.fromarray(pixels).save(class_dir / f"{i:04d}.png", optimize=True)


def main() -> None:
    rng = random.Random(0)
    write_csv(HERE / "number_languages.csv", ("text", "label"), number_languages(rng))
    write_csv(HERE / "number_values.csv", ("text", "value"), number_values(rng))
    (HERE / "sums.txt").write_text(sums(rng), encoding="utf-8")
    digit_pngs(HERE / "digits")


if __name__ == "__main__":
    main()
