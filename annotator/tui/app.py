"""The annotation app and its factory (used by the CLI, ``annotator serve`` and the tests)."""

from __future__ import annotations

import asyncio
import gc
import getpass
import os
import signal
import time
from collections.abc import Callable

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.widgets import Input

from annotator.store import Store, Task, WriterBusy, retry_busy
from annotator.tui import keymap
from annotator.tui.config import Settings, claim_duration
from annotator.tui.private_api import ANSI_SEQUENCES_KEYS, character_to_key, check_bindings, modal_binding_chain
from annotator.tui.screens.annotator_name import CHANGE, AnnotatorNameScreen, ContinueAsScreen
from annotator.tui.screens.pair import PairScreen
from annotator.tui.session import LabelSession
from annotator.tui.widgets.response.render import RenderCache


def os_account() -> str:
    """The operating-system account: the key under which the annotator name is remembered
    (never offered as a name)."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return ""


def escape_then(event: events.Key) -> str | None:
    """The key typed right after Escape, when the terminal merged the two into one event.

    tmux (``escape-time``, 500 ms by default) and other terminals send Escape followed
    quickly by a key as one Alt+key sequence; Textual reads Escape+digit as the macOS Option
    characters (Escape 1 arrives as "¡"). Returns the second key's character, or None when
    ``event`` is an ordinary key.
    """
    key, char = event.key, event.character
    if key.startswith("alt+") and char and len(char) == 1 and char.isprintable():
        return char
    if char in _OPTION_DIGITS:
        return _OPTION_DIGITS[char]
    return None


# Escape+digit as Textual reads it (its table of macOS Option characters), back to the digit.
_OPTION_DIGITS = {value: sequence[1] for sequence, value in ANSI_SEQUENCES_KEYS.items()
                  if isinstance(value, str) and len(sequence) == 2 and sequence[0] == "\x1b"
                  and sequence[1].isdigit()}


class AnnotatorApp(App[None]):
    CSS_PATH = "app.tcss"
    BINDINGS = keymap.APP
    TITLE = "annotator"
    ENABLE_COMMAND_PALETTE = False  # the footer's right end shows the help key instead

    def __init__(self, store: Store, task: Task | None, annotator: str | None, settings: Settings, *,
                 clock: Callable[[], float] = time.monotonic, origin: str = "tui",
                 remember_name: bool | None = None, remember: bool = False):
        super().__init__()
        self.store = store
        self.label_task = task
        self.annotator = annotator
        self.settings = settings
        self.clock = clock
        self.origin = origin
        # A browser session (origin "web") may be anyone: its name is never remembered.
        self.remember_name = origin == "tui" if remember_name is None else remember_name
        # A name is remembered only when asked (--remember, or the box on the name screen);
        # a name given on the command line applies to that run only.
        self._remember = remember and self.remember_name
        self._from_command_line = annotator is not None
        self._trained = False  # the task's training passed in this run (or it has none)
        self.cache = RenderCache(settings.code_theme)
        self.session: LabelSession | None = None
        self._help_screens: dict[tuple, str] = {}  # the keys screens built, by what they show

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self.notify(f"Unknown theme {self.settings.theme!r}; using the default.", severity="warning")
        self.set_keymap(self.settings.keymap)
        self._exit_on_hangup()
        if self.annotator:
            self.start_labelling(self.annotator)
            return
        remembered = self.store.remembered_annotator(os_account()) if self.remember_name else None
        if remembered:
            # Offered, never assumed: Enter continues as it, c is someone else.
            self.push_screen(ContinueAsScreen(remembered), self._continue_as)
        else:
            self.ask_name()

    def ask_name(self) -> None:
        self.push_screen(AnnotatorNameScreen(can_remember=self.remember_name), self._named)

    def _continue_as(self, answer: object) -> None:
        if answer is CHANGE:
            self.ask_name()
        else:
            self.start_labelling(answer if isinstance(answer, str) else None)

    def _named(self, answer: tuple[str, bool] | None) -> None:
        if not answer:
            self.exit()
            return
        name, self._remember = answer[0], answer[1] and self.remember_name
        self.start_labelling(name)

    def _exit_on_hangup(self) -> None:
        """A closed terminal (SIGHUP) or a polite kill (SIGTERM): the session gives its claims
        and its name back before the process ends (exit 129 / 143), as with `q`."""
        if self.is_headless:
            return
        loop = asyncio.get_running_loop()
        for sig, action in ((signal.SIGHUP, self._hang_up), (signal.SIGTERM, self._terminate)):
            try:
                loop.add_signal_handler(sig, action)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def _terminate(self) -> None:
        self.exit(return_code=128 + signal.SIGTERM)

    def _hang_up(self) -> None:
        """The terminal is gone: nothing can be drawn or restored (Textual's orderly shutdown
        then waits forever on its output thread). Give the claims and the name back, then end."""
        try:
            if self.session is not None:
                self.session.close()
        finally:
            os._exit(128 + signal.SIGHUP)

    def start_labelling(self, annotator: str | None) -> None:
        if not annotator:
            self.exit()
            return
        if self.label_task is None:  # the home screen: the tasks this person can label
            from annotator.tui.screens.tasks import TaskPickerScreen, task_choices

            self.push_screen(TaskPickerScreen(annotator, task_choices(self.store, annotator)),
                             lambda task: self._picked(annotator, task))
            return
        if not self._trained and self.label_task.settings.get("training"):
            from annotator.tasks.training import task_training  # (the task package: only when needed)

            training = task_training(self.label_task.settings)
            if training is not None and not self.store.training_score(
                    self.label_task.name, annotator, len(training.pairs), training.pass_mark).passed:
                from annotator.tui.screens.training import TrainingScreen

                def trained(passed: bool | None) -> None:
                    if passed:
                        self._trained = True
                        self.start_labelling(annotator)
                    else:
                        self.exit()

                self.push_screen(TrainingScreen(self.store, self.label_task, annotator, training), trained)
                return
        try:
            session = retry_busy(LabelSession, self.store, self.label_task, annotator,
                                 claim_for=claim_duration(self.label_task, self.settings), origin=self.origin)
        except WriterBusy as busy:
            if self._from_command_line:  # named on the command line: nothing else to do
                self.exit(return_code=3, message=str(busy))
            else:
                self.notify(str(busy), title="Name in use", severity="error", timeout=15)
                self.ask_name()
            return
        self.annotator = annotator
        if self._remember:
            self.store.remember_annotator(os_account(), annotator)
        self.session = session
        if self.label_task.settings.ranking is not None:  # a ranked task: k responses to order
            from annotator.tui.screens.ranking import RankingScreen

            self.push_screen(RankingScreen(self.session, self.settings, self.clock))
        else:
            self.push_screen(PairScreen(self.session, self.settings, self.cache, self.clock))
        # Everything alive now (modules, Textual's machinery) lives as long as the app:
        # keep it out of the garbage collector's full scans, which otherwise cost 100+ ms.
        self.call_after_refresh(gc.freeze)

    def _picked(self, annotator: str, task: Task | None) -> None:
        if task is None:
            self.exit()
            return
        self.label_task = task
        self.start_labelling(annotator)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            second = escape_then(event)
            if second is not None and not self._is_bound(event.key) and not self._typing_into_text(event):
                # Escape, then the key, each as if pressed alone (the focus may move between).
                if self.screen.maximized is not None and self.escape_to_minimize:
                    self.screen.minimize()
                elif not await check_bindings(self, "escape"):
                    await super().on_event(events.Key("escape", "\x1b"))
                name = second if second.isalnum() else character_to_key(second)
                await super().on_event(events.Key(name, second))
                return
        await super().on_event(event)

    def _is_bound(self, key: str) -> bool:
        return any(key in bindings.key_to_bindings for _, bindings in modal_binding_chain(self.screen))

    def _typing_into_text(self, event: events.Key) -> bool:
        """An Option character ("¡") typed into a text box is text, not Escape + a digit."""
        return not event.key.startswith("alt+") and isinstance(self.focused, Input)

    def on_unmount(self) -> None:
        # The caller may close the store next: let a running prefetch finish with it first.
        if self.session is not None:
            self.session.close()

    def get_key_display(self, binding: Binding) -> str:
        """A key as the footer and help show it; a screen may name it by what it does there
        now (``key_display``: the ranking screen's ``1-3`` when an item has three responses)."""
        shown = getattr(self.screen, "key_display", None)
        return (shown(binding) if callable(shown) else None) or super().get_key_display(binding)

    def action_help(self) -> None:
        from annotator.tui.screens.help import HelpScreen  # loaded on first use: a faster start

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        rows = getattr(self.screen, "help_rows", None)  # a screen with keys of its own
        rows = rows() if callable(rows) else None
        hidden = keymap.unoffered_choices(self.label_task)
        # Built once per content and kept (installed): opening it again costs no compose, no
        # styling and no layout of its table, only a paint (it was ~100 ms of UI-thread CPU).
        content = (hidden, tuple(rows) if rows is not None else None)
        name = self._help_screens.get(content)
        if name is None:
            name = self._help_screens[content] = f"help-{len(self._help_screens)}"
            self.install_screen(HelpScreen(self.settings.keymap, hidden, rows=rows), name)
        self.push_screen(name)

    def action_guidelines(self) -> None:
        from annotator.tui.screens.guidelines import GuidelinesScreen  # (Markdown widget: on first use)

        if isinstance(self.screen, GuidelinesScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(GuidelinesScreen(self.label_task))


def create_app(store: Store, task: Task | str | None, annotator: str | None = None,
               settings: Settings | None = None, **options) -> AnnotatorApp:
    """The app labelling ``task`` as ``annotator`` (asked on screen when None). Without a
    task, it opens on the home screen: the tasks this annotator can label.

    ``options``: ``clock`` (a monotonic time source; tests freeze it), ``origin``
    (stored on each label: "tui" or "web") and ``remember`` (remember ``annotator`` as the
    name to offer next time in this terminal; otherwise it applies to this run only).
    """
    if isinstance(task, str):
        task = store.require_task(task)
    return AnnotatorApp(store, task, annotator, settings or Settings(), **options)
