"""Importing a task folder into the store: all or nothing, or the good rows with a report.

``import_task_dir`` reads ``task.toml``, streams the pair file, maps and checks every row,
and writes pairs, existing human labels and existing judge verdicts in ONE transaction. Any
problem rolls the whole import back (the database is untouched) unless ``skip_bad`` is set,
in which case the good rows land and the bad ones are reported. Re-importing the same task
is idempotent; a pair whose content changed under the same id is refused unless ``update``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.store import JudgeRun, Judgment, Label, Pair, Store

from .baseline import check_baseline
from .cleaning import MAX_ROW_DEPTH, Cleaner, TooDeep
from .datafiles import read_data
from .errors import ImportRefused, Problem, TaskFileError
from .formats import read_rows
from .mapping import _MISSING, RowError, build_pair, lookup, map_choice
from .readers import guess_format, reading_limits
from .taskfile import JudgeLabelsSpec, TaskSpec, load_task_file

MAX_PROBLEMS_KEPT = 200


@dataclass
class ImportReport:
    task: str
    rows: int = 0
    pairs_new: int = 0
    pairs_unchanged: int = 0
    pairs_updated: int = 0
    votes_merged: int = 0  # rows of a pair already read (rows = "votes", or the pair again in another file)
    files: int = 1  # pair files read ([data] path as a list or a glob)
    empty_responses: int = 0
    labels_added: int = 0
    judgments_added: dict[str, int] = field(default_factory=dict)
    unscored_judgments: dict[str, int] = field(default_factory=dict)
    task_created: bool = False
    task_updated: bool = False
    problems: list[Problem] = field(default_factory=list)  # skipped rows (with skip_bad)
    total_problems: int = 0
    notices: list[str] = field(default_factory=list)  # things the researcher should know

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task, "rows": self.rows, "pairs_new": self.pairs_new,
            "pairs_unchanged": self.pairs_unchanged, "pairs_updated": self.pairs_updated,
            "votes_merged": self.votes_merged, "files": self.files,
            "empty_responses": self.empty_responses, "labels_added": self.labels_added,
            "judgments_added": self.judgments_added, "unscored_judgments": self.unscored_judgments,
            "task_created": self.task_created, "task_updated": self.task_updated,
            "skipped": self.total_problems, "problems": [str(p) for p in self.problems],
            "notices": self.notices,
        }


class _Problems:
    def __init__(self):
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS_KEPT:
            self.kept.append(problem)


def _same_task_settings(a, b) -> bool:
    keys = ("title", "guidelines", "allow_tie", "overlap", "factors", "required",
            "show_model_names", "attention_rate", "seed", "settings")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def import_task_dir(
    store: Store,
    path: str | Path,
    *,
    skip_bad: bool = False,
    update: bool = False,
    progress: Callable[[int], None] | None = None,
    allow_outside: bool = False,
) -> ImportReport:
    """Import a task folder; see the module docstring. Raises ``TaskFileError`` or ``ImportRefused``.

    ``allow_outside``: let task.toml name files outside the task folder (absolute paths,
    ``..``, symlinks leading out); off by default, so a task folder received from someone
    else cannot read ``/etc/passwd`` or an SSH key into the database (and on to a judge).
    Every file is read under the task's limits (``annotator.tasks.readers``), and every row
    is cleaned of NUL bytes, tag characters and lone surrogates (``annotator.tasks.cleaning``).
    """
    spec = load_task_file(path, allow_outside=allow_outside)
    try:
        with reading_limits(spec.data.limits):
            return import_spec(store, spec, skip_bad=skip_bad, update=update, progress=progress)
    except TaskFileError as e:
        if e.problem.location.startswith("["):  # a format option found wrong while reading
            raise TaskFileError(f"{spec.path.name} {e.problem.location}", e.problem.expected, e.problem.found) from e
        raise


def import_spec(store: Store, spec: TaskSpec, *, skip_bad: bool = False, update: bool = False,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    task = spec.task
    report = ImportReport(task=task.name, files=len(spec.data.paths))
    problems = _Problems()
    existing = store.get_task(task.name)
    if existing and existing.source_dir and existing.source_dir != task.source_dir:
        raise TaskFileError(
            f"{spec.path.name} [task] name",
            f"a task name not used by another task (the name {task.name!r} belongs to the task from {existing.source_dir})",
            repr(task.name),
        )
    if existing and not _same_task_settings(existing, task) and not update:
        raise TaskFileError(
            spec.path.name, "the same task settings as the imported task (pass --update to change them)",
            "changed settings",
        )
    label_map = spec.labels.map if spec.labels else None
    votes = spec.data.rows == "votes"
    cleaner = Cleaner()

    with store.atomic():
        if not existing or update:
            store.save_task(task, replace=True)
            report.task_created = existing is None
            report.task_updated = existing is not None and not _same_task_settings(existing, task)
        index = store.pair_index(task.name)
        seen: dict[str, tuple[str, str, int]] = {}  # pair id -> (first location, content hash, file)
        batch: list[Pair] = []
        pending_labels: list[tuple[str, str, str, str]] = []  # pair_id, annotator, choice, shown order
        inline_verdicts: dict[str, list[tuple]] = defaultdict(list)  # run name -> verdict rows

        def flush():
            if batch:
                store.insert_pairs(batch)
                batch.clear()

        for source, location, row in read_data(spec.data.format, spec.data.paths, spec.data.options):
            report.rows += 1
            if progress and report.rows % 1000 == 0:
                progress(report.rows)
            if isinstance(row, Problem):
                problems.add(row)
                continue
            row_cleaner = Cleaner()
            try:
                row = row_cleaner.row(row, location)
                pair = build_pair(task.name, row, location, spec.data, label_map)
                first = seen.get(pair.pair_id)
                # A repeated id is an error within one file; in another file of [data] path (or
                # with rows = "votes") it is the same pair again when its content is the same.
                if first is not None and not votes and first[2] == source:
                    raise RowError(Problem(location, "a unique id", f"id {pair.pair_id!r} again (first at {first[0]})"))
                if first is not None and first[1] != pair.content_hash:
                    others = "the other votes on" if votes else "the pair read before with"
                    raise RowError(Problem(location, f"the same pair content as {others} id {pair.pair_id!r} "
                                           f"(first at {first[0]})", "different content"))
                labels = _row_labels(row, location, spec)
                verdicts = _row_verdicts(row, location, spec.judge_labels)
            except RowError as e:
                problems.add(e.problem)
                continue
            except (TooDeep, RecursionError) as e:  # a value nested past what anyone needs
                problems.add(_too_deep(location, e))
                continue
            if first is None:
                seen[pair.pair_id] = (location, pair.content_hash, source)
                report.empty_responses += (pair.response_a == "") + (pair.response_b == "")
                if pair.pair_id in index:
                    _, old_hash = index[pair.pair_id]
                    if old_hash == pair.content_hash:
                        report.pairs_unchanged += 1
                    elif update:
                        store.update_pair(pair)
                        report.pairs_updated += 1
                    else:
                        problems.add(Problem(location, f"the same content as the imported pair {pair.pair_id!r} "
                                             "(pass --update to replace it)", "changed content"))
                        continue
                else:
                    batch.append(pair)
                    report.pairs_new += 1
                    if len(batch) >= 2000:
                        flush()
            else:
                report.votes_merged += 1
                if first[2] != source:  # met again in another file: a repeat within this one is a duplicate
                    seen[pair.pair_id] = (location, pair.content_hash, source)
            cleaner.merge(row_cleaner)
            pending_labels += [(pair.pair_id, *label) for label in labels]
            for run_name, *rest in verdicts:
                inline_verdicts[run_name].append((pair.pair_id, *rest))
        flush()
        if progress:
            progress(report.rows)
        if report.rows == 0:  # a wrong path or an unfinished export, not a task to create empty
            if len(spec.data.paths) > 1:
                raise TaskFileError(f"{spec.path.name} [data] path", "at least one pair",
                                    f"none (the {len(spec.data.paths)} files hold no rows)")
            raise TaskFileError(spec.data.path.name, "at least one pair", "none (the file holds no rows)")

        if problems.total and not skip_bad:
            raise ImportRefused(problems.kept, problems.total)

        ids = {pid: db_id for pid, (db_id, _) in store.pair_index(task.name).items()}
        report.labels_added = _store_labels(store, task.name, pending_labels, ids, update)
        file_verdicts: dict[str, list[tuple]] = defaultdict(list)
        for jspec in spec.judge_labels:
            if jspec.path is not None:
                for run_name, *rest in _file_verdicts(jspec, ids, problems, cleaner):
                    file_verdicts[run_name].append(tuple(rest))
        if problems.total and not skip_bad:
            raise ImportRefused(problems.kept, problems.total)
        runs = {**{name: rows for name, rows in inline_verdicts.items()}}
        for name, rows in file_verdicts.items():
            runs.setdefault(name, []).extend(rows)
        models = {j.name: j for j in spec.judge_labels if j.name}
        for name, rows in sorted(runs.items()):
            jspec = models.get(name)
            added, unscored = _store_verdicts(store, task.name, name, jspec, rows, ids)
            report.judgments_added[name] = added
            report.unscored_judgments[name] = unscored
        baseline_notices = check_baseline(store, task, spec.path.name)
    report.problems = problems.kept
    report.total_problems = problems.total
    report.notices = spec.notices + baseline_notices + cleaner.notices() + _source_notices(store, task)
    return report


def _source_notices(store: Store, task) -> list[str]:
    """Source-Output factors on a task whose pairs have no source document."""
    needing = [f.name for f in task.factors if f.needs_source]
    if not needing:
        return []
    missing = store.pairs_without_source(task.name)
    if not missing:
        return []
    total = store.pair_count(task.name)
    return [f"{', '.join(needing)} compare{'s' if len(needing) == 1 else ''} a response with the source document, "
            f"but {missing:,} of {total:,} pairs have none: annotators will answer n/a there "
            "(map a `source` field in [data], or drop these factors)"]


def _empty(raw: Any) -> bool:
    return raw is _MISSING or raw is None or (isinstance(raw, str) and not raw.strip())


def _presented_order(row: dict, column: str | None, default: str, location: str) -> str:
    if not column:
        return default
    value = lookup(row, column)
    if value not in ("AB", "BA"):
        raise RowError(Problem(location, f'an order "AB" or "BA" in {column!r}', "no such field" if value is _MISSING else repr(value)))
    return value


def _flip(choice: str) -> str:
    return {"A": "B", "B": "A"}.get(choice, choice)


def _row_labels(row: dict, location: str, spec: TaskSpec) -> list[tuple[str, str, str]]:
    """The human labels in a row: (annotator, canonical choice, shown order)."""
    labels = spec.labels
    if not labels:
        return []
    columns = list(labels.annotators.items())
    if labels.annotator_from:
        name = lookup(row, labels.annotator_from)
        if _empty(name):
            raise RowError(Problem(location, f"an annotator name in {labels.annotator_from!r}", "none"))
        if labels.accepts(str(name)):
            columns.append((str(name), labels.label))
    out = []
    for annotator, column in columns:
        raw = lookup(row, column)
        if _empty(raw):
            continue
        choice = map_choice(raw, labels.map)
        if choice is None:
            raise RowError(Problem(location, f"a label in {column!r} from the map ({', '.join(labels.map)})", repr(raw)))
        if choice == "tie" and not spec.task.allow_tie:
            raise RowError(Problem(location, f"a label in {column!r} other than tie (the task disallows ties)", repr(raw)))
        shown = _presented_order(row, labels.shown_order, "AB", location)
        out.append((annotator, _flip(choice) if shown == "BA" else choice, shown))
    return out


def _verdict(raw: Any, mapping: dict[str, str], order: str) -> tuple[str | None, str]:
    """A raw verdict in the presented frame -> (canonical verdict, unscored reason)."""
    if _empty(raw):
        return None, "empty"
    choice = map_choice(raw, mapping)
    if choice is None:
        return None, str(raw)
    return (_flip(choice) if order == "BA" else choice), ""


def _row_verdicts(row: dict, location: str, specs: list[JudgeLabelsSpec]) -> list[tuple]:
    """Inline verdicts: (run name, order, verdict, reason, p_a, raw, cost, latency) per order present."""
    out = []
    for spec in specs:
        if spec.path is not None:
            continue
        out += _verdicts_of(row, spec, location)
    return out


def _number(value: Any) -> float | None:
    """A number from a row (CSV cells are text: "0.9" counts); None when absent or not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _verdicts_of(row: dict, spec: JudgeLabelsSpec, location: str) -> list[tuple]:
    if all(lookup(row, c) is _MISSING for c in (spec.verdict, spec.verdict_ba) if c):
        return []  # a row without the verdict columns holds no verdict of this judge (a pairs-only row)
    name = spec.name
    if spec.name_from:
        value = lookup(row, spec.name_from)
        if _empty(value):
            raise RowError(Problem(location, f"a judge name in {spec.name_from!r}", "none"))
        name = str(value)
        if not spec.accepts(name):
            return []
    first = _presented_order(row, spec.order_from, spec.order, location)
    columns = [(first, spec.verdict)]
    if spec.verdict_ba:
        columns.append((_flip_order(first), spec.verdict_ba))
    out = []
    for order, column in columns:
        raw = lookup(row, column)
        if raw is _MISSING:
            continue
        verdict, reason = _verdict(raw, spec.map, order)
        p_a = None
        if spec.p_a and column == spec.verdict:
            found = lookup(row, spec.p_a)
            value = _number(found)
            if value is None and not _empty(found):
                raise RowError(Problem(location, f"a probability between 0 and 1 in {spec.p_a!r}", repr(found)))
            if value is not None:
                if not 0 <= value <= 1:
                    raise RowError(Problem(location, f"a probability between 0 and 1 in {spec.p_a!r}", repr(value)))
                p_a = 1.0 - value if order == "BA" else value
        raw_column = spec.raw_ba if column == spec.verdict_ba and spec.raw_ba else spec.raw
        raw_output = lookup(row, raw_column) if raw_column else _MISSING
        cost = _number(lookup(row, spec.cost)) if spec.cost and column == spec.verdict else None
        latency = _number(lookup(row, spec.latency_s)) if spec.latency_s and column == spec.verdict else None
        out.append((name, order, verdict, reason, p_a, "" if _empty(raw_output) else str(raw_output), cost, latency))
    return out


def _flip_order(order: str) -> str:
    return "BA" if order == "AB" else "AB"


def _too_deep(location: str, error: Exception) -> Problem:
    where = f" in {error}" if isinstance(error, TooDeep) else ""
    return Problem(location, f"lists and objects nested at most {MAX_ROW_DEPTH} levels deep",
                   f"deeper nesting{where}")


def _file_verdicts(spec: JudgeLabelsSpec, ids: dict[str, int], problems: _Problems, cleaner: Cleaner):
    fmt = spec.format or guess_format(spec.path)
    for location, row in read_rows(fmt, spec.path, {}):
        if isinstance(row, Problem):
            problems.add(row)
            continue
        try:
            row = cleaner.row(row, location)
        except (TooDeep, RecursionError) as e:
            problems.add(_too_deep(location, e))
            continue
        raw_id = lookup(row, spec.id)
        if _empty(raw_id):
            problems.add(Problem(location, f"an id in {spec.id!r}", "no such field" if raw_id is _MISSING else repr(raw_id)))
            continue
        pair_id = str(raw_id)
        if pair_id not in ids:
            problems.add(Problem(location, f"an id of an imported pair (judge file of {spec.name or spec.name_from!r})",
                                 f"id {pair_id!r}, which matches no pair"))
            continue
        try:
            verdicts = _verdicts_of(row, spec, location)
        except RowError as e:
            problems.add(e.problem)
            continue
        for name, *rest in verdicts:
            yield (name, pair_id, *rest)


def _store_labels(store: Store, task: str, pending: list[tuple[str, str, str, str]], ids: dict[str, int], update: bool) -> int:
    """New labels (or, with ``update``, changed ones as a new revision); returns the count added."""
    if not pending:
        return 0
    before = {(l.pair, l.annotator): l.choice for l in store.current_labels(task)}
    new = []
    last: dict[tuple[int, str], tuple[str, str]] = {}
    for pair_id, annotator, choice, shown in pending:
        key = (ids[pair_id], annotator)
        if last.get(key) == (choice, shown):  # the same label met again (the pair in another file)
            continue
        last[key] = (choice, shown)
        if key in before:
            if before[key] == choice or not update:
                continue
            before[key] = choice
        new.append(Label(pair=ids[pair_id], annotator=annotator, choice=choice, shown_order=shown, origin="import"))
    store.add_labels(new)
    return len(new)


def _store_verdicts(store: Store, task: str, name: str, spec: JudgeLabelsSpec | None, rows: list[tuple],
                    ids: dict[str, int]) -> tuple[int, int]:
    if not rows:
        return 0, 0
    source = str(spec.path) if spec is not None and spec.path else "pair rows"
    run = store.get_or_create_run(JudgeRun(task=task, name=name, kind="imported",
                                           model=(spec.model if spec is not None and spec.model else name),
                                           params={"imported_from": source}))
    judgments = []
    counts = Counter()
    for pair_id, order, verdict, reason, p_a, raw, cost, latency in rows:
        counts[(pair_id, order)] += 1
        judgments.append(Judgment(run=run.id, pair=ids[pair_id], order=order, sample=counts[(pair_id, order)] - 1,
                                  verdict=verdict, p_a=p_a, unscored_reason=reason, raw_output=raw,
                                  cost=cost, latency_s=latency))
    store.save_judgments(judgments)
    return len(judgments), sum(1 for j in judgments if j.verdict is None)
