"""The stakeholder report: one self-contained HTML file, and a PDF printed from it.

The HTML carries plotly.js inline (the first figure's ``include_plotlyjs=True``), so it opens
with no network. The PDF is that HTML printed by headless Chromium, started with an argv
list (never a shell string) with networking off, in a temporary folder.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from paretolab.errors import UserError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #212529; line-height: 1.45; }
h1 { margin-bottom: 0; } .subtitle { color: #495057; margin-top: 0.3em; }
h2 { border-bottom: 1px solid #dee2e6; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #dee2e6; padding: 0.25em 0.5em; text-align: left; }
th { background: #f1f3f5; } li { margin: 0.2em 0; }
.figure { page-break-inside: avoid; } .small { color: #868e96; font-size: 0.8em; }
@media print { .modebar-container { display: none !important; } }
"""


@dataclass
class Report:
    """What the report shows, in order: sections of text, figures and tables."""

    title: str
    subtitle: str = ""
    sections: list[tuple[str, list[object]]] = field(default_factory=list)
    """(heading, items); an item is a string (a paragraph), a list of strings (bullets),
    a plotly figure, or a table (DataFrame)."""


def report_html(report: Report) -> str:
    """The report as one HTML document with its figures and plotly.js inlined."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f"<p class='subtitle'>{html.escape(report.subtitle)}</p>",
    ]
    plotly_included = False
    for heading, items in report.sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        for item in items:
            if isinstance(item, go.Figure):
                fig_html = item.to_html(
                    full_html=False,
                    include_plotlyjs=not plotly_included,
                    config={"displaylogo": False},
                )
                plotly_included = True
                parts.append(f"<div class='figure'>{fig_html}</div>")
            elif isinstance(item, pd.DataFrame):
                parts.append(
                    item.to_html(index=False, escape=True, float_format=_number, na_rep="—")
                )
            elif isinstance(item, list):
                parts.append(
                    "<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in item) + "</ul>"
                )
            else:
                parts.append(f"<p>{html.escape(str(item))}</p>")
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    parts.append(f"<p class='small'>Made by paretolab on {stamp}.</p></body></html>")
    return "\n".join(parts)


def _number(value: float) -> str:
    return f"{value:.4g}"


# Headless Chromium the quiet way: no GPU, no sandbox (containers run as root), and no
# calls home (this machine has no internet). The browser test and benchmark use these too.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str:
    """The Chromium (or Chrome) binary that prints PDFs.

    Raises:
        UserError: none is installed.
    """
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise UserError(
        "printing the PDF needs Chromium (Debian: apt-get install chromium); "
        "the HTML report works without it"
    )


def report_pdf(document: str, timeout: float = 120) -> bytes:
    """The HTML report printed to PDF by headless Chromium.

    Raises:
        UserError: no Chromium, or it failed or took longer than ``timeout`` seconds.
    """
    binary = chromium_path()
    with tempfile.TemporaryDirectory(prefix="paretolab-report-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(document, encoding="utf-8")
        argv = [
            binary,
            *CHROMIUM_ARGS,
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=10000",  # let plotly draw before printing
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise UserError(f"Chromium took longer than {timeout:.0f} s to print the PDF") from None
        if not pdf.is_file() or pdf.stat().st_size == 0:
            tail = done.stderr.decode(errors="replace").strip()[-400:]
            raise UserError(f"Chromium could not print the PDF (exit {done.returncode}): {tail}")
        return pdf.read_bytes()
