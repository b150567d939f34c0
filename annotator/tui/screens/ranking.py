"""The ranking screen: an item's k responses (3 to 5), ordered by the annotator with keys.

The responses are numbered 1..k on screen in a seeded order per annotator and item
(:func:`annotator.store.rankings.shown_positions`), rendered as Markdown as the pair screen
renders them, one under the other in one scrolling column (80 columns are enough). The
annotator presses the numbers from best to worst; ``=`` before a number ties it with the
one before; backspace takes the last key back; Enter saves once every response is placed.
The ranking and its expansion into pair labels are one transaction
(:meth:`annotator.store.rankings.RankingStore.save_ranking`), committed before the next
item shows. The name is always at the left of the top bar.

The queue is the pairs' queue: the screen claims the next pair as the pair screen does and
shows the item that pair belongs to; a saved ranking labels every pair of the item for this
annotator, so the next pair claimed belongs to another item.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from annotator.store import Pair, Ranking, RankingItem, retry_busy
from annotator.store.rankings import MAX_RESPONSES, shown_positions
from annotator.text.latex import convert_markdown_math
from annotator.text.sanitize import sanitize, sanitize_line
from annotator.tui.config import Settings
from annotator.tui.session import LabelSession, SessionTakenOver, save_failure
from annotator.tui.widgets.response.markdown import ResponseMarkdown
from annotator.tui.widgets.response.render import PLACEHOLDER
from annotator.tui.widgets.status.footer import KeysFooter

TIE = "="


def ranking_text(tiers: list[list[int]], pending_tie: bool = False) -> str:
    """Screen numbers best first: ``2 > 1 = 3`` (a trailing ``=`` while a tie waits for its number)."""
    text = " > ".join(" = ".join(str(n) for n in tier) for tier in tiers)
    return text + (" = _" if pending_tie else "")


class RankingScreen(Screen):
    BINDINGS = [
        *(Binding(str(n), f"place({n})", "Place", show=n == 1, key_display="1-5") for n in range(1, 6)),
        Binding("equals_sign", "tie", "Tie with previous", key_display="="),
        Binding("backspace", "undo", "Undo"),
        Binding("enter", "save", "Save"),
        Binding("j", "scroll(3)", "Scroll", show=False),
        Binding("k", "scroll(-3)", "Scroll up", show=False),
        Binding("space", "page(1)", "Page", show=False),
        Binding("q", "quit_ranking", "Quit"),
    ]
    DEFAULT_CSS = """
    RankingScreen #ranking-top { height: 1; background: $panel; }
    RankingScreen #ranking-prompt { height: auto; max-height: 8; padding: 0 1; border-bottom: solid $primary; }
    RankingScreen #ranking-responses { height: 1fr; }
    RankingScreen .ranking-response { height: auto; border: round $secondary; padding: 0 1; }
    RankingScreen #ranking-bar { height: 2; padding: 0 1; background: $boost; }
    """

    def __init__(self, session: LabelSession, settings: Settings, clock: Callable[[], float]):
        super().__init__()
        self.session = session
        self.store = session.store
        self.label_task = session.task
        self.settings = settings
        self.clock = clock
        self.pair: Pair | None = None
        self.item: RankingItem | None = None
        self.shown: list[int] = []  # positions in screen order
        self.tiers: list[list[int]] = []  # screen numbers, best first
        self.pending_tie = False
        self.message = ""
        self.shown_at = clock()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="ranking-top")
            yield Static(id="ranking-prompt")
            with VerticalScroll(id="ranking-responses"):
                for number in range(1, MAX_RESPONSES + 1):
                    yield Static(classes="ranking-response", id=f"ranking-response-{number}")
            yield Static(id="ranking-bar")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.pair = retry_busy(self.store.next_pair, self.label_task, self.session.annotator,
                               claim_for=self.session.claim_for)
        self.show_item()

    # -- what is on screen ------------------------------------------------------------------
    def show_item(self) -> None:
        self.item = self.store.ranking_item_of_pair(self.pair.id) if self.pair is not None else None
        self.tiers, self.pending_tie = [], False
        self.shown_at = self.clock()
        column = self.query_one("#ranking-responses", VerticalScroll)
        for pane in column.query(".ranking-response"):
            pane.display = False
        prompt = self.query_one("#ranking-prompt", Static)
        if self.item is None:
            self.shown = []
            prompt.update(Text("Nothing left to rank in this task. Thank you! (q quits)", style="bold"))
            self._update_bars()
            return
        item = self.item
        self.shown = shown_positions(self.label_task.seed, self.session.annotator, item.item_id, item.k)
        prompt.update(Text.assemble(("Prompt  ", "bold"), sanitize(item.prompt)))
        for number, position in enumerate(self.shown, 1):
            text = sanitize(item.responses[position - 1])
            body = (ResponseMarkdown(convert_markdown_math(text), code_theme=self.settings.code_theme,
                                     hyperlinks=False) if text.strip() else Text(PLACEHOLDER, style="dim italic"))
            pane = self.query_one(f"#ranking-response-{number}", Static)
            pane.update(body)
            model = item.models[position - 1] if self.label_task.show_model_names else ""
            pane.border_title = f"{number}" + (f" · {sanitize_line(model)}" if model else "")
            pane.display = True
        column.scroll_home(animate=False)
        self._update_bars()

    def _placed(self) -> set[int]:
        return {n for tier in self.tiers for n in tier}

    def _update_bars(self) -> None:
        top = Text(no_wrap=True, overflow="ellipsis")
        top.append(f" {sanitize_line(self.session.annotator)} ", style="bold reverse")  # first: never cut
        if self.message:
            top.append(f" {self.message}", style="bold green" if self.message.startswith("✓") else "bold red")
        if self.item is not None:
            ranked, total = self.store.ranked_item_count(self.label_task.name, self.session.annotator)
            top.append(f"  item {sanitize_line(self.item.item_id)} · {ranked + 1} / {total}")
        top.append(f" · {sanitize_line(self.label_task.title or self.label_task.name)}", style="dim")
        self.query_one("#ranking-top", Static).update(top)
        bar = Text()
        bar.append("Ranking (best first): ", style="bold")
        bar.append(ranking_text(self.tiers, self.pending_tie) or "—")
        if self.item is not None:
            left = [n for n in range(1, self.item.k + 1) if n not in self._placed()]
            bar.append(f"   to place: {' '.join(map(str, left))}" if left else "   ⏎ saves", style="dim")
            ties = " · = tie with previous" if self.label_task.allow_tie else ""
            bar.append(f"\nNumbers best → worst{ties} · ⌫ undo · ⏎ save · j/k scroll", style="dim")
        self.query_one("#ranking-bar", Static).update(bar)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "place":
            return self.item is not None and int(str(parameters[0])) <= self.item.k or None
        if action == "tie":
            return self.item is not None and self.label_task.allow_tie and bool(self.tiers) or None
        if action in ("undo", "save"):
            return self.item is not None or None
        return True

    # -- keys -------------------------------------------------------------------------------
    def action_place(self, number: int) -> None:
        if self.item is None or number > self.item.k or number in self._placed():
            return
        if self.pending_tie and self.tiers:
            self.tiers[-1].append(number)
        else:
            self.tiers.append([number])
        self.pending_tie = False
        self.message = ""
        self._update_bars()

    def action_tie(self) -> None:
        if self.tiers and self.label_task.allow_tie and len(self._placed()) < (self.item.k if self.item else 0):
            self.pending_tie = True
            self._update_bars()

    def action_undo(self) -> None:
        if self.pending_tie:
            self.pending_tie = False
        elif self.tiers:
            self.tiers[-1].pop()
            if not self.tiers[-1]:
                self.tiers.pop()
            elif self.tiers[-1]:
                self.pending_tie = True  # the number taken back was tied to the one before
        self._update_bars()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#ranking-responses", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        column = self.query_one("#ranking-responses", VerticalScroll)
        column.scroll_relative(y=pages * max(column.size.height - 2, 1), animate=False)

    def action_quit_ranking(self) -> None:
        self.app.exit()

    def action_save(self) -> None:
        item, pair = self.item, self.pair
        if item is None or pair is None:
            return
        if len(self._placed()) < item.k:
            self.message = "Place every response first."
            self._update_bars()
            return
        tiers = [[self.shown[n - 1] for n in tier] for tier in self.tiers]  # screen numbers -> positions
        session = self.session
        seconds = round(self.clock() - self.shown_at, 3)

        def write():
            with self.store.atomic():
                if not self.store.holds_writer(self.label_task.name, session.annotator, session.identity):
                    raise SessionTakenOver(f"this session no longer holds the name {session.annotator!r}: "
                                           "it saves nothing more")
                self.store.save_ranking(Ranking(item=item.id, annotator=session.annotator, tiers=tiers,
                                                shown=list(self.shown), seconds=seconds, origin=session.origin),
                                        allow_tie=self.label_task.allow_tie)
                self.store.release_claim(pair.id, session.annotator)
                return self.store.next_pair(self.label_task, session.annotator, claim_for=session.claim_for)

        try:
            following = retry_busy(write)
        except Exception as error:  # nothing was saved
            self.message = save_failure(error)
            self._update_bars()
            return
        self.message = f"✓ {sanitize_line(item.item_id)} saved as {sanitize_line(session.annotator)}"
        self.pair = following
        self.show_item()
