"""The factor checklist: for each factor, which response shows it more.

One row per factor, answers as seen on screen (``A`` = left, ``B`` = right, ``equal``,
``na``); the screen converts them to canonical order. Keyboard: up/down (or j/k) move,
``a`` / ``e`` / ``b`` / ``n`` answer, left/right step through the answers, ``i`` opens the
factor's definition, Escape leaves the list.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotator.store import Factor
from annotator.text.sanitize import sanitize_line
from annotator.tui import keymap

ANSWERS = ("A", "equal", "B", "na")
ANSWER_LABELS = {"A": " A ", "equal": " = ", "B": " B ", "na": " n/a "}
NAME_WIDTH = 22
OPTIONS_START = 2 + NAME_WIDTH + 1  # cell where the first answer begins


class FactorChecklist(ScrollView, can_focus=True):
    BINDINGS = keymap.CHECKLIST
    DEFAULT_CSS = """
    FactorChecklist {
        height: auto; max-height: 8; scrollbar-gutter: stable; overflow-x: hidden;
        /* A stable gutter otherwise adds a horizontal scrollbar's row (blank) to the height. */
        scrollbar-size-horizontal: 0;
    }
    """

    cursor = reactive(0)

    class Changed(Message):
        def __init__(self, factor: Factor, answer: str | None):
            super().__init__()
            self.factor = factor
            self.answer = answer

    class Highlighted(Message):
        def __init__(self, factor: Factor):
            super().__init__()
            self.factor = factor

    class DefinitionRequested(Message):
        def __init__(self, factor: Factor):
            super().__init__()
            self.factor = factor

    class Leave(Message):
        pass

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.factors: list[Factor] = []
        self.answers: dict[str, str] = {}  # factor key -> on-screen answer
        self.required = False

    def set_factors(self, factors: list[Factor], answers: dict[str, str], required: bool) -> None:
        self.factors = list(factors)
        self.answers = dict(answers)
        self.required = required
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.factors))
        self.cursor = 0
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self.factors))

    @property
    def current(self) -> Factor | None:
        return self.factors[self.cursor] if self.factors else None

    def watch_cursor(self, cursor: int) -> None:
        if self.factors:
            self.scroll_to_region_if_needed(cursor)
            self.post_message(self.Highlighted(self.factors[cursor]))
        self.refresh()

    def scroll_to_region_if_needed(self, row: int) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif height and row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def on_resize(self) -> None:
        # Shrunk to one row (short terminals, once it loses the focus): keep the cursor's row.
        if self.factors:
            self.scroll_to_region_if_needed(self.cursor)

    def on_focus(self) -> None:
        self.refresh()
        if self.current:
            self.post_message(self.Highlighted(self.current))

    def on_blur(self) -> None:
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.factors):
            return Strip.blank(width, base)
        factor = self.factors[index]
        answer = self.answers.get(factor.key)
        selected = index == self.cursor and self.has_focus
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("▸ " if index == self.cursor else "  ", style="bold")
        name = sanitize_line(factor.name) + ("*" if self.required else "")
        text.append(name[:NAME_WIDTH].ljust(NAME_WIDTH), style="bold" if selected else "")
        text.append(" ")
        for value in ANSWERS:
            label = ANSWER_LABELS[value]
            if answer == value:
                text.append(label, style="reverse bold green")
            else:
                text.append(label, style="dim")
            text.append(" ")
        text.append("  " + sanitize_line(factor.question), style="italic" if selected else "dim italic")
        if selected:
            text.stylize(Style(bgcolor="#2d3b55"))
        text.truncate(width, overflow="ellipsis")
        segments = list(text.render(self.app.console))
        return Strip(segments).crop_extend(0, width, base).apply_style(base)

    # -- actions ---------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        if self.factors:
            self.cursor = (self.cursor + step) % len(self.factors)

    def _set(self, answer: str | None) -> None:
        factor = self.current
        if factor is None:
            return
        if answer is None or self.answers.get(factor.key) == answer:
            self.answers.pop(factor.key, None)
            answer = None
        else:
            self.answers[factor.key] = answer
        self.post_message(self.Changed(factor, answer))
        self.refresh()

    def action_answer(self, answer: str) -> None:
        factor = self.current
        self._set(answer)
        # Answering moves on to the next unanswered factor, as a form would.
        if factor and self.answers.get(factor.key) and self.cursor + 1 < len(self.factors):
            self.cursor += 1

    def action_cycle(self, step: int) -> None:
        factor = self.current
        if factor is None:
            return
        now = self.answers.get(factor.key)
        index = ANSWERS.index(now) + step if now else (0 if step > 0 else len(ANSWERS) - 1)
        self.answers[factor.key] = ANSWERS[index % len(ANSWERS)]
        self.post_message(self.Changed(factor, self.answers[factor.key]))
        self.refresh()

    def focus_first_unanswered(self) -> None:
        """Focus the list with the cursor on the first factor still without an answer."""
        for index, factor in enumerate(self.factors):
            if factor.key not in self.answers:
                self.cursor = index
                break
        self.screen.set_focus(self)  # at once: the next key typed answers here

    def action_definition(self) -> None:
        if self.current:
            self.post_message(self.DefinitionRequested(self.current))

    def action_leave(self) -> None:
        # Drop the focus at once (a key typed right after Escape must not reach this widget),
        # then let the screen put it back on the responses.
        self.screen.set_focus(None)
        self.post_message(self.Leave())

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.factors):
            self.cursor = index
            x = event.x - OPTIONS_START
            position = 0
            for value in ANSWERS:
                span = len(ANSWER_LABELS[value]) + 1
                if position <= x < position + span:
                    self.answers[self.factors[index].key] = value
                    self.post_message(self.Changed(self.factors[index], value))
                    self.refresh()
                    break
                position += span
