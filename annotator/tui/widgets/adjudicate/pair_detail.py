"""One disputed pair as the adjudicator reads it: prompt, both responses, every vote, the judges.

Every string from the data (texts, names, rationales, raw judge output) is shown through
``annotator.text.sanitize``: nothing a file or an annotator typed acts on the terminal, and
nothing is read as markup.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.strip import Strip
from textual.widgets import Static

from annotator.store import ADJUDICATION_REASONS, Adjudication, Judgment, Label, Pair, Task
from annotator.store.orders import to_shown
from annotator.text.sanitize import plain_text, sanitize_line
from annotator.tui.widgets.response.render import RenderCache, part_text

FACTOR_ANSWER = {"A": "A more", "B": "B more", "equal": "equal", "na": "n/a"}


def votes_table(labels: list[Label]) -> Table:
    """Each annotator's current label: the choice (canonical), the order they saw, the same
    choice in the letters they saw (their rationale uses those), confidence, rationale."""
    table = Table(expand=True, title="Votes", title_justify="left", title_style="bold")
    table.add_column("annotator", no_wrap=True)
    table.add_column("choice", no_wrap=True)
    table.add_column("saw 1st", no_wrap=True)
    table.add_column("as seen", no_wrap=True)
    table.add_column("conf.", no_wrap=True)
    table.add_column("rationale (in the letters they saw)", ratio=1)
    for label in labels:
        table.add_row(
            Text(sanitize_line(label.annotator)), Text(label.choice, style="bold"), label.shown_order[0],
            to_shown(label.choice, label.shown_order), "—" if label.confidence is None else str(label.confidence),
            plain_text(label.rationale or "—"),
        )
    return table


# Below this width the votes table's six columns leave the rationale no room (at 80 columns
# it was 0 characters wide): each vote is then a block of lines instead, the rationale folded.
VOTES_TABLE_MIN_WIDTH = 70


class Votes:
    """The votes as a table when the width allows it, else as stacked blocks (never a cut
    name, never a rationale squeezed out)."""

    def __init__(self, labels: list[Label]):
        self.labels = labels

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width >= VOTES_TABLE_MIN_WIDTH:
            yield votes_table(self.labels)
            return
        yield Text("Votes", style="bold")
        for label in self.labels:
            head = Text(sanitize_line(label.annotator), style="bold")
            head.append("  ")
            head.append(f" {label.choice} ", style="bold reverse")
            head.append(f"  saw {label.shown_order[0]} 1st · as seen {to_shown(label.choice, label.shown_order)}"
                        + ("" if label.confidence is None else f" · conf. {label.confidence}"), style="dim")
            yield head
            yield Padding(plain_text(label.rationale or "—"), (0, 0, 0, 2))


def factors_table(labels: list[Label], task: Task) -> Table | None:
    """Factor answers (canonical: "A more" = response A shows it more), a row per factor and
    a column per annotator; None when nobody answered any factor."""
    keys = [f.key for f in task.factors]
    keys += sorted({k for label in labels for k in label.factors} - set(keys))
    keys = [k for k in keys if any(k in label.factors for label in labels)]
    if not keys:
        return None
    names = {f.key: f.name for f in task.factors}
    table = Table(title="Factor answers (A / B: the pair's own order)", title_justify="left", title_style="bold")
    table.add_column("factor", no_wrap=True)
    for label in labels:
        table.add_column(Text(sanitize_line(label.annotator)), no_wrap=True)
    for key in keys:
        table.add_row(Text(sanitize_line(names.get(key, key))),
                      *[FACTOR_ANSWER.get(label.factors.get(key, ""), "—") for label in labels])
    return table


def judges_table(judgments: list[tuple[str, Judgment]]) -> Table:
    table = Table(expand=True, title="Judges", title_justify="left", title_style="bold")
    table.add_column("run", no_wrap=True)
    table.add_column("order", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("P(A)", no_wrap=True)
    table.add_column("output", ratio=2)
    for run, j in judgments:
        verdict = j.verdict or f"unscored ({sanitize_line(j.unscored_reason)})"
        table.add_row(Text(sanitize_line(run)), j.order, Text(verdict), "—" if j.p_a is None else f"{j.p_a:.2f}",
                      plain_text((j.explanation or j.raw_output or "")[:600]))
    return table


def history_text(history: list[Adjudication]) -> Text:
    text = Text("Adjudications of this pair", style="bold")
    for a in history:
        text.append(f"\n  rev {a.revision}: {a.choice} — {ADJUDICATION_REASONS[a.reason]} — "
                    f"{sanitize_line(a.adjudicator)}, {a.created_at[:16].replace('T', ' ')} UTC")
        if a.note:
            text.append(f"\n    {sanitize_line(a.note)}", style="italic")
    return text


def pane_title(side: str, model: str, diff: bool, pane_width: int) -> str:
    """A response pane's border title that fits its border (Textual cuts a longer one with
    "…", which cut "Response A · diff" to "Response A · …" at 80 columns): the longest of
    "Response A · MODEL · diff", "A · MODEL · diff", "A · diff" that fits, never cut. (A
    model name left out is folded into the line above the panes: :meth:`PairDetail.fold_models`.)"""
    room = pane_width - 6  # the corners, the rule before the title and the spaces around it
    tail = " · diff" if diff else ""
    candidates = [f"Response {side}" + (f" · {model}" if model else "") + tail,
                  side + (f" · {model}" if model else "") + tail, side + tail]
    return next((title for title in candidates if len(title) <= room), candidates[-1])


class ResponsePane(Static):
    """One response; its border title is made to fit whenever its width changes."""

    side, model, diff = "A", "", False
    model_folded = False  # the model is shown but its name did not fit in the title

    def set_title(self, side: str, model: str, diff: bool) -> None:
        self.side, self.model, self.diff = side, model, diff
        self._fit_title()

    def on_resize(self) -> None:
        self._fit_title()

    def _fit_title(self) -> None:
        self.border_title = pane_title(self.side, self.model, self.diff, self.outer_size.width or 80)
        self.model_folded = bool(self.model) and self.model not in self.border_title
        if isinstance(self.parent, Horizontal) and isinstance(self.parent.parent, PairDetail):
            self.parent.parent.fold_models()


class StripRows:
    """Pre-rendered rows (the diff view's aligned strips) as a Rich renderable for a Static."""

    def __init__(self, strips: list[Strip]):
        self.strips = strips

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for strip in self.strips:
            yield from strip
            yield Segment.line()


class PairDetail(VerticalScroll):
    """Shown pair; the screen calls :meth:`show` with everything already read from the store.

    The votes and rationales come first (above the fold), then the prompt and the responses,
    rendered as in ``annotate`` (Markdown, maths as Unicode) and blind: model names are shown
    only when the task shows them to annotators.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache = RenderCache()
        self.diff = False  # `d`: the responses aligned row by row with the changes marked, as in annotate
        self._shown: tuple[Task, Pair] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="adj-votes")
        yield Static(id="adj-prompt")
        yield Static(id="adj-models")
        with Horizontal(id="adj-responses"):
            yield ResponsePane(id="adj-response-a", classes="adj-response")
            yield ResponsePane(id="adj-response-b", classes="adj-response")
        yield Static(id="adj-judges")
        yield Static(id="adj-history")

    def show(self, task: Task, pair: Pair, labels: list[Label], judgments: list[tuple[str, Judgment]],
             history: list[Adjudication]) -> None:
        prompt = Text("Prompt", style="bold")
        prompt.append("\n")
        prompt.append(plain_text(pair.prompt))
        if pair.source:
            prompt.append("\n\nSource\n", style="bold")
            prompt.append(plain_text(pair.source))
        self.query_one("#adj-prompt", Static).update(prompt)
        self._shown = (task, pair)
        self._show_responses()
        note = Text("A and B are the pair's own order. Each annotator saw the pair in their own order "
                    "(\"saw 1st\": the response shown first, on the left); \"as seen\" is their choice in the letters "
                    "they saw, which their rationale uses.", style="dim")
        factors = factors_table(labels, task)
        parts = [Votes(labels), note] + ([Text(""), factors] if factors is not None else [])
        self.query_one("#adj-votes", Static).update(Group(*parts))
        judges = self.query_one("#adj-judges", Static)
        judges.display = bool(judgments)
        if judgments:
            judges.update(judges_table(judgments))
        past = self.query_one("#adj-history", Static)
        past.display = bool(history)
        if history:
            past.update(history_text(history))
        self.scroll_home(animate=False)

    def on_resize(self) -> None:
        if self.diff:
            self._show_responses()  # the rows line up at the panes' new width

    def fold_models(self) -> None:
        """The model names the panes' titles had no room for, on a line of their own (folded)."""
        panes = list(self.query(ResponsePane))
        line = self.query_one("#adj-models", Static)
        folded = [f"{pane.side}: {pane.model}" for pane in panes if pane.model_folded]
        line.display = bool(folded)
        if folded:
            line.update(Text(" · ".join(folded), style="bold"))

    def toggle_diff(self) -> None:
        self.diff = not self.diff
        self._show_responses()

    def _diff_width(self) -> int:
        """The one width both panes render the diff at, so that their rows line up."""
        panes = [self.query_one(f"#adj-response-{s}", Static).content_size.width for s in "ab"]
        return min(panes) if min(panes) > 0 else max(8, (self.size.width - 6) // 2)

    def _show_responses(self) -> None:
        if self._shown is None:
            return
        task, pair = self._shown
        width = self._diff_width() if self.diff else 0
        for side, model in (("A", pair.model_a), ("B", pair.model_b)):
            pane = self.query_one(f"#adj-response-{side.lower()}", ResponsePane)
            shown = model if task.show_model_names else ""  # blind, as the annotators were
            pane.set_title(side, sanitize_line(shown), self.diff)
            if self.diff and part_text(pair, side).strip():
                pane.update(StripRows(self.cache.lines(pair, side, "diff", width)))
            else:
                pane.update(self.cache.renderable(pair, side, "markdown"))
