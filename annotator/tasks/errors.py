"""Problems found while reading task files and pair files.

Every problem names the file, the row or line, what was expected and what was found, so a
user can fix the input without reading our code.
"""

from __future__ import annotations

from dataclasses import dataclass


def describe(value: object, limit: int = 60) -> str:
    """A short human description of a found value: its type and a clipped repr."""
    kind = {
        type(None): "null", bool: "a boolean", int: "a number", float: "a number",
        list: "a list", dict: "an object", str: "text",
    }.get(type(value), type(value).__name__)
    try:
        shown = repr(value)
    except RecursionError:  # a value nested deeper than repr can follow
        shown = "[[[..." if isinstance(value, list) else "{...}"
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return f"{kind} {shown}" if value is not None else "null"


@dataclass
class Problem:
    """One bad row (or file): where, what was expected, what was found."""

    location: str  # "pairs.jsonl line 12", "data.json item 3", "task.toml"
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.location}: expected {self.expected}, found {self.found}"


class TaskFileError(Exception):
    """The task definition itself is wrong (task.toml, a missing file, an unknown format).

    ``problem`` is the first problem found; ``problems`` all of them (task.toml is checked
    whole, so a run reports every mistake at once), one a line in the message."""

    def __init__(self, location: str, expected: str, found: str, more: list[Problem] | tuple = ()):
        self.problem = Problem(location, expected, found)
        self.problems = [self.problem, *more]
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def of(cls, problems: list[Problem]) -> TaskFileError:
        first, *rest = problems
        return cls(first.location, first.expected, first.found, rest)


class Collector:
    """Gathers the ``TaskFileError`` of several independent checks, to report them together."""

    def __init__(self):
        self.problems: list[Problem] = []

    def check(self, check, *args, default=None, **kwargs):
        """``check(*args, **kwargs)``, or ``default`` when it raised a ``TaskFileError`` (kept)."""
        try:
            return check(*args, **kwargs)
        except TaskFileError as e:
            self.problems += e.problems
            return default

    def raise_any(self) -> None:
        if self.problems:
            raise TaskFileError.of(self.problems)


class ImportRefused(Exception):
    """The import found problems and changed nothing."""

    def __init__(self, problems: list[Problem], total_problems: int | None = None):
        self.problems = problems
        self.total_problems = total_problems if total_problems is not None else len(problems)
        first = "; ".join(str(p) for p in problems[:3])
        more = self.total_problems - min(3, len(problems))
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))
