"""The annotation app and its factory (used by the CLI, ``annotator serve`` and the tests)."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from collections.abc import Callable

from textual.app import App

from annotator.store import Store, Task, WriterBusy, retry_busy
from annotator.tui import keymap
from annotator.tui.config import Settings, claim_duration
from annotator.tui.screens.annotator_name import AnnotatorNameScreen
from annotator.tui.screens.guidelines import GuidelinesScreen
from annotator.tui.screens.help import HelpScreen
from annotator.tui.screens.pair import PairScreen
from annotator.tui.session import LabelSession
from annotator.tui.widgets.response.render import RenderCache


class AnnotatorApp(App[None]):
    CSS_PATH = "app.tcss"
    BINDINGS = keymap.APP
    TITLE = "annotator"

    def __init__(self, store: Store, task: Task, annotator: str | None, settings: Settings, *,
                 clock: Callable[[], float] = time.monotonic, origin: str = "tui"):
        super().__init__()
        self.store = store
        self.label_task = task
        self.annotator = annotator
        self.settings = settings
        self.clock = clock
        self.origin = origin
        self.cache = RenderCache(settings.code_theme)
        self.session: LabelSession | None = None

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        else:
            self.notify(f"Unknown theme {self.settings.theme!r}; using the default.", severity="warning")
        self.set_keymap(self.settings.keymap)
        self._exit_on_hangup()
        if self.annotator:
            self.start_labelling(self.annotator)
        else:
            self.push_screen(AnnotatorNameScreen(), self.start_labelling)

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
        try:
            session = retry_busy(LabelSession, self.store, self.label_task, annotator,
                                 claim_for=claim_duration(self.label_task, self.settings), origin=self.origin)
        except WriterBusy as busy:
            if self.annotator:  # named on the command line: nothing else to do here
                self.exit(return_code=3, message=str(busy))
            else:
                self.notify(str(busy), title="Name in use", severity="error", timeout=15)
                self.push_screen(AnnotatorNameScreen(), self.start_labelling)
            return
        self.annotator = annotator
        self.session = session
        self.push_screen(PairScreen(self.session, self.settings, self.cache, self.clock))
        # Everything alive now (modules, Textual's machinery) lives as long as the app:
        # keep it out of the garbage collector's full scans, which otherwise cost 100+ ms.
        self.call_after_refresh(gc.freeze)

    def on_unmount(self) -> None:
        # The caller may close the store next: let a running prefetch finish with it first.
        if self.session is not None:
            self.session.close()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(HelpScreen(self.settings.keymap))

    def action_guidelines(self) -> None:
        if isinstance(self.screen, GuidelinesScreen):
            self.screen.dismiss(None)
        else:
            self.push_screen(GuidelinesScreen(self.label_task))


def create_app(store: Store, task: Task | str, annotator: str | None = None,
               settings: Settings | None = None, **options) -> AnnotatorApp:
    """The app labelling ``task`` as ``annotator`` (asked on screen when None).

    ``options``: ``clock`` (a monotonic time source; tests freeze it) and ``origin``
    (stored on each label: "tui" or "web").
    """
    if isinstance(task, str):
        found = store.get_task(task)
        if found is None:
            raise LookupError(f"no task named {task!r} in the database")
        task = found
    return AnnotatorApp(store, task, annotator, settings or Settings(), **options)
