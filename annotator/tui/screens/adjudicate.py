"""The adjudication screen: settle disputed pairs, one decision at a time.

Left, the queue (lowest agreement first; on request also the pairs where a judge and the
humans disagree); right, the highlighted pair with every annotator's vote, factor answers
and rationale, and the judges' verdicts. The adjudicator picks the final label (1 / 2 / 3),
a reason from the taxonomy (r cycles: guidelines gap, ambiguous pair, annotator error, both
acceptable) and may write a note (n); s, or Enter in the note, saves. An adjudication is
stored as its own row (``Store.add_adjudication``): annotators' labels are never touched.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from annotator.analysis.adjudication import QueueItem
from annotator.store import ADJUDICATION_REASONS, Adjudication, Store, Task
from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap
from annotator.tui.widgets.adjudicate.decision_bar import REASON_KEYS, DecisionBar
from annotator.tui.widgets.adjudicate.pair_detail import PairDetail
from annotator.tui.widgets.adjudicate.queue_table import QueueTable

COMPACT_FOOTER_BELOW = 120  # columns: below, the footer's keys are packed (every key fits at 80)
_PAIR_ACTIONS = {"final", "next_reason", "focus_note", "save", "scroll_detail", "toggle_diff"}


class AdjudicateScreen(Screen):
    BINDINGS = keymap.ADJUDICATE
    AUTO_FOCUS = "#adj-queue"

    def __init__(self, store: Store, task: Task, adjudicator: str, items: list[QueueItem],
                 settled: dict[int, Adjudication]):
        super().__init__()
        self.store = store
        self.label_task = task
        self.adjudicator = adjudicator
        self.items = items
        self.by_pair = {item.pair: item for item in items}
        self.settled = {p: a for p, a in settled.items() if p in self.by_pair}
        self.current: QueueItem | None = None
        self.choice: str | None = None
        self.reason: str | None = None

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(id="adj-topbar")
        if not self.items:
            yield Static(Text("Nothing to adjudicate: no pair of this task is disputed (see `annotator adjudicate "
                              "--help` for --all-disagreements and --judges).", style="bold"), id="adj-empty")
        else:
            with Horizontal(id="adj-main"):
                yield QueueTable(id="adj-queue")
                yield PairDetail(id="adj-detail")
            yield DecisionBar(id="adj-decision")
        yield Footer(compact=self.app.size.width < COMPACT_FOOTER_BELOW)

    def on_resize(self) -> None:
        self.query_one(Footer).compact = self.app.size.width < COMPACT_FOOTER_BELOW

    def on_mount(self) -> None:
        self._update_topbar()
        if not self.items:
            return
        table = self.query_one(QueueTable)
        table.load(self.items, self.settled)
        first_open = next((i for i, item in enumerate(self.items) if item.pair not in self.settled), 0)
        table.move_cursor(row=first_open)
        self._select(self.items[first_open])

    def _update_topbar(self) -> None:
        """The adjudicator's name first and the count, then the task's title: on a narrow
        screen the line folds at a word (never cutting the name or the title)."""
        title = Text(sanitize_line(self.adjudicator), style="bold reverse")
        title.append(f" · {len(self.settled):,} of {len(self.items):,} settled · ", style="dim")
        title.append(f"Adjudication: {sanitize_line(self.label_task.title or self.label_task.name)}", style="bold")
        self.query_one("#adj-topbar", Static).update(title)

    # -- what is on screen -----------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            item = self.by_pair.get(int(event.row_key.value))
            if item is not None and item is not self.current:
                self._select(item)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_save()  # Enter on the queue saves, as in the annotation app

    def _select(self, item: QueueItem) -> None:
        self.current = item
        pair = self.store.get_pair(item.pair)
        labels = self.store.pair_labels(item.pair)
        judgments = self.store.pair_judgments(self.label_task.name, item.pair)
        history = self.store.adjudication_history(item.pair)
        self.query_one(PairDetail).show(self.label_task, pair, labels, judgments, history)
        previous = history[-1] if history else None
        self.choice = previous.choice if previous else None
        self.reason = previous.reason if previous else None
        self.query_one(DecisionBar).clear_note()
        self._show_decision()

    def _show_decision(self) -> None:
        self.query_one(DecisionBar).show(self.choice, self.reason, self.label_task.label_choices)

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in _PAIR_ACTIONS and self.current is None:
            return False
        if action == "final" and parameters and parameters[0] == "both_bad" and not self.label_task.allows_both_bad:
            return False  # not in the footer of a task that does not offer it
        return True

    def action_final(self, choice: str) -> None:
        if choice not in self.label_task.label_choices:
            self.notify(f"Task {sanitize_line(self.label_task.name)} does not offer "
                        f"{'a tie' if choice == 'tie' else 'both bad'}.", severity="warning")
            return
        self.choice = choice
        self._show_decision()

    def action_next_reason(self) -> None:
        i = REASON_KEYS.index(self.reason) + 1 if self.reason in REASON_KEYS else 0
        self.reason = REASON_KEYS[i % len(REASON_KEYS)]
        self._show_decision()

    def action_toggle_diff(self) -> None:
        """The responses as `annotate`'s diff view shows them: aligned row by row, changes marked."""
        self.query_one(PairDetail).toggle_diff()

    def action_focus_note(self) -> None:
        self.query_one("#adj-note", Input).focus()

    def action_leave_note(self) -> None:
        self.query_one(QueueTable).focus()

    def action_scroll_detail(self, direction: int) -> None:
        detail = self.query_one(PairDetail)
        detail.scroll_relative(y=direction * max(1, detail.size.height - 2), animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "adj-note":
            self.action_save()

    def action_save(self) -> None:
        item = self.current
        if item is None:
            return
        missing = [what for what, value in (("a final label (1 / 2 / 3)", self.choice), ("a reason (r)", self.reason))
                   if value is None]
        if missing:
            self.notify(f"Not saved: choose {' and '.join(missing)} first.", severity="warning")
            return
        seen = [label.id for label in self.store.pair_labels(item.pair)]
        saved = self.store.add_adjudication(Adjudication(
            pair=item.pair, adjudicator=self.adjudicator, choice=self.choice, reason=self.reason,
            note=self.query_one(DecisionBar).note, queue=item.queue, label_ids=seen))
        self.settled[item.pair] = saved
        table = self.query_one(QueueTable)
        table.mark_settled(saved)
        self._update_topbar()
        self.notify(f"Saved {sanitize_line(item.pair_id)}: {saved.choice} ({ADJUDICATION_REASONS[saved.reason]}).")
        table.focus()
        self._advance(table)

    def _advance(self, table: QueueTable) -> None:
        """To the next pair not yet settled (after this one, then from the top)."""
        here = self.items.index(self.current)
        order = self.items[here + 1:] + self.items[:here]
        following = next((item for item in order if item.pair not in self.settled), None)
        if following is None:
            self.notify("Every pair in the queue is settled.", title="Done")
            self._select(self.current)  # show the adjudication just saved
            return
        table.move_cursor(row=self.items.index(following))
        self._select(following)
