"""The ``annotator`` command line. One module per command area; each registers here."""

from __future__ import annotations

import click

from annotator import __version__

from .context import AnnotatorGroup, CliContext, skip_final_collection_at_exit

# command -> its short help in `annotator --help` (the first sentence of its docstring)
COMMANDS = {
    "adjudicate": "Settle disputed pairs: a queue of the pairs with the lowest agreement, each with "
                  "every annotator's choice, factor answers and rationale; pick the final label (1 / "
                  "2 / 3), a reason (r) and a note (n), then save (s).",
    "annotate": "Label pairs in the terminal: 1 = A better, 2 = B better, 3 = tie, Enter saves.",
    "annotators": "Annotator accounts for the browser mode (annotator serve), and each annotator's "
                  "work.",
    "backup": "Copy the database to OUT while annotators keep working (SQLite's online backup API), "
              "then verify the copy with PRAGMA integrity_check.",
    "claims": "Pairs reserved for annotators (served, not yet labelled) and who is labelling now.",
    "dashboard": "Watch a task as labels arrive: progress per annotator with pace and ETA, "
                 "Krippendorff's alpha with its interval, the pairs in dispute, and each judge "
                 "against the humans.",
    "doctor": "Check the database: integrity, foreign keys and schema version.",
    "experiment": "Experiments on judges: guidance and few-shot examples, against a baseline, on "
                  "held-out pairs.",
    "export": "Export gold sets, soft labels, every label and every judgment, as files.",
    "generate": "PROFILE's generation setting: MODEL writes a response at each score level for every "
                "instruction of the task (one call per instruction, through the judge runner: cached, "
                "priced, resumable); the responses become pairs of a new task, and the levels the "
                "generator's preference (`stats factors --task TASK-gen`, generation setting).",
    "factors": "Extract PROFILE factor values (which response shows a factor more) for a task's "
               "pairs.",
    "init": "Create the database (or bring an old one to the latest schema).",
    "judge": "Run LLM judges and offline baselines over a task's pairs, and inspect the runs.",
    "merge": "Bring the labels of pack files back (idempotent: merging twice adds nothing).",
    "pack": "Write a small database with an annotator's next pairs for offline work.",
    "progress": "Coverage (pairs with 0, 1, ..., k annotators) and each annotator's counts.",
    "report": "Write the task's report: progress, agreement, each annotator, the judges against the "
              "humans, position and length bias, calibration, the leaderboard, PROFILE factors and "
              "the most disputed pairs, with plain-words explanations.",
    "serve": "Serve the annotation app in a browser, behind a sign-in with access codes.",
    "stats": "Statistics over a task's labels: agreement, annotator quality, disputed pairs.",
    "tasks": "Add task folders (task.toml + pairs) and look at the tasks in the database.",
}


class LazyGroup(AnnotatorGroup):
    """The top group: its commands are registered by their areas' modules, imported on first
    use; its help lists them from ``COMMANDS`` without importing any."""

    _loaded = False
    _registering = False  # some areas registering (get_command): the commands so far, no others loaded

    @property
    def commands(self) -> dict[str, click.Command]:
        if not self._loaded and not self._registering:
            self._loaded = True
            _register_areas(self)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    _next_arg: str | None = None  # the argument after the command's name, while resolving it

    def resolve_command(self, ctx: click.Context, args: list[str]):
        self._next_arg = args[1] if len(args) > 1 else None
        try:
            return super().resolve_command(ctx, args)
        finally:
            self._next_arg = None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its areas alone imported (``COMMAND_AREAS``; for a group several areas
        add to, the sub-command's areas alone, ``SUBCOMMAND_AREAS``): `annotator judge run`
        does not import the statistics, exports and screens, nor `stats agreement` the
        judges' and leaderboard's modules (every area for a command not named there)."""
        areas = SUBCOMMAND_AREAS.get(cmd_name, {}).get(self._next_arg or "", COMMAND_AREAS.get(cmd_name))
        if self._loaded or areas is None:
            return super().get_command(ctx, cmd_name)
        self._registering = True
        try:
            for area in areas:
                _register_area(self, area)
        finally:
            self._registering = False
        return self._commands.get(cmd_name)

    def main(self, *args, **kwargs):
        """Every command: the interpreter's final garbage collection is skipped at exit
        (``skip_final_collection_at_exit``)."""
        skip_final_collection_at_exit()
        return super().main(*args, **kwargs)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self._loaded:
            return super().format_commands(ctx, formatter)
        from click.utils import make_default_short_help

        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, make_default_short_help(text, limit)) for name, text in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite database file (default: $ANNOTATOR_DB, else db/annotator.db).",
)
@click.version_option(__version__, prog_name="annotator")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Label A/B pairs of LLM responses and measure how far LLM judges are from people."""
    if db is not None and not db.strip():
        raise click.BadParameter("needs a file path, not an empty string", param_hint="--db")
    ctx.obj = CliContext(db_option=db)


# Each area registers its commands, imported when a command runs (or is listed by name):
# `annotator --help` and `--version` import none of them, nor the store (sqlite-utils and
# numpy) they use, so they answer at once. The top-level help lists the commands from
# COMMANDS (tests/cli/test_lazy_help.py checks it against the commands' own help).
AREAS = ("annotate", "annotators", "tasks", "priority", "judge", "jury", "calibrate", "stats", "scores", "dataset",
         "mentions", "factors", "generate", "experiment", "export", "progress", "report", "dashboard", "adjudicate",
         "copies", "admin", "claims")


# The areas that make each command, registered in this order (the others register into the
# group the first one makes); a command not named here has every area registered.
# tests/cli/test_lazy_help.py checks each against the command as every area makes it.
COMMAND_AREAS = {
    "annotate": ("annotate",), "serve": ("annotate",), "annotators": ("annotators",), "tasks": ("tasks", "priority"),
    "judge": ("judge", "jury", "calibrate"), "generate": ("generate",), "experiment": ("experiment",),
    "export": ("export",), "progress": ("progress",), "report": ("report",), "dashboard": ("dashboard",),
    "adjudicate": ("adjudicate",), "pack": ("copies",), "merge": ("copies",), "backup": ("copies",),
    "init": ("admin",), "doctor": ("admin",), "claims": ("claims",),
    "stats": ("stats", "scores", "dataset", "mentions", "factors", "judges_report", "leaderboard"),
    "factors": ("stats", "factors"),  # `factors` also adds `stats factors`: the stats group first
}

# Groups several areas add to: each sub-command's own areas (`annotator stats agreement` imports
# the agreement's module alone; `stats --help`, or a name not here, registers the whole group).
SUBCOMMAND_AREAS = {
    "stats": {"agreement": ("stats",), "scores": ("stats", "scores"), "dataset": ("stats", "dataset"),
              "mentions": ("stats", "mentions"), "factors": ("stats", "factors"),
              "judges": ("stats", "judges_report"), "leaderboard": ("stats", "leaderboard")},
    "judge": {**dict.fromkeys(("run", "list", "show", "rename", "delete", "judges"), ("judge",)),
              "jury": ("judge", "jury"), "route": ("judge", "jury"), "calibrate": ("judge", "calibrate")},
    "tasks": {**dict.fromkeys(("add", "list", "show"), ("tasks",)), "prioritise": ("tasks", "priority")},
}


def _register_area(group: click.Group, area: str) -> None:
    import importlib

    module = importlib.import_module(f"{__name__}.{area}")
    if hasattr(module, "register"):  # judges_report and leaderboard add to `stats` as they are imported
        module.register(group)  # registering twice changes nothing


def _register_areas(group: click.Group) -> None:
    import importlib

    for module in ("judges_report", "leaderboard"):  # each adds its commands to `stats` as it is imported
        importlib.import_module(f"{__name__}.{module}")
    for area in AREAS:
        _register_area(group, area)
