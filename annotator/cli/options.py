"""The options many commands share, declared once (as sqlite-utils' ``output_options`` and
inspect_ai's ``_cli/common.py`` do): one spelling, one help text, one metavar everywhere.

A command takes them as decorators::

    @stats.command("agreement")
    @task_option()
    @json_option
    @order_rule_option
    def agreement(cli, task_name, as_json, order_rule): ...

A judge run is always chosen with ``--run RUN``. The spellings used before (``--judge``
where it meant a run, ``--disagreements``, ``--name``, a positional RUN) still parse, so
scripts keep working; ``--help`` lists them as old spellings and the docs name them.
``judge run --judge NAME`` and ``experiment guide --judge NAME`` name a judge *file* (a
configuration), not a run, and keep that spelling.

``tests/test_docs.py`` checks that every command and option is documented and that each
shared option below has the same help text in every command.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from annotator.analysis.defaults import BOTH_BAD_RULES, DEFAULT_BOTH_BAD, DEFAULT_ORDER_RULE, ORDER_RULES

F = TypeVar("F", bound=Callable[..., Any])

# -- help texts (the docs test compares every command's help with these) ---------------------

TASK_HELP = "Task name (default: the only task in the database)."
TASK_HELP_EVERY = "Task name (default: every task in the database)."
JSON_HELP = "Print the output as one JSON document instead of text."
ORDER_RULE_HELP = (
    "How a judge's verdicts in the two presented orders combine: both (a verdict counts when both "
    "orders agree; otherwise an inconsistency, counted), judgebench (+1/-1 per order, sign of the sum), "
    "first (the A-first order only), mean (mean P(A) over orders), mt-bench (a changed verdict is a tie).")
INCOMPLETE_HELP = "Also compare judge runs that did not finish (they are named and left out by default)."
EXCLUDE_HELP = ("Leave out every label of this annotator (repeatable), e.g. a spammer; the output names "
                "who was left out.")
FORCE_HELP = "Replace the output file if it exists."
SEED_HELP = "Seed of the bootstrap resampling."
GOLD_HELP = ("Gold labels to score judges against: the pairs' own (auto: when the task has some), "
             "the human majority, or none.")
GOLD_CHOICES = ("auto", "pairs", "majority", "none")
BOTH_BAD_HELP = ('How a "both bad" label (a task whose task.toml choices offer it) counts in every statistic: '
                 'tie (as MT-Bench\'s human judgments count "tie (both bad)") or exclude (left out); the output '
                 "names the rule.")

#: every help text a shared option may carry, by its option name
SHARED_HELP: dict[str, tuple[str, ...]] = {
    "--task": (TASK_HELP, TASK_HELP_EVERY),
    "--json": (JSON_HELP,),
    "--order-rule": (ORDER_RULE_HELP,),
    "--include-incomplete": (INCOMPLETE_HELP,),
    "--exclude": (EXCLUDE_HELP,),
    "--force": (FORCE_HELP,),
    "--gold": (GOLD_HELP,),
    "--both-bad": (BOTH_BAD_HELP,),
}


class AliasedOption(click.Option):
    """An option that also answers to old spellings (``aliases``): they parse as before, and
    ``--help`` shows only the current spelling, with the old ones named after the help."""

    def __init__(self, param_decls: Sequence[str], *, aliases: Sequence[str] = (), **attrs: Any) -> None:
        decls = list(param_decls)
        # the parameter name (a declaration without dashes) stays last
        names = [d for d in decls if not d.startswith("-")]
        opts = [d for d in decls if d.startswith("-")]
        self.aliases = tuple(aliases)
        if self.aliases and attrs.get("help"):
            spelled = ", ".join(self.aliases)
            attrs["help"] = f"{attrs['help']} Old spelling{'s' if len(self.aliases) > 1 else ''}: {spelled}."
        super().__init__([*opts, *self.aliases, *names], **attrs)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        opts, self.opts = self.opts, [o for o in self.opts if o not in self.aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = opts


# -- decorators ------------------------------------------------------------------------------


def task_option(name: str = "task_name", *, every: bool = False) -> Callable[[F], F]:
    """``--task NAME``; without it the only task in the database (``every``: all tasks)."""
    return click.option("--task", name, default=None, metavar="NAME",
                        help=TASK_HELP_EVERY if every else TASK_HELP)


def json_option(command: F) -> F:
    """``--json``: the command's output as one JSON document (its fields are in the docs)."""
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(command)


def order_rule_option(command: F) -> F:
    """``--order-rule``: how a judge's verdicts in the two orders make its verdict on a pair."""
    return click.option("--order-rule", "order_rule", type=click.Choice(ORDER_RULES), default=DEFAULT_ORDER_RULE,
                        show_default=True, help=ORDER_RULE_HELP)(command)


def include_incomplete_option(command: F) -> F:
    """``--include-incomplete``: compare unfinished judge runs too."""
    return click.option("--include-incomplete", "include_incomplete", is_flag=True, help=INCOMPLETE_HELP)(command)


def exclude_option(command: F) -> F:
    """``--exclude NAME`` (repeatable): leave an annotator's labels out, and say so."""
    return click.option("--exclude", "exclude", multiple=True, metavar="NAME", help=EXCLUDE_HELP)(command)


def gold_option(command: F) -> F:
    """``--gold``: the gold labels judges are scored against."""
    return click.option("--gold", "gold", type=click.Choice(GOLD_CHOICES), default="auto", show_default=True,
                        help=GOLD_HELP)(command)


def both_bad_option(command: F) -> F:
    """``--both-bad tie|exclude``: how a "both bad" label counts (``defaults.BOTH_BAD_RULES``)."""
    return click.option("--both-bad", "both_bad", type=click.Choice(BOTH_BAD_RULES), default=DEFAULT_BOTH_BAD,
                        show_default=True, help=BOTH_BAD_HELP)(command)


def seed_option(command: F) -> F:
    """``--seed``: the seed of the bootstrap (0 by default, so a report is reproducible)."""
    return click.option("--seed", "seed", type=int, default=0, show_default=True, help=SEED_HELP)(command)


def force_option(command: F) -> F:
    """``--force``: replace an existing output file."""
    return click.option("--force", "force", is_flag=True, help=FORCE_HELP)(command)


def out_option(help: str, *, required: bool = False, dir_okay: bool = False) -> Callable[[F], F]:
    """``--out FILE``: the file a command writes (what it is, and its default, in ``help``);
    ``dir_okay``: it may be a folder (``export gold --format hf`` writes one)."""
    return click.option("--out", "out", type=click.Path(dir_okay=dir_okay, path_type=Path), default=None,
                        required=required, metavar="FILE", help=help)


def output_options(out_help: str, *, required: bool = False, dir_okay: bool = False) -> Callable[[F], F]:
    """``--out FILE`` and ``--force``: every command that writes a file."""
    def decorate(command: F) -> F:
        return out_option(out_help, required=required, dir_okay=dir_okay)(force_option(command))
    return decorate


def run_option(name: str, help: str, *, multiple: bool = False, aliases: Sequence[str] = (),
               default: str | None = None, show_default: bool = False) -> Callable[[F], F]:
    """``--run RUN``: the judge run(s) a command works on; ``aliases`` are old spellings that
    still parse (``--judge``, ``--disagreements``, ``--name``)."""
    return click.option("--run", name, cls=AliasedOption, aliases=aliases, multiple=multiple, metavar="RUN",
                        default=default, show_default=show_default, help=help)


def run_argument_or_option(name: str = "run", help: str = "The judge run (by name or id).") -> Callable[[F], F]:
    """A command about one judge run: ``--run RUN``, or the run as its argument (``judge show
    RUN``, the spelling before ``--run``). One of the two is required; both must agree."""
    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            positional = kwargs.pop("run_positional")
            chosen = kwargs.get(name)
            if positional is not None and chosen is not None and positional != chosen:
                raise click.UsageError(f"two runs given: {positional!r} and --run {chosen!r}; give one")
            kwargs[name] = chosen if chosen is not None else positional
            if kwargs[name] is None:
                raise click.UsageError("choose a judge run: --run RUN (see `annotator judge list`)")
            return command(*args, **kwargs)

        wrapped = click.option("--run", name, metavar="RUN", default=None, help=help)(wrapper)
        return click.argument("run_positional", metavar="[RUN]", required=False)(wrapped)  # type: ignore[return-value]
    return decorate


CALIBRATED_HELP = ("Use each judge run's stored P(A) calibration (`annotator judge calibrate`) instead of its raw "
                   "P(A); the output names the runs and methods used.")


def calibrated_option(command: F) -> F:
    """``--calibrated``: judge runs' P(A) through their stored calibration (``judge calibrate``)."""
    return click.option("--calibrated", "calibrated", is_flag=True, help=CALIBRATED_HELP)(command)
