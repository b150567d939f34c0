"""Progress: pairs done of those assigned, time on this pair, median time, time left."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from annotator.text.sanitize import sanitize_line


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


COMPACT_BELOW = 110  # terminal width under which the compact form is shown


ID_WIDTH = 24  # a longer pair id is cut (with an ellipsis)


def short_id(pair_id: str, width: int = ID_WIDTH) -> str:
    flat = sanitize_line(pair_id)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


class QueueProgress(Widget):
    """``pair p17 · 17 / 40 ▰▰▱▱▱  0:42 on this pair · median 1:05 · ≈ 30:20 left``

    The position is the pair's place in the annotator's sequence (1 = the first pair they
    labelled); the bar shows the share labelled. ``⚑`` marks a pair the annotator flagged.
    """

    DEFAULT_CSS = """
    QueueProgress { width: auto; height: 1; }
    """

    # Repainted when set; laid out again (the whole screen's arrangement) only when the
    # text's width changes (``_resize_if_needed``), which the fixed widths below make rare.
    done = reactive(0)
    assigned = reactive(0)
    median = reactive[float | None](None)
    revisiting = reactive(False)
    position = reactive[int | None](None)
    pair_id = reactive("")
    flag = reactive("")  # the reason of the annotator's flag on this pair

    def __init__(self, clock: Callable[[], float], *, id: str | None = None):
        super().__init__(id=id)
        self.clock = clock
        self.started = clock()
        self._laid_out_width = -1

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self._resize_if_needed()
        self.refresh()

    def restart_timer(self) -> None:
        self.started = self.clock()
        self._resize_if_needed()
        self.refresh()

    def set_values(self, **values) -> None:
        """Set several of the fields at once; one layout at most, only when the width changes."""
        for name, value in values.items():
            setattr(self, name, value)
        self._resize_if_needed()

    def _resize_if_needed(self) -> None:
        if self.is_mounted and self.render().cell_len != self._laid_out_width:
            self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:
        self._laid_out_width = self.render().cell_len
        return self._laid_out_width

    @property
    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    def render(self) -> Text:
        bar_width = 12
        share = self.done / self.assigned if self.assigned else 0.0
        filled = round(bar_width * share)
        left = None
        if self.median is not None:
            left = self.median * max(0, self.assigned - self.done)
        wide = self.app.size.width >= COMPACT_BELOW
        text = self._text(wide, bar_width, filled, left)
        if wide and text.cell_len > self._room():
            # A long name (or its save confirmation) beside it: the short form, never a cut
            # ("0:01 on this pai" at 120 columns).
            text = self._text(False, bar_width, filled, left)
            wide = False
        return text

    def _room(self) -> int:
        """Columns the top bar leaves this widget: the width less the name (as shown now),
        its margin, the task title's least width and the bar's padding."""
        names = self.screen.query("#annotator-name")
        name = cell_len(str(names.first().render())) if names else 0
        return self.app.size.width - name - 2 - 4 - 2

    def _text(self, wide: bool, bar_width: int, filled: int, left: float | None) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        narrow = not wide
        if self.flag:
            text.append("⚑ " if narrow else "⚑ flagged ", style="bold yellow")
        # Fixed widths (the id right-aligned in its field, the position in as many digits as
        # the total): the bar keeps its width from pair to pair, so the screen is not laid
        # out again on every save.
        id_width = 12 if narrow else ID_WIDTH
        if self.pair_id:
            text.append(short_id(self.pair_id, id_width).rjust(id_width), style="bold cyan")
            text.append(" · ")
        where = self.position if self.position is not None else self.done
        where = f"{where:>{len(str(self.assigned))}}"
        if narrow:
            # Narrow terminal: no bar and short words, so the task title keeps some room.
            text.append(f"{where}/{self.assigned}", style="bold")
            if self.revisiting:
                text.append(" editing", style="bold yellow")
            text.append(f" · {format_duration(self.elapsed)}")
            text.append(f" · ≈ {format_duration(left)} left", style="dim")
            return text
        text.append(f"{where} / {self.assigned} ", style="bold")
        text.append("▰" * filled, style="green")
        text.append("▱" * (bar_width - filled), style="dim")
        if self.revisiting:
            text.append("  editing a saved label", style="bold yellow")
        text.append(f"  {format_duration(self.elapsed)} on this pair")
        text.append(f" · median {format_duration(self.median)}", style="dim")
        text.append(f" · ≈ {format_duration(left)} left", style="dim")
        return text
