"""The pair screen: prompt, the two responses, and the label being given.

Attributes down, messages up: the screen owns the answer being entered (in canonical
order) and pushes what to show into its widgets; the widgets post messages when the
annotator changes something. Saving goes through :class:`~annotator.tui.session.LabelSession`:
the next pair is shown while the label is written in a thread (a failed write brings the pair
back with its answer).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from annotator.store import Pair
from annotator.store.orders import to_canonical, to_shown
from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap
from annotator.tui.config import Settings
from annotator.tui.screens.factor_definition import FactorDefinitionScreen
from annotator.tui.session import (
    Answer,
    ClaimInProgress,
    ClaimNeeded,
    JumpRefused,
    LabelSession,
    MissingAnswer,
    save_failure,
)
from annotator.tui.widgets.label.choice_bar import ChoiceBar
from annotator.tui.widgets.label.confidence import ConfidenceSelect
from annotator.tui.widgets.label.factor_checklist import FactorChecklist
from annotator.tui.widgets.label.rationale import RationaleInput
from annotator.tui.widgets.prompt.prompt_panel import PromptPanel
from annotator.tui.widgets.response.line_view import LineView
from annotator.tui.widgets.response.pane import ResponsePane
from annotator.tui.widgets.response.render import RenderCache
from annotator.tui.widgets.status.footer import KeysFooter
from annotator.tui.widgets.status.progress import QueueProgress, short_id

# Actions that need a pair on screen.
_PAIR_ACTIONS = {
    "choose", "toggle_diff", "toggle_raw", "toggle_prompt", "toggle_source",
    "focus_factors", "focus_confidence", "focus_rationale", "scroll_both", "page_both",
    "maximize_pane", "skip", "flag", "next_change", "previous_change", "toggle_sync", "scroll_sideways",
}
# Actions of the diff view only (hidden from the footer in the other views).
_DIFF_ACTIONS = {"next_change", "previous_change", "toggle_sync"}
CONFIRM_SECONDS = 3.0  # how long the top bar shows "✓ p17 saved as alice"
SAVE_WAIT_NOTICE = 0.4  # seconds a save may take before the top bar says it is waiting
CHANGE_CONTEXT = 1  # rows shown above a change that the change keys scroll to


class PairScreen(Screen):
    BINDINGS = keymap.PAIR
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    # Short terminals (80x24): the checklist shows one row until it has the focus.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    AUTO_FOCUS = ""  # none: show_pair puts the focus on the left response (None = the app's "*")

    def __init__(self, session: LabelSession, settings: Settings, cache: RenderCache,
                 clock: Callable[[], float]):
        super().__init__()
        self.session = session
        self.label_task = session.task
        self.settings = settings
        self.cache = cache
        self.clock = clock
        self.pair: Pair | None = None
        self.order = "AB"
        self.answer = Answer()
        self.mode = "markdown"
        self.scroll_together = True  # in the diff view
        self.shown_at = clock()
        self._binding_state: tuple = ()
        self._confirmed_at: float | None = None
        # A step's database work (save, skip, flag, the claim of a jump) is on its way.
        self._saving = False
        self._waiting_shown = False  # the top bar says "waiting for the database"

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        stock = self.settings.renderer == "stock"
        with Horizontal(id="topbar"):
            # The name first and never cut (the title gives way): whose labels these are.
            yield Static(self._name_text(), id="annotator-name")
            title = self.label_task.title or self.label_task.name
            yield Static(Text(sanitize_line(title), no_wrap=True, overflow="ellipsis"), id="task-title")
            yield QueueProgress(self.clock, id="progress")
        yield PromptPanel(self.cache, id="prompt-panel")
        with Container(id="responses"):
            yield ResponsePane("Source document", self.cache, id="source-pane")
            yield ResponsePane("A", self.cache, stock=stock, id="left")
            yield ResponsePane("B", self.cache, stock=stock, id="right")
        with Vertical(id="label-panel"):
            with Horizontal(id="label-row"):
                yield ChoiceBar(id="choice")
                yield ConfidenceSelect(id="confidence")
            yield RationaleInput(placeholder=self._rationale_placeholder(), id="rationale", max_length=4000)
            yield FactorChecklist(id="factors")
            yield Static(id="factor-question")
        yield Static(id="finished")
        yield KeysFooter()

    def _name_text(self, saved: str | None = None) -> Text:
        """``alice`` in the top bar; ``✓ p17 saved as alice`` for a moment after a save."""
        text = Text(no_wrap=True)
        if saved is not None:
            text.append("✓ ", style="bold green")
            text.append(f"{short_id(saved, 12)} saved as ")
        text.append(sanitize_line(self.session.annotator), style="bold")
        return text

    def _confirm_saved(self, pair: Pair) -> None:
        """Every save is confirmed with the name it was stored under."""
        self.query_one("#annotator-name", Static).update(self._name_text(pair.pair_id))
        self._confirmed_at = self.clock()

    def _end_confirmation(self) -> None:
        """(Every second) the name alone again, a few seconds after the last save."""
        if self._confirmed_at is not None and self.clock() - self._confirmed_at >= CONFIRM_SECONDS:
            self._confirmed_at = None
            self.query_one("#annotator-name", Static).update(self._name_text())

    def _rationale_placeholder(self) -> str:
        required = "rationale" in self.label_task.required
        return f"rationale ({'required' if required else 'optional'}): press r to type it"

    async def on_mount(self) -> None:
        self.query_one(ChoiceBar).offered = self.label_task.label_choices
        self.query_one(ConfidenceSelect).required = "confidence" in self.label_task.required
        self.query_one("#source-pane").display = False
        has_factors = bool(self.label_task.factors)
        self.query_one(FactorChecklist).display = has_factors
        self.query_one("#factor-question").display = has_factors
        self._show_factor_hint()
        self._sync_choice_keys()
        self.set_interval(1.0, self._end_confirmation)
        await self.show_pair(self.session.start())

    def _sync_choice_keys(self) -> None:
        keymap_ = self.settings.keymap
        by_id = {b.id: b for b in keymap.PAIR}
        self.query_one(ChoiceBar).keys = tuple(
            keymap.keys_for(by_id[i], keymap_)[0]
            for i in ("choose_left", "choose_right", "choose_tie", "choose_both_bad")
        )

    @property
    def left(self) -> ResponsePane:
        return self.query_one("#left", ResponsePane)

    @property
    def right(self) -> ResponsePane:
        return self.query_one("#right", ResponsePane)

    @property
    def source_pane(self) -> ResponsePane:
        return self.query_one("#source-pane", ResponsePane)

    @property
    def rationale(self) -> RationaleInput:
        return self.query_one("#rationale", RationaleInput)

    # -- showing a pair --------------------------------------------------------------------
    async def show_pair(self, pair: Pair | None, answer: Answer | None = None) -> None:
        """Show ``pair`` with its saved label, or with ``answer`` (put back after a failed save)."""
        self.pair = pair
        finished = pair is None
        for selector in ("#prompt-panel", "#responses", "#label-panel"):
            self.query_one(selector).display = not finished
        self.query_one("#finished").display = finished
        self._update_progress()
        if pair is None:
            # Nothing focusable is left on screen that should take keys (Enter on a hidden
            # collapsible title would toggle it instead of checking again).
            self.set_focus(None)
            self._show_finished()
            self._refresh_bindings_if_changed()
            return
        saved = self.session.saved_label(pair)
        self.order = saved.shown_order if saved is not None else self.session.order_for(pair)
        if answer is not None:
            self.answer = Answer(answer.choice, dict(answer.factors), answer.confidence, answer.rationale)
        else:
            self.answer = Answer.from_label(saved) if saved else Answer()
        await self._show_texts()
        self.query_one(ChoiceBar).choice = to_shown(self.answer.choice, self.order) if self.answer.choice else None
        self.query_one(ConfidenceSelect).value = self.answer.confidence or 0
        self.rationale.value = self.answer.rationale
        self.query_one(FactorChecklist).set_factors(
            self.label_task.factors,
            {k: to_shown(v, self.order) for k, v in self.answer.factors.items()},
            required="factors" in self.label_task.required,
        )
        self.shown_at = self.clock()
        self.query_one(QueueProgress).restart_timer()
        if not isinstance(self.focused, FactorChecklist):
            self.left.view.focus()
        self._refresh_bindings_if_changed()
        # Start pre-rendering once this pair is painted, not competing with the paint.
        self.call_after_refresh(self._start_prefetch)

    def _refresh_bindings_if_changed(self) -> None:
        # Refreshing bindings rebuilds the footer: only do it when an enabled state changed.
        state = (self.pair is None, self.session.can_go_back(), self.session.can_skip(),
                 bool(self.pair and self.pair.source.strip()), self.mode)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def diff_width(self, own: int) -> int:
        """The one width both panes render the diff view at (so that rows line up)."""
        widths = [w for w in (self.left.line_width(), self.right.line_width()) if w > 0]
        return min(widths) if widths else own

    async def _show_texts(self) -> None:
        pair = self.pair
        models = self.label_task.show_model_names
        diff = self.mode == "diff" and self.settings.renderer != "stock"
        for pane, part in ((self.left, self.order[0]), (self.right, self.order[1])):
            model = (pair.model_a if part == "A" else pair.model_b) if models else None
            await pane.show(pair, part, self.mode, model, width=self.diff_width if diff else None)
        self._link_scrolling()
        if self.mode == "diff":
            diff = self.cache.diff(pair)
            changed = {"A": diff.changed_words_a, "B": diff.changed_words_b}
            runs = sum(h.changed for h in diff.hunks)
            self.left.border_subtitle = Text(
                f" diff: {diff.ratio:.0%} alike · {runs} change{'s' if runs != 1 else ''} · "
                f"{changed[self.order[0]]} changed words ")
            self.right.border_subtitle = Text(f" {changed[self.order[1]]} changed words ")
        self.query_one(PromptPanel).show(pair, self.mode)
        if self.source_pane.display and not pair.source.strip():
            self.source_pane.display = False  # (assigning display, even unchanged, costs a layout)
        if self.source_pane.display:
            await self.source_pane.show(pair, "source", "raw" if self.mode == "raw" else "markdown", None)

    def _link_scrolling(self) -> None:
        """In the diff view (scroll together on), each response pane follows the other."""
        left, right = self.left.view, self.right.view
        if not isinstance(left, LineView) or not isinstance(right, LineView):
            return
        linked = self.mode == "diff" and self.scroll_together
        left.partner, right.partner = (right, left) if linked else (None, None)

    def _update_progress(self) -> None:
        where = self.session.where()  # one computation of "17 / 40" (terminal and browser)
        flag = self.session.current_flag() if self.pair else None
        self.query_one(QueueProgress).set_values(
            done=where.done, assigned=where.total, median=self.session.median_seconds(),
            revisiting=self.session.revisiting, position=where.index,
            pair_id=self.pair.pair_id if self.pair else "", flag=flag.reason if flag else "")

    def _update_flag(self) -> None:
        flag = self.session.current_flag() if self.pair else None
        self.query_one(QueueProgress).set_values(flag=flag.reason if flag else "")

    def _show_finished(self) -> None:
        done = len(self.session.history)
        text = Text(justify="center")
        text.append("All done for now.\n\n", style="bold green")
        if done:
            text.append(f"You have labelled {done} pair{'s' if done != 1 else ''} of this task; "
                        "every label is saved.\n")
        text.append("No pair is waiting for you: the rest are labelled by enough annotators "
                    "or reserved by someone labelling right now.\n\n")
        text.append("⏎", style="bold")
        text.append(" check again   ")
        if done:
            text.append("u", style="bold")
            text.append(" review your last labels   ")
        text.append("q", style="bold")
        text.append(" quit")
        self.query_one("#finished", Static).update(text)

    def _render_targets(self) -> list | None:
        """The widths and styles a pair is rendered at (read here, on the UI thread), for
        rendering in a thread; None when nothing is rendered ahead (prefetch off, stock)."""
        if not self.settings.prefetch or self.settings.renderer == "stock" or self.pair is None:
            return None
        prompt = self.query_one("#prompt-text", LineView)
        return [
            (self.left.line_width(), self.left.view.rich_style),
            (self.right.line_width(), self.right.view.rich_style),
            (prompt.line_width, prompt.rich_style),
        ]

    def _start_prefetch(self) -> None:
        targets = self._render_targets()
        if targets is not None:
            self.prefetch(self.mode, targets)

    @work(thread=True, exclusive=True, group="prefetch", exit_on_error=False)
    def prefetch(self, mode: str, targets: list) -> None:
        """Pre-render the pair that follows the one on screen, at the current widths.

        Runs in a thread; widths and styles were read on the UI thread. A failure here (a
        busy database, a rendering error) only costs the head start: the next pair is then
        claimed and rendered when it is needed.
        """
        try:
            self._prefetch(mode, targets)
        except Exception:  # never ends the app
            pass

    def _prefetch(self, mode: str, targets: list) -> None:
        with self.session.background:
            if self.session.closed:
                return
            upcoming = self.session.upcoming()
            if upcoming is None:
                return
            order = self.session.order_for(upcoming)
        self._render_into_cache(upcoming, order, mode, targets)
        # Collect garbage now, while the annotator reads, rather than let a full collection
        # (100+ ms with many cached lines alive) land between a save and the next paint.
        gc.collect()

    def _render_into_cache(self, pair: Pair, order: str, mode: str, targets: list) -> None:
        """Render ``pair``'s responses and prompt into the cache (a thread): showing it is then
        a look-up."""
        (left_width, left_style), (right_width, right_style), (prompt_width, prompt_style) = targets
        for part, width, style in ((order[0], left_width, left_style), (order[1], right_width, right_style)):
            if width > 0:
                self.cache.lines(pair, part, mode, width, style)
        if prompt_width > 0:
            self.cache.lines(pair, "prompt", "raw" if mode == "raw" else "markdown", prompt_width, prompt_style)

    # -- bindings --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _PAIR_ACTIONS and self.pair is None:
            return False
        if action == "focus_rationale" and isinstance(self.focused, Input):
            return False  # a priority binding: while typing, its key is text
        if action == "choose" and parameters and parameters[0] not in ("A", "B", *self.label_task.label_choices):
            return False  # a tie or "both bad" the task does not offer
        if action == "focus_factors" and not self.label_task.factors:
            return False
        if action in _DIFF_ACTIONS and self.mode != "diff":
            return False
        if action == "search" and isinstance(self.focused, RationaleInput):
            return False  # "/" types into the box: the footer does not offer it there
        if action == "back":
            return self.session.can_go_back()
        if action == "skip":
            # Shown but dimmed while revisiting a saved label (there is nothing to set aside).
            return True if self.session.can_skip() else None
        return True

    async def action_choose(self, shown: str) -> None:
        if shown not in ("A", "B", *self.label_task.label_choices):
            return
        self.answer.choice = to_canonical(shown, self.order)
        self.query_one(ChoiceBar).choice = shown
        if self.settings.auto_advance and not self.label_task.required:
            await self.action_save()

    async def action_save(self) -> None:
        if self.pair is None:
            # Finished: pairs may have been freed since (claims released or expired). A claim
            # is a write: in a thread.
            try:
                pair = await self._write_in_thread("looking for a pair", self.session.start)
            except Exception as exc:
                self.notify(f"Could not look for a pair: {save_failure(exc, 'claim')}", severity="error", timeout=15)
                return
            await self.show_pair(pair)
            if self.pair is None:
                self.notify("Still no pair waiting for you.")
            return
        if self._saving:
            return  # Enter again while the save runs: it is saved once
        self.answer.rationale = self.rationale.value
        seconds = self.clock() - self.shown_at
        saved = self.pair
        try:
            self.session.check(self.answer)
        except MissingAnswer as missing:
            self._explain_missing(missing)
            return
        answer = Answer(self.answer.choice, dict(self.answer.factors), self.answer.confidence,
                        self.answer.rationale)  # as it was when Enter was pressed
        try:
            await self._move_and_write(
                lambda wait: self.session.start_save(answer, self.order, seconds, wait=wait), "saving")
        except MissingAnswer as missing:
            self._explain_missing(missing)
            return
        except Exception as exc:  # nothing was written: the pair and its answer are back on screen
            self.notify(save_failure(exc), title="Not saved", severity="error", timeout=15)
            return
        self._confirm_saved(saved)

    async def _move_and_write(self, start: Callable, doing: str):
        """A save or a skip: ``start(wait)`` (:meth:`LabelSession.start_save` or ``start_skip``),
        then its write. Returns the :class:`Saving`; raises what failed, with the pair it was
        about back on screen (with the answer it had).

        The database work runs in a thread, on the session's own connection: the screen keeps
        painting while it waits (for a lock another program holds, say), and says so. When
        the next pair is known (claimed ahead while this one was read), it is shown at once,
        while the write is on its way. Keys wait their turn (this holds the app's queue): the
        next key acts on the next pair, never on this one.
        """
        self._saving = True
        saving = None
        try:
            try:  # never waits on this thread for the session's claim lock
                saving = start(False)
            except ClaimInProgress:  # a claim ahead is on its way: wait for it off this thread
                saving = await asyncio.to_thread(start, True)
            if saving is None:
                return None
            following = self.session.current
            writing = asyncio.ensure_future(asyncio.to_thread(self.session.write, saving))
            if saving.moved:
                await self.show_pair(following)
            await self._wait_for(writing, doing)
        except Exception:
            self._waiting_shown = False  # the name alone (no confirmation of an earlier save either)
            self.query_one("#annotator-name", Static).update(self._name_text())
            if saving is not None and saving.moved:
                await self.show_pair(self.session.current, answer=saving.answer)
            raise
        finally:
            self._saving = False
        self._show_name()
        if not saving.moved:
            await self.show_pair(self.session.current)
        return saving

    async def _wait_for(self, writing: asyncio.Future, doing: str):
        """Await a write (in a thread); the top bar says so when it waits for the database."""
        done, _ = await asyncio.wait({writing}, timeout=SAVE_WAIT_NOTICE)
        if not done:
            self._show_waiting(doing)
        return await writing

    async def _write_in_thread(self, doing: str, action: Callable, *args):
        """A step's database work (a flag, the claim of a jump) in a thread on the session's
        own connection: keys wait for it (this holds the app's queue), quitting too."""
        self._saving = True
        self.session.begin_write()
        try:
            return await self._wait_for(asyncio.ensure_future(
                asyncio.to_thread(self.session.run_write, action, *args)), doing)
        finally:
            self._saving = False
            self._show_name()

    def _show_name(self) -> None:
        """The name alone in the top bar (after a wait for the database was shown)."""
        if self._waiting_shown:
            self._waiting_shown = False
            self.query_one("#annotator-name", Static).update(self._name_text())

    def _show_waiting(self, doing: str = "saving") -> None:
        if self._saving:
            text = Text(no_wrap=True)
            text.append(f"⏳ {doing} as ", style="bold yellow")
            text.append(sanitize_line(self.session.annotator), style="bold")
            # The longest form that fits beside the progress (the name's margin, the title's
            # least width and the bar's padding as QueueProgress counts them): never a cut word.
            room = self.size.width - self.query_one("#progress", QueueProgress).outer_size.width - 8
            forms = (": waiting for the database (another program holds its lock)",
                     ": waiting for the database", ": waiting (database busy)")
            reason = next((f for f in forms if text.cell_len + len(f) <= room), ": waiting")
            text.append(reason, style="yellow")
            self.query_one("#annotator-name", Static).update(text)
            self._waiting_shown = True

    def _explain_missing(self, missing: MissingAnswer) -> None:
        """Say what is missing and put the focus where the annotator can give it."""
        # One message at a time: a stack of older ones hides what is still missing.
        self.app.clear_notifications()
        if missing.part == "choice":
            # The choice keys would type into the rationale box: leave it first (at once).
            self.set_focus(self.left.view)
            message = str(missing)
        elif missing.part == "factors":
            self.query_one(FactorChecklist).focus_first_unanswered()
            message = f"{missing} Answer with a / e / b / n, then Enter."
        elif missing.part == "confidence":
            self.set_focus(self.query_one(ConfidenceSelect))
            message = "This task asks for your confidence: press 1 (unsure) to 5 (sure), then Enter."
        else:
            self.rationale.enter()
            message = "This task asks for a rationale: type it in the box, then Enter."
        self.notify(message, title="Not saved yet", severity="warning")

    async def action_back(self) -> None:
        pair = self.session.go_back()
        if pair is None:
            self.notify("There is no earlier label to go back to.")
            return
        await self.show_pair(pair)

    async def action_skip(self) -> None:
        if not self.session.can_skip():
            self.notify("This pair is labelled already: Enter keeps the label and moves on.")
            return
        if self._saving:
            return
        skipped = self.pair
        self.answer.rationale = self.rationale.value
        answer = Answer(self.answer.choice, dict(self.answer.factors), self.answer.confidence,
                        self.answer.rationale)  # put back if the skip fails
        try:  # as a save: the pair claimed ahead at once, the skip written in a thread
            await self._move_and_write(lambda wait: self.session.start_skip(answer=answer, wait=wait), "skipping")
        except Exception as exc:  # nothing was written: the pair is back on screen
            self.notify(f"Could not skip: {save_failure(exc, 'skip')}", title="Not skipped", severity="error",
                        timeout=15)
            return
        pair = self.pair
        if pair is not None and skipped is not None and pair.id == skipped.id:
            self.notify("Every other pair is labelled or taken: this skipped pair is the last one left.")
        else:
            self.notify("Skipped: it comes back at the end of your queue.", timeout=3)

    def action_flag(self) -> None:
        from annotator.tui.screens.flag import CLEAR, FlagScreen  # the dialogs load on first use

        pair = self.pair
        if pair is None:
            return

        async def done(reason: str | None) -> None:
            if reason is None or self.pair is None or self.pair.id != pair.id:
                return
            progress = self.query_one(QueueProgress)
            shown = progress.flag
            progress.flag = "" if reason == CLEAR else reason  # at once, while it is written
            try:
                if reason == CLEAR:
                    await self._write_in_thread("withdrawing the flag", self.session.clear_flag, pair)
                    self.notify("Flag withdrawn.", timeout=3)
                else:
                    await self._write_in_thread("flagging", self.session.flag, reason, pair)
                    self.notify("Flagged for the researcher.", timeout=3)
            except Exception as exc:  # nothing was written: the dialog again, with what was typed
                progress.flag = shown
                error = f"Not saved: {save_failure(exc, 'flag')}"
                self.app.push_screen(FlagScreen(pair.pair_id, current, typed=reason, error=error), done)
                return
            self._update_flag()

        current = self.session.current_flag()
        self.app.push_screen(FlagScreen(pair.pair_id, current), done)

    def action_jump(self) -> None:
        from annotator.tui.screens.jump import JumpScreen

        async def go(target: str) -> Pair | None:  # while the dialog is still up
            return await self._resolve(lambda claim: self.session.jump(target, claim=claim))

        async def done(pair: Pair | None) -> None:
            if pair is not None:
                await self.show_pair(pair)

        self.app.push_screen(JumpScreen(self.session.position_of_current(), len(self.session.history), go=go),
                             done)

    async def _resolve(self, jump: Callable) -> Pair | None:
        """The pair a jump (by id, position or a search hit) goes to: ``jump(claim=False)``
        here, when it needs no write (a pair labelled already, the fresh one); else the pair
        is claimed (a write) and rendered in a thread. None, said on screen, when the jump is refused or
        the claim cannot be written (the pair on screen stays). Called while the jump dialog
        is still up, so that the screen is laid out once, with the pair gone to."""
        try:
            try:
                pair = jump(claim=False)
            except ClaimNeeded as needed:
                wanted, targets, mode = needed.pair, self._render_targets(), self.mode

                def claim_and_render() -> Pair:  # rendered while the dialog is up: shown by a look-up
                    pair = self.session.jump_to_pair(wanted)
                    if targets is not None:
                        try:
                            self._render_into_cache(pair, self.session.order_for(pair), mode, targets)
                        except Exception:  # only a head start: rendered when shown
                            pass
                    return pair

                pair = await self._write_in_thread("claiming the pair", claim_and_render)
        except JumpRefused as refused:
            self.notify(str(refused), title="Cannot go there", severity="warning", timeout=8)
            return None
        except Exception as exc:
            self.notify(f"Could not go there: {save_failure(exc, 'claim')}", title="Cannot go there",
                        severity="error", timeout=15)
            return None
        return pair

    def action_search(self) -> None:
        from annotator.tui.screens.search import SearchScreen

        async def done(pair_id: int | None) -> None:
            pair = None if pair_id is None else await self._resolve(
                lambda claim: self.session.jump_to_pair(self.session.pair(pair_id), claim=claim))
            if pair is not None:
                await self.show_pair(pair)

        self.app.push_screen(SearchScreen(self.session), done)

    def _changes(self) -> list[int]:
        width = self.diff_width(self.left.line_width())
        return self.cache.aligned(self.pair, width, self.left.view.rich_style).changes

    def action_next_change(self) -> None:
        self._go_to_change(1)

    def action_previous_change(self) -> None:
        self._go_to_change(-1)

    def _go_to_change(self, step: int) -> None:
        if self.pair is None or self.mode != "diff" or self.settings.renderer == "stock":
            return
        changes = self._changes()
        top = round(self.left.view.scroll_y) + CHANGE_CONTEXT
        if step > 0:
            found = next((row for row in changes if row > top), None)
        else:
            found = next((row for row in reversed(changes) if row < top), None)
        if found is None:
            self.notify("No more changes that way." if changes else "The responses are the same.", timeout=2)
            return
        y = max(0, found - CHANGE_CONTEXT)
        for pane in (self.left, self.right):
            pane.view.scroll_to(y=y, animate=False, immediate=True)
        number = changes.index(found) + 1
        self.left.border_subtitle = Text(f" change {number} of {len(changes)} ")

    def action_toggle_sync(self) -> None:
        self.scroll_together = not self.scroll_together
        self._link_scrolling()
        if self.scroll_together:
            self.right.view.scroll_to(y=self.left.view.scroll_y, animate=False, immediate=True)
        self.notify(f"Panes scroll {'together' if self.scroll_together else 'apart'}.", timeout=2)

    def action_scroll_sideways(self, step: int) -> None:
        for pane in (self.left, self.right, self.source_pane):
            if pane.display:
                pane.scroll_sideways(8 * step)

    async def action_toggle_diff(self) -> None:
        self.mode = "markdown" if self.mode == "diff" else "diff"
        if self.settings.renderer == "stock":
            self.mode = "markdown"
            self.notify("The diff view needs the fast renderer (renderer = \"fast\").")
            return
        await self._show_texts()

    async def action_toggle_raw(self) -> None:
        if self.settings.renderer == "stock":
            self.notify("Raw text needs the fast renderer (renderer = \"fast\").")
            return
        self.mode = "raw" if self.mode == "markdown" else "markdown"
        await self._show_texts()

    def action_toggle_prompt(self) -> None:
        self.query_one(PromptPanel).toggle()

    async def action_toggle_source(self) -> None:
        pane = self.source_pane
        if not pane.display and self.pair is not None and not self.pair.source.strip():
            self.notify("This pair has no source document.", timeout=3)
            return
        pane.display = not pane.display
        if pane.display and self.pair is not None:
            await pane.show(self.pair, "source", "raw" if self.mode == "raw" else "markdown", None)
            pane.view.focus()
        elif self.focused is None or pane in self.focused.ancestors_with_self:
            self.left.view.focus()

    def action_scroll_both(self, lines: int) -> None:
        self.left.scroll_lines(lines)
        self.right.scroll_lines(lines)

    def action_page_both(self, pages: int) -> None:
        self.left.scroll_pages(pages)
        self.right.scroll_pages(pages)

    def action_maximize_pane(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        for pane in (self.left, self.right):
            if self.focused is not None and pane in self.focused.ancestors_with_self:
                self.maximize(pane.view)
                return
        self.maximize(self.left.view)

    def watch_maximized(self, previous, maximized) -> None:
        for pane in (previous, maximized):
            if isinstance(pane, ResponsePane):
                pane.set_maximised(pane is maximized)

    # Focus moves at once (not after the current message, as ``focus()`` does), so the key
    # typed right after finds the focus already moved.
    def action_focus_factors(self) -> None:
        self.set_focus(self.query_one(FactorChecklist))

    def action_focus_confidence(self) -> None:
        self.set_focus(self.query_one(ConfidenceSelect))

    def action_focus_rationale(self) -> None:
        self.rationale.enter()

    def on_rationale_input_leave(self) -> None:
        self.left.view.focus()

    # -- messages from the widgets ---------------------------------------------------------
    def on_confidence_select_changed(self, message: ConfidenceSelect.Changed) -> None:
        self.answer.confidence = message.value

    def on_confidence_select_leave(self) -> None:
        self.left.view.focus()

    def on_factor_checklist_changed(self, message: FactorChecklist.Changed) -> None:
        if message.answer is None:
            self.answer.factors.pop(message.factor.key, None)
        else:
            self.answer.factors[message.factor.key] = to_canonical(message.answer, self.order)

    def on_factor_checklist_highlighted(self, message: FactorChecklist.Highlighted) -> None:
        self._show_factor_hint(message.factor)

    def on_descendant_blur(self, event) -> None:
        if isinstance(event.widget, (FactorChecklist, RationaleInput)):
            self._show_factor_hint()
        if isinstance(event.widget, RationaleInput):
            self.query_one("#factor-question").display = bool(self.label_task.factors)

    def on_descendant_focus(self, event) -> None:
        if isinstance(event.widget, RationaleInput):
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append("✎ Typing the rationale", style="bold")
            text.append(": ⏎ saves the label · Esc leaves the box", style="dim")  # whole at 80 columns
            line = self.query_one("#factor-question", Static)
            line.update(text)
            line.display = True

    def _show_factor_hint(self, factor=None) -> None:
        """The line under the checklist: its keys while it has the focus, else how to enter it."""
        checklist = self.query_one(FactorChecklist)
        text = Text(no_wrap=True, overflow="ellipsis")
        if factor is not None and checklist.has_focus:
            text.append(sanitize_line(factor.name), style="bold")
            text.append(": a = A shows more · e = equal · b = B shows more · n = not applicable · "
                        "↑↓ move · i definition · Esc done", style="dim")
        else:
            required = "factors" in self.label_task.required
            text.append(f"f to answer the factor checklist ({'required' if required else 'optional'})",
                        style="dim")
        self.query_one("#factor-question", Static).update(text)

    def on_factor_checklist_definition_requested(self, message: FactorChecklist.DefinitionRequested) -> None:
        self.app.push_screen(FactorDefinitionScreen(message.factor))

    def on_factor_checklist_leave(self) -> None:
        self.left.view.focus()

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id == "rationale":
            self.answer.rationale = message.value

    async def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "rationale":
            message.stop()
            await self.action_save()
