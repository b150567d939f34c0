"""The annotation app and its factory (used by the CLI, ``annotator serve`` and the tests)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from textual.app import App

from annotator.store import Store, Task
from annotator.tui import keymap
from annotator.tui.config import Settings
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
        if self.annotator:
            self.start_labelling(self.annotator)
        else:
            self.push_screen(AnnotatorNameScreen(), self.start_labelling)

    def start_labelling(self, annotator: str | None) -> None:
        if not annotator:
            self.exit()
            return
        self.annotator = annotator
        self.session = LabelSession(self.store, self.label_task, annotator,
                                    claim_for=self.settings.claim_for, origin=self.origin)
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
