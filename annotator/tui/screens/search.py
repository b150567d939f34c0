"""Search the pairs you have labelled by text; Enter opens the one highlighted."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from annotator.store import SearchHit
from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap
from annotator.tui.session import LabelSession

FIELD_NAMES = {"pair_id": "id", "prompt": "prompt", "response_a": "response A", "response_b": "response B",
               "rationale": "your rationale"}
LIMIT = 50


def snippet(text: str, needle: str, width: int = 70) -> Text:
    """One line of ``text`` around the first match of ``needle``, the match highlighted."""
    flat = sanitize_line(text)
    at = flat.casefold().find(needle.casefold())
    if at < 0:
        return Text(flat[:width])
    start = max(0, at - width // 3)
    end = min(len(flat), start + width)
    out = Text("…" if start else "", style="dim")
    out.append(flat[start:at])
    out.append(flat[at:at + len(needle)], style="reverse bold")
    out.append(flat[at + len(needle):end])
    if end < len(flat):
        out.append("…", style="dim")
    return out


class SearchScreen(ModalScreen[int | None]):
    """Dismissed with the chosen pair's database id, or None."""

    BINDINGS = [*keymap.MODAL, Binding("down", "focus_results", "Results", show=False)]

    def __init__(self, session: LabelSession):
        super().__init__()
        self.session = session
        self.hits: list[tuple[int, SearchHit]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide-dialog"):
            yield Static("Search the pairs you have labelled", classes="dialog-title")
            yield Input(placeholder="text in the id, prompt, responses or your rationale", id="search-text",
                        max_length=200)
            yield Static("", id="search-count")
            yield OptionList(id="search-results")
            yield Static("type to search · ↓ then Enter opens a pair · Esc closes", classes="dialog-hint")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value.strip():
            self.query_one("#search-count", Static).update(Text("searching…", style="dim"))
        self.search(event.value)

    @work(thread=True, exclusive=True, group="search")
    def search(self, text: str) -> None:
        """Newest labels first, a batch at a time (:meth:`LabelSession.search_older`): the first
        hits show once their batch is read, at any size of the history; a newer search (a key
        typed) stops this one between batches."""
        worker = get_current_worker()
        hits: list[tuple[int, SearchHit]] = []
        end = None
        while text.strip():
            with self.session.background:
                if self.session.closed or worker.is_cancelled:
                    return
                found, end = self.session.search_older(text, end, LIMIT - len(hits))
            hits += found
            if end == 0 or len(hits) >= LIMIT:
                break
            if found and not worker.is_cancelled:  # the hits so far, while older labels are searched
                self.app.call_from_thread(self.show_hits, text, list(hits), False)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_hits, text, hits)

    def show_hits(self, text: str, hits: list[tuple[int, SearchHit]], done: bool = True) -> None:
        if not self.is_attached:
            return  # closed meanwhile (Esc, or a hit opened)
        if text != self.query_one("#search-text", Input).value:
            return  # typed on meanwhile: a newer search is under way
        highlighted = self.query_one("#search-results", OptionList).highlighted
        self.hits = hits
        results = self.query_one("#search-results", OptionList)
        results.clear_options()
        for position, hit in hits:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{position:>4}  ", style="bold")
            line.append(sanitize_line(hit.pair_id)[:24], style="cyan")
            line.append(f"  {FIELD_NAMES[hit.field]}: ", style="dim")
            line.append(snippet(hit.text, text))
            results.add_option(Option(line, id=str(hit.pair)))
        count = len(hits)
        more = f" (the newest {LIMIT})" if count == LIMIT else ""
        message = f"{count} labelled pair{'s' if count != 1 else ''} found{more}, newest first" if text.strip() else ""
        if not done:
            message += "; searching older labels…"
        self.query_one("#search-count", Static).update(message)
        if hits:
            results.highlighted = highlighted if highlighted is not None and highlighted < count else 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#search-results", OptionList)
        if self.hits and results.highlighted is not None:
            self.dismiss(self.hits[results.highlighted][1].pair)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id))

    def action_focus_results(self) -> None:
        self.query_one("#search-results", OptionList).focus()

    def action_close(self) -> None:
        self.dismiss(None)
