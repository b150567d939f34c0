"""``annotator report``: one self-contained HTML page and its Markdown twin for a task.

``collect`` gathers the numbers from the engines the command line uses (every number is the
one a command's ``--json`` gives); ``build_document`` turns them into sections of text,
tables and figures; ``write_report`` renders the document as HTML and as Markdown (the
Markdown's figures as SVG files in a folder beside it).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from annotator import __version__

from . import html, markdown
from .collect import ReportData, ReportOptions, collect
from .document import Document, clean

__all__ = ["ReportData", "ReportOptions", "WrittenReport", "build_document", "collect", "write_report"]


def build_document(data: ReportData) -> Document:
    """The report's sections, in reading order."""
    from .humans import agreement_section, annotators_section, disputed_section, progress_section
    from .judges import bias_section, calibration_section, judges_section
    from .models import factors_section, leaderboard_section

    rule = data.judges["order_rule"]
    title = f"Report — task {clean(data.task)}"
    subtitle = [clean(data.title)] if data.title and data.title != data.task else []
    subtitle += [f"Generated {data.generated_at} by annotator {__version__}. Order rule for the judges' two "
                 f"presented orders: {clean(rule['name'])}."]
    sections = [
        progress_section(data), agreement_section(data), annotators_section(data), judges_section(data),
        bias_section(data), calibration_section(data), leaderboard_section(data), factors_section(data),
        disputed_section(data),
    ]
    return Document(title, subtitle, [s for s in sections if s is not None])


def footer(data: ReportData) -> list[str]:
    commands = data.options.commands(clean(data.task))
    return [
        "Every number here is the one these commands print for the same task and options:",
        *commands.values(),
        "Rules behind each judge figure: docs/judge-validation.md in the annotator repository.",
    ]


@dataclass
class WrittenReport:
    html: Path
    markdown: Path
    figures: list[Path]
    seconds: dict[str, float]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file (mkstemp makes it private)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def figure_dir(markdown_path: Path) -> Path:
    """The folder of the Markdown twin's figures: ``<name>_files`` beside it."""
    return markdown_path.with_name(markdown_path.stem + "_files")


def write_report(data: ReportData, html_path: Path, markdown_path: Path | None = None) -> WrittenReport:
    """Write the HTML page and its Markdown twin (default: the same name ending in .md)."""
    html_path = Path(html_path)
    markdown_path = Path(markdown_path) if markdown_path else html_path.with_suffix(".md")
    seconds = dict(data.seconds)
    start = time.perf_counter()
    doc = build_document(data)
    seconds["figures and sections"] = time.perf_counter() - start
    start = time.perf_counter()
    foot = footer(data)
    _write_atomic(html_path, html.render(doc, foot))
    folder = figure_dir(markdown_path)
    written = []
    for fig in markdown.figures_of(doc):
        path = folder / f"{fig.key}.svg"
        _write_atomic(path, '<?xml version="1.0" encoding="utf-8"?>\n' + fig.svg)
        written.append(path)
    _write_atomic(markdown_path, markdown.render(doc, foot, quote(folder.name)))
    seconds["writing"] = time.perf_counter() - start
    return WrittenReport(html_path, markdown_path, written, seconds)
