"""The ranking screen: an item's k responses (3 to 5), ordered by the annotator with keys.

The responses are numbered 1..k on screen in a seeded order per annotator and item
(:func:`annotator.store.rankings.shown_positions`), rendered as Markdown as the pair screen
renders them, one under the other in one scrolling column (80 columns are enough). The
annotator presses the numbers from best to worst; ``=`` before a number ties it with the
one before; backspace takes the last key back; Enter saves once every response is placed.
The ranking and its expansion into pair labels are one transaction
(:meth:`annotator.store.rankings.RankingStore.save_ranking`), committed before the next
item shows. The name is always at the left of the top bar.

Every write (the claims of an item, a ranking) follows the pair screen's rule: it runs in a
thread, on the session's own connection, in one transaction that first checks the session
still holds the annotator's name (:meth:`LabelSession.write_checked`); keys pressed meanwhile
wait for it and then act in order; quitting (and a hang-up, through
:meth:`LabelSession.close`) waits for it; a write that fails leaves the ranking as entered
on screen, with the reason.

The queue is the pairs' queue: the screen claims the next pair as the pair screen does and
shows the item that pair belongs to; a saved ranking labels every pair of the item for this
annotator, so the next pair claimed belongs to another item.

``u`` goes back through the items this annotator ranked (their saved ranking shown, ready to
change); saving there appends a revision of the ranking and of its pair labels, then goes
forward again. ``c`` then a digit gives a confidence (1-5), ``r`` types a rationale (Escape
or Enter leaves the box); a task that requires them (``required``) asks before saving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Static

from annotator.store import Pair, Ranking, RankingItem
from annotator.store.rankings import MAX_RESPONSES, shown_positions
from annotator.text.latex import convert_markdown_math
from annotator.text.sanitize import sanitize, sanitize_line
from annotator.tui.config import Settings
from annotator.tui.session import LabelSession, save_failure
from annotator.tui.widgets.label.rationale import RationaleInput
from annotator.tui.widgets.response.markdown import ResponseMarkdown
from annotator.tui.widgets.response.render import PLACEHOLDER
from annotator.tui.widgets.status.footer import KeysFooter

TIE = "="
WAIT_NOTICE = 0.4  # seconds a write may take before the top bar says it is waiting


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
        Binding("u", "back", "Back"),
        Binding("c", "confidence", "Confidence"),
        Binding("r", "rationale", "Rationale"),
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
    RankingScreen #ranking-rationale { height: 1; border: none; padding: 0 1; }
    """

    def __init__(self, session: LabelSession, settings: Settings, clock: Callable[[], float]):
        super().__init__()
        self.session = session
        self.store = session.store
        self.label_task = session.task
        self.settings = settings
        self.clock = clock
        self.fresh: Pair | None = None  # the pair claimed from the queue (its item is the next to rank)
        self.history: list[int] = self.store.ranked_items(self.label_task.name, session.annotator)
        self.position: int | None = None  # index into history while going back (u), else None
        self.item: RankingItem | None = None
        self.shown: list[int] = []  # positions in screen order
        self.tiers: list[list[int]] = []  # screen numbers, best first
        self.pending_tie = False
        self.confidence: int | None = None
        self.asking_confidence = False
        self.message = ""
        self.shown_at = clock()
        # The task's items, read once (here, and when looking again for an item): an item's
        # top bar then needs no count that grows with the task or the annotator's history.
        self.total_items = self.store.ranked_item_count(self.label_task.name, session.annotator)[1]
        self.counts = (len(self.history), self.total_items)  # (items this annotator ranked, the task's items)
        self.looking = True  # the first item is being claimed (in a thread)
        self._saving = False  # a write is on its way (keys wait for it)
        self.waiting = ""  # what waits for the database, said in the top bar ("" when nothing)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(id="ranking-top")
            yield Static(id="ranking-prompt")
            with VerticalScroll(id="ranking-responses"):
                for number in range(1, MAX_RESPONSES + 1):
                    yield Static(classes="ranking-response", id=f"ranking-response-{number}")
            yield RationaleInput(placeholder=self._rationale_placeholder(), id="ranking-rationale", max_length=4000)
            yield Static(id="ranking-bar")
        yield KeysFooter()

    def _rationale_placeholder(self) -> str:
        required = "rationale" in self.label_task.required
        return f"rationale ({'required' if required else 'optional'}): press r to type it"

    @property
    def rationale(self) -> RationaleInput:
        return self.query_one("#ranking-rationale", RationaleInput)

    async def on_mount(self) -> None:
        self.show_item()
        await self._look_for_item()

    def _claim_next(self) -> Pair | None:
        """(In a write transaction, on the session's connection.) Claim the next pair from the
        queue and the other pairs of its item too, so nobody else ranks the item meanwhile
        beyond the overlap; the session's heartbeat renews them with the rest."""
        session = self.session
        pair = session.writes.next_pair(self.label_task, session.annotator, claim_for=session.claim_for)
        if pair is not None:
            session.writes.claim_item(self.label_task, session.annotator, pair.id, claim_for=session.claim_for)
        return pair

    async def _look_for_item(self) -> None:
        """The next item to rank: claimed in a thread (at the start, and ⏎ when none was left)."""
        self.looking = True
        try:
            self.total_items = self.store.ranked_item_count(self.label_task.name, self.session.annotator)[1]
            self.fresh = await self._write_in_thread("looking for an item", self._claim_next)
        except Exception as error:  # nothing was claimed
            self.message = save_failure(error, "claim")
        finally:
            self.looking = False
        self.show_item()

    async def _write_in_thread(self, doing: str, action: Callable):
        """``action`` in one write transaction made only while the session holds the name, in a
        thread on the session's connection (:meth:`LabelSession.write_checked`, retried while
        the database is busy). Keys wait for it (this holds the app's queue), quitting and a
        hang-up too (:meth:`LabelSession.begin_write`); the top bar says when it waits."""
        session = self.session
        self._saving = True
        session.begin_write()
        writing = asyncio.ensure_future(asyncio.to_thread(session.run_write, session.write_checked, action))
        try:
            done, _ = await asyncio.wait({writing}, timeout=WAIT_NOTICE)
            if not done:
                self.waiting = doing
                self._update_bars()
            return await writing
        finally:
            self._saving = False
            if self.waiting:
                self.waiting = ""
                self._update_bars()

    # -- what is on screen ------------------------------------------------------------------
    def show_item(self) -> None:
        if self.position is not None:
            self.item = self.store.ranking_item(self.history[self.position])
        else:
            self.item = self.store.ranking_item_of_pair(self.fresh.id) if self.fresh is not None else None
        self.tiers, self.pending_tie, self.asking_confidence = [], False, False
        self.confidence, self.rationale.value = None, ""
        self.shown_at = self.clock()
        self.counts = (len(self.history), self.total_items)  # (the history holds each item ranked once)
        column = self.query_one("#ranking-responses", VerticalScroll)
        for pane in column.query(".ranking-response"):
            pane.display = False
        prompt = self.query_one("#ranking-prompt", Static)
        if self.item is None:
            self.shown = []
            prompt.update(Text("Finding the next item to rank…" if self.looking else
                               "Nothing left to rank in this task. Thank you! (⏎ checks again, u goes back, q quits)",
                               style="bold"))
            self._update_bars()
            return
        item = self.item
        self.shown = shown_positions(self.label_task.seed, self.session.annotator, item.item_id, item.k)
        saved = self.store.current_ranking(item.id, self.session.annotator)
        if saved is not None:  # going back: the saved ranking, in the screen order it was given in
            self.shown = list(saved.shown)
            self.tiers = [[self.shown.index(p) + 1 for p in tier] for tier in saved.tiers]
            self.confidence, self.rationale.value = saved.confidence, saved.rationale
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
        if self.waiting:
            top.append(f" ⏳ {self.waiting}: waiting for the database", style="bold yellow")
        elif self.message:
            top.append(f" {self.message}", style="bold green" if self.message.startswith("✓") else "bold red")
        if self.item is not None:
            ranked, total = self.counts
            index = ranked + 1 if self.position is None else self.position + 1
            back = " (going back)" if self.position is not None else ""
            top.append(f"  item {sanitize_line(self.item.item_id)} · {index} / {total}{back}")
        top.append(f" · {sanitize_line(self.label_task.title or self.label_task.name)}", style="dim")
        self.query_one("#ranking-top", Static).update(top)
        bar = Text()
        if self.item is not None:
            bar.append("Ranking (best first): ", style="bold")
            bar.append(ranking_text(self.tiers, self.pending_tie) or "—")
            left = [n for n in range(1, self.item.k + 1) if n not in self._placed()]
            bar.append(f"   to place: {' '.join(map(str, left))}" if left else "   ⏎ saves", style="dim")
            if self.asking_confidence:
                bar.append("   confidence: press 1-5", style="bold")
            elif self.confidence is not None:
                bar.append(f"   confidence {self.confidence}", style="dim")
            ties = " · = tie with previous" if self.label_task.allow_tie else ""
            bar.append(f"\nNumbers best → worst{ties} · ⌫ undo · ⏎ save · j/k scroll", style="dim")
        self.query_one("#ranking-bar", Static).update(bar)
        self.refresh_bindings()

    def help_rows(self) -> list[tuple[str, str]]:
        """This screen's keys for the ``?`` screen (docs/ranking.md lists the same)."""
        last = self.item.k if self.item is not None else MAX_RESPONSES
        rows = [(f"1-{last}", "place the response with this number next, best first")]
        if self.label_task.allow_tie:
            rows.append(("=", "tie the next number with the previous one"))
        return rows + [
            ("⌫", "take the last key back"),
            ("⏎", "save (every response placed): the ranking and its pair labels"),
            ("c then 1-5", "your confidence in this ranking"),
            ("r", "type a rationale (Esc or ⏎ leaves the box)"),
            ("u", "back to the item you ranked before, to change its ranking"),
            ("j  k  space", "scroll the responses"),
            ("q  g  ?", "quit (resume any time) · the guidelines · this screen"),
        ]

    def key_display(self, binding: Binding) -> str | None:
        """The number keys as far as this item goes ("1-3" for three responses; "1-5" while a
        confidence is asked for), read by the app's ``get_key_display``."""
        if binding.action.startswith("place("):
            last = 5 if self.asking_confidence or self.item is None else self.item.k
            return f"1-{last}"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "place":
            return self.item is not None and int(str(parameters[0])) <= max(self.item.k, 5 * self.asking_confidence) \
                or None
        if action == "tie":
            return self.item is not None and self.label_task.allow_tie and bool(self.tiers) or None
        if action == "save":  # with no item left: look again
            return self.item is not None or self.position is None or None
        if action in ("undo", "confidence", "rationale"):
            return self.item is not None or None
        if action == "back":
            return bool(self.history) and self.position != 0 or None
        return True

    # -- keys -------------------------------------------------------------------------------
    def action_place(self, number: int) -> None:
        if self.asking_confidence:
            self.confidence, self.asking_confidence = number, False
            self._update_bars()
            return
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
        if self.asking_confidence:
            self.asking_confidence = False
        elif self.pending_tie:
            self.pending_tie = False
        elif self.tiers:
            self.tiers[-1].pop()
            if not self.tiers[-1]:
                self.tiers.pop()
            else:
                self.pending_tie = True  # the number taken back was tied to the one before
        self._update_bars()

    def action_confidence(self) -> None:
        self.asking_confidence = not self.asking_confidence
        self._update_bars()

    def action_rationale(self) -> None:
        self.rationale.enter()

    def on_rationale_input_leave(self) -> None:
        self.set_focus(None)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "ranking-rationale":
            message.stop()
            self.set_focus(None)  # Enter leaves the box; Enter again saves

    def action_back(self) -> None:
        if self.history and self.position != 0:
            self.position = len(self.history) - 1 if self.position is None else self.position - 1
            self.message = ""
            self.show_item()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#ranking-responses", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        column = self.query_one("#ranking-responses", VerticalScroll)
        column.scroll_relative(y=pages * max(column.size.height - 2, 1), animate=False)

    def action_quit_ranking(self) -> None:
        self.app.exit()

    def _missing(self) -> str | None:
        """What the annotator must still give before saving (None: nothing)."""
        assert self.item is not None
        if len(self._placed()) < self.item.k:
            return "Place every response first."
        if "confidence" in self.label_task.required and self.confidence is None:
            return "This task asks for your confidence (c, then 1-5)."
        if "rationale" in self.label_task.required and not self.rationale.value.strip():
            return "This task asks for a rationale (r to type it)."
        return None

    async def action_save(self) -> None:
        item, fresh = self.item, self.position is None
        if self._saving:
            return
        if item is None:
            if fresh:
                await self._look_for_item()
            return
        missing = self._missing()
        if missing:
            self.message = missing
            self._update_bars()
            return
        tiers = [[self.shown[n - 1] for n in tier] for tier in self.tiers]  # screen numbers -> positions
        session, pair, confidence = self.session, self.fresh, self.confidence
        rationale = self.rationale.value.strip()
        ranking = Ranking(item=item.id, annotator=session.annotator, tiers=tiers, shown=list(self.shown),
                          confidence=confidence, rationale=rationale,
                          seconds=round(self.clock() - self.shown_at, 3), origin=session.origin)

        def write() -> Pair | None:  # (in a thread, in the transaction of write_checked)
            writes = session.writes
            saved = writes.current_ranking(item.id, session.annotator)
            if saved is None or (saved.tiers, saved.confidence, saved.rationale) != (tiers, confidence, rationale):
                writes.save_ranking(ranking, allow_tie=self.label_task.allow_tie)
            if not fresh or pair is None:
                return pair
            writes.release_item(item.id, session.annotator)
            return self._claim_next()  # the next item's claims, in the same transaction

        try:
            following = await self._write_in_thread("saving", write)
        except Exception as error:  # nothing was saved: the ranking as entered stays on screen
            self.message = save_failure(error, "ranking")
            self._update_bars()
            return
        self.message = f"✓ {sanitize_line(item.item_id)} saved as {sanitize_line(session.annotator)}"
        if fresh:
            self.history.append(item.id)
            self.fresh = following
        else:
            assert self.position is not None
            self.position = self.position + 1 if self.position + 1 < len(self.history) else None
        self.show_item()
