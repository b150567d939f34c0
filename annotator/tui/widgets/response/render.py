"""Turn a response into terminal lines once, off the UI thread, and keep them.

Rendering 4,000-8,000 characters of Markdown with code through Rich takes tens of
milliseconds per response; Textual's ``Markdown`` widget takes far longer, since it builds
a widget per block. Here a response is rendered by Rich into ``Strip`` lines for a given
width, in a worker thread ahead of time (the next pair is pre-rendered while the annotator
reads the current one), and the lines are cached per (pair, part, mode, width). Showing a
pair is then a dictionary look-up; the view draws only the lines that are visible.

Every text goes through :func:`annotator.text.sanitize.sanitize` first: escape sequences
and control characters are shown, never sent to the terminal; Markdown links are not
turned into terminal hyperlinks. The Markdown view shows LaTeX maths as Unicode
(:mod:`annotator.text.latex`); the raw view shows the text as written. The diff view
aligns the two responses row by row (:func:`align_diff`).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from annotator.store import Pair
from annotator.text.diff import Segment as DiffSegment, WordDiff, word_diff
from annotator.text.latex import convert_markdown_math
from annotator.text.sanitize import sanitize

from .markdown import ResponseMarkdown, splice_wide_blocks

MODES = ("markdown", "raw", "diff")
PARTS = ("A", "B", "prompt", "source")
DIFF_STYLE = Style(color="#1d1d1d", bgcolor="#e5c07b")
PLACEHOLDER = "(empty)"


def part_text(pair: Pair, part: str) -> str:
    return {
        "A": pair.response_a,
        "B": pair.response_b,
        "prompt": pair.prompt,
        "source": pair.source,
    }[part]


def _console(width: int) -> Console:
    return Console(
        width=width, file=io.StringIO(), color_system="truecolor", force_terminal=True,
        markup=False, emoji=False, highlight=False, legacy_windows=False, soft_wrap=False,
    )


def render_strips(renderable: RenderableType, width: int, base: Style | None = None,
                  console: Console | None = None) -> list[Strip]:
    """Rich-render ``renderable`` at ``width`` cells into padded ``Strip`` lines.

    ``base`` (the view's own colours) is applied under every segment here, so the view can
    hand the lines to the compositor as they are. Lines of a wide code block are longer
    than ``width`` (they scroll sideways in the view).
    """
    width = max(width, 8)
    console = console or _console(width)
    lines = console.render_lines(renderable, console.options.update_width(width), pad=True)
    wide = splice_wide_blocks(lines, renderable.wide_blocks) if isinstance(renderable, ResponseMarkdown) else ()
    if base is not None:
        lines = [list(Segment.apply_style(line, base)) for line in lines]
    # Every line is ``width`` cells (rendered padded) but the wide ones, measured here (off
    # the UI thread when pre-rendering).
    strips = [Strip(Segment.simplify(line), None if i in wide else width) for i, line in enumerate(lines)]
    for i in wide:
        strips[i].cell_length  # noqa: B018 (computes and keeps the length)
    return strips


@dataclass(frozen=True)
class AlignedDiff:
    """Both responses of a pair in the diff view, cut at the same rows where they align."""

    a: list[Strip]
    b: list[Strip]
    changes: list[int]  # the first row of each run of changed lines


def _hunk_strips(segments: list[DiffSegment], console: Console, width: int, base: Style | None) -> list[Strip]:
    if not segments:
        return []
    text = Text(end="")
    for segment in segments:
        text.append(segment.text, DIFF_STYLE if segment.changed else None)
    if text.plain.endswith("\n"):
        text.right_crop(1)  # the hunk's last line break ends its last line
        if text.plain.endswith("\n") or not text.plain:
            text.append(" ")  # a blank last line: Rich drops a trailing line break
    return render_strips(text, width, base, console)


def align_diff(diff: WordDiff, width: int, base: Style | None = None) -> AlignedDiff:
    """Render each side of ``diff`` at ``width``, padding the shorter side of every hunk with
    blank rows so that what is the same stays level in both panes."""
    width = max(width, 8)
    console = _console(width)
    blank = Strip.blank(width, base)
    left: list[Strip] = []
    right: list[Strip] = []
    changes: list[int] = []
    for hunk in diff.hunks:
        a, b = _hunk_strips(hunk.a, console, width, base), _hunk_strips(hunk.b, console, width, base)
        if hunk.changed:
            changes.append(len(left))
        rows = max(len(a), len(b))
        left += a + [blank] * (rows - len(a))
        right += b + [blank] * (rows - len(b))
    return AlignedDiff(left, right, changes)


class RenderCache:
    """Rendered lines per (pair, part, mode, width, base style), thread-safe, least recently used out."""

    def __init__(self, code_theme: str = "monokai", max_entries: int = 40):
        self.code_theme = code_theme
        self.max_entries = max_entries
        self._lines: OrderedDict[tuple, list[Strip]] = OrderedDict()
        self._diffs: OrderedDict[int, WordDiff] = OrderedDict()
        self._aligned: OrderedDict[tuple, AlignedDiff] = OrderedDict()
        self._markdown: OrderedDict[tuple[int, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def diff(self, pair: Pair) -> WordDiff:
        with self._lock:
            found = self._diffs.get(pair.id)
        if found is None:
            found = word_diff(sanitize(pair.response_a), sanitize(pair.response_b))
            with self._lock:
                self._diffs[pair.id] = found
                while len(self._diffs) > 16:
                    self._diffs.popitem(last=False)
        return found

    def aligned(self, pair: Pair, width: int, base: Style | None = None) -> AlignedDiff:
        """Both responses in the diff view at ``width``, aligned row by row (cached)."""
        key = (pair.id, width, base)
        with self._lock:
            found = self._aligned.get(key)
            if found is not None:
                self._aligned.move_to_end(key)
                return found
        found = align_diff(self.diff(pair), width, base)
        with self._lock:
            self._aligned[key] = found
            while len(self._aligned) > 8:
                self._aligned.popitem(last=False)
        return found

    def markdown_text(self, pair: Pair, part: str) -> str:
        """The part's text as the Markdown view reads it: sanitised, maths in Unicode (cached)."""
        key = (pair.id, part)
        with self._lock:
            found = self._markdown.get(key)
        if found is None:
            found = convert_markdown_math(sanitize(part_text(pair, part)))
            with self._lock:
                self._markdown[key] = found
                while len(self._markdown) > 64:
                    self._markdown.popitem(last=False)
        return found

    def renderable(self, pair: Pair, part: str, mode: str) -> RenderableType:
        text = sanitize(part_text(pair, part))
        if not text.strip():
            return Text(PLACEHOLDER, style="dim italic")
        if mode == "raw" or mode == "diff":
            return Text(text, end="")
        return ResponseMarkdown(self.markdown_text(pair, part), code_theme=self.code_theme, hyperlinks=False)

    def cached(self, pair: Pair, part: str, mode: str, width: int, base: Style | None = None) -> bool:
        with self._lock:
            return (pair.id, part, mode, width, base) in self._lines

    def lines(self, pair: Pair, part: str, mode: str, width: int, base: Style | None = None) -> list[Strip]:
        """The pair's part rendered at ``width`` over the ``base`` style (cached)."""
        key = (pair.id, part, mode, width, base)
        with self._lock:
            found = self._lines.get(key)
            if found is not None:
                self._lines.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        if mode == "diff" and part in ("A", "B") and part_text(pair, part).strip():
            aligned = self.aligned(pair, width, base)
            strips = aligned.a if part == "A" else aligned.b
        else:
            strips = render_strips(self.renderable(pair, part, mode), width, base)
        with self._lock:
            self._lines[key] = strips
            while len(self._lines) > self.max_entries:
                self._lines.popitem(last=False)
        return strips
