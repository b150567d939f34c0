"""Reading ``task.toml``: the task, where its pairs are, how their fields map, and any
existing human labels or judge verdicts that come with them.

The format is documented in ``docs/task-format.md``. Everything is checked here, before any
pair is read, so that a typo in a task file is reported with its key and not as a strange
import failure later.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from annotator.store.models import CHOICES, LABEL_CHOICES, PRIORITIES, Factor, Task, TaskSettings

from .cleaning import Cleaner
from .errors import Collector, Problem, TaskFileError, describe
from .labelmap import label_key
from .profile import PROFILE_FACTORS
from .ranking import parse_ranking, ranking_columns
from .readers import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    DEFAULT_MAX_ROWS,
    ReadLimits,
    check_inside,
    read_small_text,
)
from .training import parse_training

DEFAULT_MAX_RESPONSE_CHARS = 1_000_000
MAX_TASK_FILE_BYTES = 1024 * 1024  # task.toml
MAX_GUIDELINES_BYTES = 1024 * 1024  # guidelines.md
MAX_TASK_NAME = 100
FACTOR_KEY = re.compile(r"[\w-]{1,64}")
# Ranges of the whole-number keys: what SQLite can store, and what makes sense.
INT64 = (-(2**63), 2**63 - 1)
RANGES = {
    "overlap": (1, 1000),
    "calibration": (0, 10_000_000),
    "seed": INT64,
    "max_response_chars": (1, 1_000_000_000),  # SQLite's longest text is 1e9 bytes
    "max_file_bytes": (1, 2**62),
    "max_line_bytes": (1, 2**62),
    "max_rows": (1, 2**62),
    "index": (-(2**31), 2**31 - 1),
}
REQUIRED_PARTS = ("factors", "confidence", "rationale")
# [task] priority: the order in which unlabelled pairs are served (``annotator tasks prioritise``)
PAIR_FIELDS = ("id", "prompt", "response_a", "response_b", "model_a", "model_b", "domain", "source", "gold",
               "reference")


@dataclass
class FieldRule:
    """Where one pair field comes from in a row.

    ``fields``: one or more field names (dotted paths reach into nested objects and lists);
    several are joined with a blank line, empty parts dropped. ``value``: a fixed value.
    ``split`` / ``index``: split the found text on ``split`` and take part ``index``.
    ``pattern`` / ``group``: match the whole text against the regular expression ``pattern``
    and take its group ``group`` (a number or a name), for parts whose text may contain the
    separator (``"^(.*)_(.*)$"`` splits at the last ``_``).
    """

    fields: list[str] = field(default_factory=list)
    value: str | None = None
    split: str | None = None
    index: int = 0
    pattern: str | None = None
    group: int | str = 1

    @property
    def simple(self) -> bool:
        """One field name, no split: the value is the field's own."""
        return len(self.fields) == 1 and self.split is None and self.pattern is None

    @classmethod
    def parse(cls, raw: Any, where: str) -> FieldRule:
        if isinstance(raw, str):
            return cls(fields=[raw])
        if isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
            return cls(fields=list(raw))
        if isinstance(raw, dict):
            refuse_unknown_keys(raw, {"field", "fields", "value", "split", "index", "pattern", "group"}, where)
            names = raw.get("fields", raw.get("field", []))
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise TaskFileError(f"{where} field", "a field name or a list of field names", describe(names))
            value = raw.get("value")
            if not names and value is None:
                raise TaskFileError(where, "a `field` or a `value`", "neither")
            split, index = raw.get("split"), raw.get("index", 0)
            if split is not None and (not isinstance(split, str) or not split):
                raise TaskFileError(f"{where} split", "the text to split on", describe(split))
            if not _is_int(index):
                raise TaskFileError(f"{where} index", "a whole number (0-based; negative from the end)", describe(index))
            _in_range(index, "index", f"{where} index")
            pattern, group = _pattern_rule(raw, split, where)
            return cls(fields=names, value=None if value is None else str(value), split=split, index=index,
                       pattern=pattern, group=group)
        raise TaskFileError(where, "a field name, a list of field names, or a table", repr(raw))


ROW_KINDS = ("pairs", "votes")

KINDS = {
    "text": ("text", lambda v: isinstance(v, str)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "int": ("a whole number", lambda v: _is_int(v)),
    "number": ("a number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "texts": ("a list of text", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)),
}


def _pattern_rule(raw: dict, split: str | None, where: str) -> tuple[str | None, int | str]:
    """A field rule's ``pattern`` (a regular expression the whole text must match) and the
    ``group`` taken from it (default 1), checked: one of ``split`` and ``pattern``, a valid
    expression, a group it has."""
    pattern, group = raw.get("pattern"), raw.get("group", 1)
    if pattern is None:
        if "group" in raw:
            raise TaskFileError(f"{where} group", "a `pattern` to take the group from", "none")
        return None, 1
    if split is not None:
        raise TaskFileError(where, "one of `split` and `pattern`", "both")
    if not isinstance(pattern, str) or not pattern:
        raise TaskFileError(f"{where} pattern", "a regular expression", describe(pattern))
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise TaskFileError(f"{where} pattern", "a valid regular expression", f"{pattern!r} ({error})") from None
    if _is_int(group):
        if not 0 <= group <= compiled.groups:
            raise TaskFileError(f"{where} group", f"a group number from 0 to {compiled.groups}", describe(group))
    elif not isinstance(group, str) or group not in compiled.groupindex:
        names = ", ".join(compiled.groupindex) or "none"
        raise TaskFileError(f"{where} group", f"a group number or one of the pattern's group names ({names})",
                            describe(group))
    return pattern, group


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _typed(table: dict, key: str, kind: str, where: str, default: Any) -> Any:
    """``table[key]`` (or ``default``), refused with the key's name unless it is of ``kind``
    (and, for whole numbers with a range in ``RANGES``, inside it)."""
    value = table.get(key, default)
    expected, ok = KINDS[kind]
    if not ok(value):
        raise TaskFileError(f"{where} {key}", expected, describe(value))
    if kind == "int" and key in RANGES:
        _in_range(value, key, f"{where} {key}")
    return value


def _in_range(value: int, key: str, where: str) -> None:
    low, high = RANGES[key]
    if not low <= value <= high:
        raise TaskFileError(where, f"a whole number from {low:,} to {high:,}", describe(value))


def refuse_unknown_keys(table: dict, known: set[str] | frozenset[str] | tuple[str, ...], where: str) -> None:
    """Refuse every key of ``table`` that is not in ``known`` (all of them at once), each naming
    the nearest known key (``overlapp`` -> did you mean ``overlap``?) and listing them all."""
    names = sorted(known)
    section = where.split(" ", 1)[1] if " " in where else "task.toml"
    problems = []
    for key in table:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(Problem(f"{where} {key}", f"a known {section} key ({hint}keys: {', '.join(names)})", repr(key)))
    if problems:
        raise TaskFileError.of(problems)


def one_of(value: Any, choices: tuple[str, ...] | list[str], where: str) -> Any:
    """``value`` when it is one of ``choices``; refused otherwise, naming the nearest choice
    (``"jsonll"`` -> did you mean 'jsonl'?) as a misspelt key would be."""
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6) if isinstance(value, str) else []
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise TaskFileError(where, f"one of {', '.join(map(repr, choices))}{hint}", describe(value) if not
                        isinstance(value, str) else repr(value))


def check_name(value: str, where: str, what: str) -> str:
    """A name task.toml gives (a judge, a model, an annotator, a baseline, a domain): refused
    when it holds NUL or other control or invisible characters, which would be stored as
    they are and shown to every reader of the results."""
    from annotator.text.sanitize import sanitize_line

    if sanitize_line(value) != value or Cleaner().text(value, "") != value:
        raise TaskFileError(where, f"{what} without control or invisible characters", describe(value))
    return value


def check_task_name(name: str, where: str) -> str:
    """A task name: the key commands take (``--task``) and export files are named after."""
    from annotator.text.sanitize import sanitize_line

    problem = None
    if not name.strip():
        problem = "an empty name"
    elif len(name) > MAX_TASK_NAME:
        problem = f"{len(name):,} characters"
    elif name != name.strip():
        problem = "spaces at the start or end"
    elif sanitize_line(name) != name or Cleaner().text(name, "") != name:
        problem = "control or invisible characters"
    elif "/" in name or "\\" in name or name in (".", ".."):
        problem = "a path separator or a dot name"
    if problem:
        raise TaskFileError(f"{where} name", f"a task name of 1 to {MAX_TASK_NAME} visible characters "
                            "without / or \\", f"{problem} ({describe(name)})")
    return name


@dataclass
class DataSpec:
    path: Path
    format: str
    fields: dict[str, FieldRule] = field(metadata={"toml": False})  # the pair fields' rules (keys of their own)
    metadata: list[str] = field(default_factory=list)  # extra row fields kept as metadata
    options: dict[str, Any] = field(default_factory=dict, metadata={"toml": False})  # format-specific settings
    max_response_chars: int = DEFAULT_MAX_RESPONSE_CHARS
    # "pairs": one row per pair (a repeated id is an error); "votes": one row per vote, the
    # same pair (same id and content) may appear in many rows, each adding its labels/verdicts.
    rows: str = "pairs"
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    root: Path | None = field(default=None, metadata={"toml": False})  # files must be inside it (None: anywhere)
    # every file `path` names (a list or a glob, annotator.tasks.datafiles); `path` is the first
    paths: list[Path] = field(default_factory=list, metadata={"toml": False})

    def __post_init__(self):
        if not self.paths:
            self.paths = [self.path]

    @property
    def limits(self) -> ReadLimits:
        """What the readers may read for this task (``annotator.tasks.readers``)."""
        return ReadLimits(max_file_bytes=self.max_file_bytes, max_line_bytes=self.max_line_bytes,
                          max_field_chars=self.max_response_chars, max_rows=self.max_rows, root=self.root)


@dataclass
class LabelsSpec:
    """Existing human labels in the pair rows.

    Wide form: one column per annotator (``annotators``). Long form (one row per vote):
    ``annotator_from`` names the column holding the annotator's name and ``label`` the
    column holding the label; ``include`` / ``exclude`` filter annotator names (globs).
    ``shown_order``: a column saying in which order ("AB" or "BA") the annotator saw the
    pair; the raw label is then in that presented frame and is turned canonical.
    """

    annotators: dict[str, str]  # annotator name -> column (dotted path)
    map: dict[str, str]  # raw value (as text) -> "A" | "B" | "tie"
    annotator_from: str | None = None
    label: str | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    shown_order: str | None = None

    def accepts(self, name: str) -> bool:
        return _accepts(name, self.include, self.exclude)


def _accepts(name: str, include: list[str], exclude: list[str]) -> bool:
    from fnmatch import fnmatchcase

    if include and not any(fnmatchcase(name, g) for g in include):
        return False
    return not any(fnmatchcase(name, g) for g in exclude)


@dataclass
class JudgeLabelsSpec:
    """Existing judge verdicts, in the pair rows or in a file joined on the id."""

    name: str
    verdict: str  # column of the verdict for `order`
    map: dict[str, str]
    path: Path | None = None  # None: the verdicts are columns of the pair rows
    format: str | None = None
    id: str = "id"
    order: str = "AB"  # the order the judge saw the pair in for `verdict`
    verdict_ba: str | None = None  # column of the verdict with the pair swapped (in the swapped frame)
    p_a: str | None = None  # column with the probability that A (as presented) is better
    raw: str | None = None  # column with the judge's raw output
    raw_ba: str | None = None  # column with the raw output for `verdict_ba` (default: `raw`)
    model: str = ""
    name_from: str | None = None  # column holding the run name (one run per distinct value)
    order_from: str | None = None  # column holding the presented order ("AB" / "BA") per row
    include: list[str] = field(default_factory=list)  # with name_from: run names to keep (globs)
    exclude: list[str] = field(default_factory=list)  # with name_from: run names to leave out
    cost: str | None = None  # column with the cost of the verdict
    latency_s: str | None = None  # column with the seconds the verdict took
    scored_alone: str | None = None  # column, true where the judge scored each response alone (no order shown)

    def accepts(self, name: str) -> bool:
        return _accepts(name, self.include, self.exclude)


@dataclass
class TaskSpec:
    task: Task
    data: DataSpec
    labels: LabelsSpec | None
    judge_labels: list[JudgeLabelsSpec]
    path: Path  # the task.toml
    notices: list[str] = field(default_factory=list)  # what was cleaned in the task's own text

    def columns(self) -> frozenset[str] | None:
        """The top-level fields of a pair row the task reads (field rules, metadata, label and
        inline verdict columns); ``None`` for a named format, whose reader needs its own."""
        from .readers import GENERIC_READERS

        if self.data.format not in GENERIC_READERS:
            return None
        paths = [name for rule in self.data.fields.values() for name in rule.fields] + list(self.data.metadata)
        paths += ranking_columns(self.task.settings.ranking)
        if self.labels:
            paths += [*self.labels.annotators.values(), self.labels.annotator_from, self.labels.label,
                      self.labels.shown_order]
        for judge in self.judge_labels:
            if judge.path is None:
                paths += [judge.verdict, judge.verdict_ba, judge.p_a, judge.raw, judge.raw_ba, judge.name_from,
                          judge.order_from, judge.cost, judge.latency_s]
        return frozenset(part for p in paths if p for part in (p, p.split(".")[0]))

    def read_limits(self) -> ReadLimits:
        """What the readers may read for the pair files: the data limits, and only the columns used."""
        return replace(self.data.limits, columns=self.columns())


def _map(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise TaskFileError(where, "a table of value = \"A\" | \"B\" | \"tie\"", repr(raw))
    out: dict[str, str] = {}
    first: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and len(value) == 1 and key.isdigit() and next(iter(value)).isdigit():
            inner, choice = next(iter(value.items()))
            raise TaskFileError(f"{where}.{key}.{inner}", f'a choice (TOML reads {key}.{inner} as two keys: '
                                f'write the key in quotes: "{key}.{inner}" = {json.dumps(choice)})', repr(value))
        if value not in CHOICES:
            raise TaskFileError(f"{where}.{key}", '"A", "B" or "tie"', repr(value))
        text = label_key(key)
        if text in out and out[text] != value:
            raise TaskFileError(where, f"one key per value (keys {first[text]!r} and {key!r} are both {text})",
                                f"{out[text]!r} and {value!r}")
        out[text] = value
        first.setdefault(text, key)
    return out


def _factors(raw_keys: Any, custom: Any, where: str, cleaner: Cleaner) -> list[Factor]:
    if not isinstance(raw_keys, list) or not all(isinstance(k, str) for k in raw_keys):
        raise TaskFileError(f"{where} [task] factors", "a list of factor keys", repr(raw_keys))
    custom = custom or []
    if not isinstance(custom, list) or not all(isinstance(c, dict) for c in custom):
        raise TaskFileError(f"{where} [task] custom_factor", "[[task.custom_factor]] tables", describe(custom))
    by_key = {}
    for i, c in enumerate(custom):
        loc = f"{where} [[task.custom_factor]] #{i + 1}"
        refuse_unknown_keys(c, CUSTOM_FACTOR_KEYS, loc)
        missing = [k for k in ("key", "name", "definition", "question") if not c.get(k)]
        if missing:
            raise TaskFileError(loc, "keys key, name, definition and question", f"{', '.join(missing)} missing")
        for k in ("key", "name", "definition", "question"):
            _typed(c, k, "text", loc, "")
        _typed(c, "needs_source", "bool", loc, False)
        text = {k: cleaner.text(c[k], f"{loc} {k}") for k in ("name", "definition", "question")}
        if not FACTOR_KEY.fullmatch(c["key"]):
            raise TaskFileError(f"{loc} key", "a factor key of 1 to 64 letters, digits, _ or -", describe(c["key"]))
        by_key[c["key"]] = Factor(key=c["key"], name=text["name"], definition=text["definition"],
                                  question=text["question"], custom=True,
                                  needs_source=bool(c.get("needs_source", False)))
    factors = []
    for key in raw_keys:
        if key in by_key:
            factors.append(by_key.pop(key))
        elif key in PROFILE_FACTORS:
            factors.append(PROFILE_FACTORS[key])
        else:
            close = difflib.get_close_matches(key, [*PROFILE_FACTORS, *by_key], n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TaskFileError(f"{where} [task] factors", f"a PROFILE factor key ({', '.join(PROFILE_FACTORS)}) "
                                f"or a custom factor's key{hint}", repr(key))
    factors.extend(by_key.values())  # custom factors not listed explicitly still apply
    if len({f.key for f in factors}) != len(factors):
        raise TaskFileError(f"{where} [task] factors", "each factor once", "a repeated key")
    return factors


def toml_keys(cls: type, leave_out: tuple[str, ...] = ()) -> frozenset[str]:
    """The task.toml keys of a table: the fields of the dataclass it is read into, except
    those marked ``metadata={"toml": False}`` (worked out, not written) and ``leave_out``."""
    return frozenset(f.name for f in fields(cls) if f.metadata.get("toml", True) and f.name not in leave_out)


# [task]: Task's own fields and TaskSettings' (read by the queue, the leaderboard, routing)
SETTINGS_KEYS = tuple(f.name for f in fields(TaskSettings) if f.metadata.get("toml", True))
TASK_KEYS = toml_keys(Task, ("source_dir", "settings", "created_at")) | set(SETTINGS_KEYS) | {"custom_factor"}
CUSTOM_FACTOR_KEYS = toml_keys(Factor, ("level1", "level2", "custom"))
DATA_KEYS = toml_keys(DataSpec)
TABLES = ("task", "data", "labels", "judge_labels", "pairs", "training", "ranking")


def load_task_file(path: str | Path, *, allow_outside: bool = False) -> TaskSpec:
    """Parse and check a task folder's ``task.toml`` (``path`` is the folder or the file).

    Every path the file names (pairs, guidelines, verdict files) must stay inside the task
    folder, symlinks followed, unless ``allow_outside``.
    """
    path, doc = _read_toml(Path(path))
    where = path.name
    root = path.parent.resolve()
    within = None if allow_outside else root
    cleaner = Cleaner()
    found = Collector()  # every table is checked, and every problem reported at once
    found.check(_refuse_unknown_tables, doc, where)
    task = found.check(_task, doc.get("task"), where, root, within, cleaner)
    data, defaults = found.check(_data, doc.get("data"), where, root, within, doc,
                                 default=(None, _format_defaults(doc.get("data"))))
    labels = found.check(_labels, doc.get("labels"), defaults.get("labels"), where)
    judge_labels = found.check(_judge_labels, doc.get("judge_labels"), defaults.get("judge_labels"), root, where,
                               within)
    training = found.check(parse_training, doc["training"], where) if "training" in doc else None
    ranking = found.check(parse_ranking, doc["ranking"], where, doc) if "ranking" in doc else None
    found.raise_any()
    if training is not None:
        task.settings = dataclasses.replace(task.settings, training=training)
    if ranking is not None:
        task.settings = dataclasses.replace(task.settings, ranking=ranking)
    spec = TaskSpec(task=task, data=data, labels=labels, judge_labels=judge_labels, path=path,
                    notices=[f"task.toml: {n}" for n in cleaner.notices()])
    if data is not None and data.options.get("pairs") is not None:
        data.options["pairs"].notices = spec.notices  # the builder's notices join the import's
    return spec


def _read_toml(path: Path) -> tuple[Path, dict]:
    """The task.toml of a folder (or the file itself) and its parsed document."""
    if path.is_dir():
        path = path / "task.toml"
    if not path.exists() and not path.is_symlink():
        raise TaskFileError(str(path), "a task.toml file", "no such file")
    if path.suffix != ".toml":
        raise TaskFileError(str(path), "a task folder (or its task.toml)", f"the file {path.name}")
    where = path.name
    text = read_small_text(path, MAX_TASK_FILE_BYTES, where)
    try:
        return path, tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TaskFileError(where, "valid TOML", str(e)) from e
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise TaskFileError(where, "valid TOML", "arrays or tables nested more deeply than can be read") from None


def _format_defaults(d: Any) -> dict:
    """A named format's defaults when ``[data]`` names one (to check the other tables when
    ``[data]`` itself has a problem); ``{}`` otherwise."""
    from .formats import NAMED_FORMATS, format_module

    fmt = d.get("format") if isinstance(d, dict) else None
    return getattr(format_module(fmt), "DEFAULTS", {}) if isinstance(fmt, str) and fmt in NAMED_FORMATS else {}


def _refuse_unknown_tables(doc: dict, where: str) -> None:
    unknown_tables = [k for k in doc if k not in TABLES]
    if unknown_tables:
        close = difflib.get_close_matches(unknown_tables[0], TABLES, n=1, cutoff=0.6)
        raise TaskFileError(f"{where} [{unknown_tables[0]}]",
                            (f"a known table: did you mean [{close[0]}]? " if close else "")
                            + "(tables [task], [data], [labels], [[judge_labels]], [pairs], [training] and "
                            "[ranking])", repr(unknown_tables[0]))


def _task(t: Any, where: str, root: Path, within: Path | None, cleaner: Cleaner) -> Task:
    """The ``[task]`` table as a Task, every key checked (every problem reported at once)."""
    if not isinstance(t, dict) or not t.get("name"):
        raise TaskFileError(where, "a [task] table with a `name`", "none")
    tw = f"{where} [task]"
    found = Collector()
    found.check(refuse_unknown_keys, t, TASK_KEYS, tw)
    name = found.check(lambda: check_task_name(_typed(t, "name", "text", tw, ""), tw))
    values = {
        "title": found.check(lambda: cleaner.text(_typed(t, "title", "text", tw, name or ""), f"{tw} title")),
        "guidelines": found.check(_guidelines, t, tw, root, within, cleaner),
        "allow_tie": found.check(_typed, t, "allow_tie", "bool", tw, True),
        "overlap": found.check(_typed, t, "overlap", "int", tw, 1),
        "factors": found.check(_factors, t.get("factors", []), t.get("custom_factor"), where, cleaner),
        "required": found.check(_required, t, tw),
        "show_model_names": found.check(_typed, t, "show_model_names", "bool", tw, False),
        "attention_rate": found.check(_share, t, "attention_rate", tw, 0.0),
        "seed": found.check(_typed, t, "seed", "int", tw, 0),
        "settings": _task_settings(t, tw, found),
    }
    found.check(_ties_agree, t, values["settings"], tw)
    found.raise_any()
    if values["settings"].choices:  # `choices` says whether ties are offered
        values["allow_tie"] = "tie" in values["settings"].choices
    return Task(name=name, source_dir=str(root), **values)


def _required(t: dict, tw: str) -> list[str]:
    required = _typed(t, "required", "texts", tw, [])
    bad = [r for r in required if r not in REQUIRED_PARTS]
    if bad:
        raise TaskFileError(f"{tw} required", f"some of {REQUIRED_PARTS}", repr(bad))
    return list(required)


def _share(t: dict, key: str, tw: str, default: float) -> float:
    value = float(_typed(t, key, "number", tw, default))
    if not 0 <= value <= 1:
        raise TaskFileError(f"{tw} {key}", "a share between 0 and 1", repr(value))
    return value


def _guidelines(t: dict, tw: str, root: Path, within: Path | None, cleaner: Cleaner) -> str:
    if not _typed(t, "guidelines", "text", tw, ""):
        return ""
    gpath = resolve_path(root, t["guidelines"], f"{tw} guidelines", within)
    if gpath.is_dir():
        raise TaskFileError(f"{tw} guidelines", "an existing Markdown file", f"a folder {t['guidelines']!r}")
    if not gpath.exists():
        raise TaskFileError(f"{tw} guidelines", "an existing Markdown file", f"no file {t['guidelines']!r}")
    return cleaner.text(read_small_text(gpath, MAX_GUIDELINES_BYTES, f"{tw} guidelines {t['guidelines']!r}"),
                        f"{tw} guidelines")


def _task_settings(t: dict, tw: str, found: Collector) -> TaskSettings:
    """The ``[task]`` keys kept in ``Task.settings``, checked (problems go to ``found``); a key
    not written stays unset."""
    where = tw.rsplit(" ", 1)[0]
    found.check(_calibration, t, tw)
    found.check(_claim_minutes, t, tw)
    baseline = found.check(_baseline, t, tw, default="")
    found.check(lambda: one_of(t.get("priority", "none"), PRIORITIES, f"{tw} priority"))
    found.check(_share, t, "uniform_share", tw, 0.2)
    found.check(_routing, t.get("routing", {}), where)
    choices = found.check(_choices, t, tw)
    given = {k: t[k] for k in SETTINGS_KEYS if k in t and k not in ("baseline", "choices")}
    if choices:
        given["choices"] = choices
    try:
        return TaskSettings(**given, **({"baseline": baseline} if baseline else {}))
    except TypeError:  # a key of the wrong kind, reported above
        return TaskSettings()


def _choices(t: dict, tw: str) -> list[str] | None:
    """``choices``: what annotators may answer, some of ``LABEL_CHOICES`` with "A" and "B";
    every value that is not one is reported (with the nearest one), all at once."""
    if "choices" not in t:
        return None
    raw = _typed(t, "choices", "texts", tw, [])
    problems = []
    for i, value in enumerate(raw):
        try:
            one_of(value, LABEL_CHOICES, f"{tw} choices[{i}]")
        except TaskFileError as error:
            problems.extend(error.problems)
    if problems:
        raise TaskFileError.of(problems)
    if len(set(raw)) != len(raw):
        raise TaskFileError(f"{tw} choices", "each choice once", repr(raw))
    if "A" not in raw or "B" not in raw:
        raise TaskFileError(f"{tw} choices", 'a list with "A" and "B" (and any of "tie", "both_bad")', repr(raw))
    return [c for c in LABEL_CHOICES if c in raw]


def _ties_agree(t: dict, settings: TaskSettings, tw: str) -> None:
    """``allow_tie`` and ``choices`` given together must say the same about ties."""
    if settings.choices and isinstance(t.get("allow_tie"), bool) and t["allow_tie"] != ("tie" in settings.choices):
        raise TaskFileError(f"{tw} allow_tie", f'{"true" if "tie" in settings.choices else "false"}, as `choices` '
                            f'{"lists" if "tie" in settings.choices else "leaves out"} "tie" (or leave allow_tie out)',
                            repr(t["allow_tie"]))


def _calibration(t: dict, tw: str) -> None:
    if _typed(t, "calibration", "int", tw, 0) < 0:
        raise TaskFileError(f"{tw} calibration", "a whole number of pairs, 0 or more", repr(t["calibration"]))


def _claim_minutes(t: dict, tw: str) -> None:
    claim_minutes = _typed(t, "claim_minutes", "number", tw, 10)
    if not 0 < claim_minutes <= 24 * 60:
        raise TaskFileError(f"{tw} claim_minutes", "minutes above 0, at most 1440 (a day)", repr(claim_minutes))


def _baseline(t: dict, tw: str) -> str:
    baseline = check_name(_typed(t, "baseline", "text", tw, ""), f"{tw} baseline", "a model name")
    if "baseline" in t and not baseline.strip():
        raise TaskFileError(f"{tw} baseline", "the name of the baseline model (as in the pairs' model_a / model_b)",
                            "an empty name")
    return baseline


def _routing(routing: Any, where: str) -> None:
    if not isinstance(routing, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                for k, v in routing.items()):
        raise TaskFileError(f"{where} [task.routing]", 'a table of domain = "judge name or judge file" '
                            '("*" for every other domain)', describe(routing))
    for domain, judge in routing.items():
        check_name(domain, f"{where} [task.routing]", "a domain")
        check_name(judge, f"{where} [task.routing] {domain}", "a judge name or file")


def _data(d: Any, where: str, root: Path, within: Path | None, doc: dict) -> tuple[DataSpec, dict]:
    """The ``[data]`` table (over the named format's defaults) as a DataSpec, and those defaults."""
    if not isinstance(d, dict) or not d.get("path"):
        raise TaskFileError(where, "a [data] table with a `path`", "none")
    from .datafiles import common_format, data_paths
    from .formats import format_module, known_formats
    from .hub import HUB_KEYS, hub_files, is_hub

    hub = is_hub(d["path"])  # hf://ORG/NAME: a Hugging Face dataset from the local cache (tasks/hub.py)
    data_files = hub_files(d, where) if hub else data_paths(root, d["path"], f"{where} [data] path",
                                                           lambda raw, here: resolve_path(root, raw, here, within))
    try:
        fmt = d.get("format") or common_format(data_files)
    except TaskFileError as e:
        raise TaskFileError(f"{where} [data] format", e.problem.expected, e.problem.found) from e
    one_of(fmt, known_formats(), f"{where} [data] format")
    module = format_module(fmt)
    defaults = getattr(module, "DEFAULTS", {}) if module else {}
    pairs = None
    if "pairs" in doc:  # a task built from generators' outputs (annotator.tasks.generators)
        from .generators import DEFAULTS as PAIRS_DEFAULTS, parse_pairs

        if module:
            raise TaskFileError(f"{where} [pairs]", "a generic [data] format (json, jsonl, csv, tsv, parquet)", repr(fmt))
        task_table = doc.get("task")
        baseline = task_table.get("baseline", "") if isinstance(task_table, dict) else ""
        pairs, defaults = parse_pairs(doc["pairs"], baseline if isinstance(baseline, str) else "", where), \
            PAIRS_DEFAULTS
    merged = {**defaults.get("data", {}), **d}
    fields_ = {key: FieldRule.parse(merged[key], f"{where} [data] {key}") for key in PAIR_FIELDS if key in merged}
    for key in ("prompt",) if "ranking" in doc else ("prompt", "response_a", "response_b"):
        if key not in fields_:
            raise TaskFileError(f"{where} [data]", f"a `{key}` field mapping", "none")
    allowed = set(getattr(module, "OPTIONS", ())) if module else {"delimiter"}
    hub_keys = HUB_KEYS if hub else set()
    refuse_unknown_keys(merged, set(PAIR_FIELDS) | DATA_KEYS | allowed | hub_keys, f"{where} [data]")
    options = _format_options({k: v for k, v in merged.items() if k not in hub_keys}, module, where, root, within)
    if pairs is not None:
        options["pairs"] = pairs
    limits = {key: _typed(merged, key, "int", f"{where} [data]", default)
              for key, default in (("max_response_chars", DEFAULT_MAX_RESPONSE_CHARS),
                                   ("max_file_bytes", DEFAULT_MAX_FILE_BYTES),
                                   ("max_line_bytes", DEFAULT_MAX_LINE_BYTES), ("max_rows", DEFAULT_MAX_ROWS))}
    rows_kind = one_of(merged.get("rows", "pairs"), ROW_KINDS, f"{where} [data] rows")
    metadata = merged.get("metadata", [])
    if isinstance(metadata, str):
        metadata = [metadata]
    if not isinstance(metadata, list) or not all(isinstance(m, str) for m in metadata):
        raise TaskFileError(f"{where} [data] metadata", "a list of field names", repr(metadata))
    data = DataSpec(path=data_files[0], paths=data_files, format=fmt, fields=fields_, metadata=list(metadata),
                    options=options, rows=rows_kind, root=None if hub else within, **limits)
    return data, defaults


def _format_options(merged: dict, module: Any, where: str, root: Path, within: Path | None) -> dict[str, Any]:
    """The format's own ``[data]`` keys (paths resolved, the delimiter checked)."""
    options = {k: v for k, v in merged.items() if k not in set(PAIR_FIELDS) | DATA_KEYS}
    for key in getattr(module, "PATH_OPTIONS", ()) if module else ():
        if isinstance(options.get(key), str):
            options[key] = resolve_path(root, options[key], f"{where} [data] {key}", within)
        elif key in options and options[key] is not False:
            raise TaskFileError(f"{where} [data] {key}", "a path (or false)", describe(options[key]))
    delimiter = options.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise TaskFileError(f"{where} [data] delimiter", "one character", describe(delimiter))
    return options


def resolve_path(root: Path, raw: Any, where: str = "path", within: Path | None = None) -> Path:
    """A path from task.toml, relative to the task folder (absolute as given, ``~`` expanded),
    with symlinks followed; refused when it leaves ``within`` (the task folder, unless the
    user allowed paths outside) or loops."""
    return check_inside(root / Path(str(raw)).expanduser(), within, where, shown=str(raw))


LABELS_KEYS = toml_keys(LabelsSpec)
JUDGE_KEYS = toml_keys(JudgeLabelsSpec)


def _globs(raw: Any, where: str) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return list(raw)
    raise TaskFileError(where, "a list of names (globs allowed)", repr(raw))


def _labels(raw: Any, default: Any, where: str) -> LabelsSpec | None:
    if raw is None and not default:
        return None
    if raw is not None and not isinstance(raw, dict):
        raise TaskFileError(f"{where} [labels]", "a table", repr(raw))
    lab = {**(default or {}), **(raw or {})}
    loc = f"{where} [labels]"
    refuse_unknown_keys(lab, LABELS_KEYS, loc)
    annotators = lab.get("annotators", {})
    if isinstance(annotators, list) and all(isinstance(a, str) for a in annotators):
        annotators = {a: a for a in annotators}
    if not isinstance(annotators, dict) or not all(isinstance(v, str) for v in annotators.values()):
        raise TaskFileError(f"{loc} annotators", "a list of label columns (or a table name = column)", repr(annotators))
    for key in ("annotator_from", "label", "shown_order"):
        _typed(lab, key, "text", loc, "")
    annotator_from = lab.get("annotator_from")
    if annotator_from is not None and not lab.get("label"):
        raise TaskFileError(loc, "a `label` column next to `annotator_from`", "none")
    if not annotators and annotator_from is None:
        raise TaskFileError(f"{loc} annotators", "a list of label columns (or `annotator_from` and `label`)", "none")
    for name in annotators:
        check_name(str(name), f"{loc} annotators", "an annotator name")
    return LabelsSpec(
        annotators={str(k): v for k, v in annotators.items()}, map=_map(lab.get("map"), f"{loc} map"),
        annotator_from=annotator_from, label=lab.get("label"),
        include=_globs(lab.get("include"), f"{loc} include"), exclude=_globs(lab.get("exclude"), f"{loc} exclude"),
        shown_order=lab.get("shown_order"),
    )


def _judge_labels(raw: Any, default: Any, root: Path, where: str, within: Path | None) -> list[JudgeLabelsSpec]:
    tables = raw if raw is not None else (default or [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise TaskFileError(f"{where} [[judge_labels]]", "an array of tables", repr(tables))
    if raw is not None and default:
        # A task may override a named format's judge table of the same name key by key.
        by_name = {t.get("name"): t for t in default}
        tables = [{**by_name.get(t.get("name"), {}), **t} for t in tables]
    out = []
    for i, j in enumerate(tables):
        loc = f"{where} [[judge_labels]] #{i + 1}"
        refuse_unknown_keys(j, JUDGE_KEYS, loc)
        for key in ("verdict", "map"):
            if key not in j:
                raise TaskFileError(loc, f"a `{key}` key", "none")
        if not j.get("name") and not j.get("name_from"):
            raise TaskFileError(loc, "a `name` (or `name_from`, a column holding the judge's name)", "none")
        for key in ("name", "verdict", "path", "format", "id", "verdict_ba", "p_a", "raw", "raw_ba", "model", "name_from",
                    "order_from", "cost", "latency_s", "scored_alone"):
            _typed(j, key, "text", loc, "")
        order = one_of(j.get("order", "AB"), ("AB", "BA", "unknown"), f"{loc} order")
        if order == "unknown" and (j.get("verdict_ba") or j.get("order_from")):
            raise TaskFileError(f"{loc} order", 'a known order ("AB" or "BA") with verdict_ba or order_from',
                                '"unknown"')
        name = check_name(str(j.get("name") or ""), f"{loc} name", "a judge name")
        check_name(str(j.get("model") or ""), f"{loc} model", "a model name")
        out.append(JudgeLabelsSpec(
            name=name, verdict=str(j["verdict"]), map=_map(j["map"], f"{loc} map"),
            path=resolve_path(root, j["path"], f"{loc} path", within) if j.get("path") else None,
            format=j.get("format"), id=str(j.get("id", "id")), order=order,
            verdict_ba=j.get("verdict_ba"), p_a=j.get("p_a"), raw=j.get("raw"), raw_ba=j.get("raw_ba"),
            model=str(j.get("model", name)), name_from=j.get("name_from"), order_from=j.get("order_from"),
            include=_globs(j.get("include"), f"{loc} include"), exclude=_globs(j.get("exclude"), f"{loc} exclude"),
            cost=j.get("cost"), latency_s=j.get("latency_s"), scored_alone=j.get("scored_alone"),
        ))
    names = [j.name for j in out if j.name]
    if len(set(names)) != len(names):
        raise TaskFileError(f"{where} [[judge_labels]] name", "a different name for each judge table", "a repeated name")
    return out
