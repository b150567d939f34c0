"""Importing a task folder into the store: all or nothing, or the good rows with a report.

``import_task_dir`` reads ``task.toml``, streams the pair file, maps and checks every row,
and writes pairs, existing human labels and existing judge verdicts in ONE transaction. Any
problem rolls the whole import back (the database is untouched) unless ``skip_bad`` is set,
in which case the good rows land and the bad ones are reported. Re-importing the same task
is idempotent; a pair whose content changed under the same id is refused unless ``update``.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotator.store import JudgeRun, Pair, Store

from .baseline import check_baseline
from .cleaning import MAX_ROW_DEPTH, Cleaner, TooDeep, is_clean, size_over
from .datafiles import read_data
from .errors import ImportRefused, Problem, TaskFileError
from .formats import read_rows
from .mapping import (
    MISSING,
    PairBuilder,
    RowError,
    RowLabel,
    RowVerdict,
    is_empty,
    lookup,
    row_labels,
    row_verdicts,
    verdicts_of,
)
from .readers import current_limits, guess_format, reading_limits
from .taskfile import JudgeLabelsSpec, TaskSpec, load_task_file

MAX_PROBLEMS_KEPT = 200
# New pairs are written once this many are waiting, or this much text: memory holds one batch.
# A small batch is faster too: its text (a few hundred kilobytes of typical pairs) is still in
# the processor's cache when SQLite copies it (2,000 pairs of 2,000-character responses, 9 MB,
# cost 5 % more CPU in all).
FLUSH_PAIRS = 100
FLUSH_CHARS = 32 * 1024 * 1024


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


def save_task_settings(store, task, existing, update: bool, report) -> None:
    """Store the task's settings when it is new or ``--update`` asks (inside the import's
    transaction), and say in the report whether it was created or its settings changed."""
    if not existing or update:
        store.save_task(task, replace=True)
        report.task_created = existing is None
        report.task_updated = existing is not None and not _same_task_settings(existing, task)


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
        with reading_limits(spec.read_limits()):
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
    if task.settings.ranking is not None:  # a ranked task: items of 3 to 5 responses (tasks/ranking.py)
        from .ranking import import_ranked

        return import_ranked(store, spec, report, skip_bad=skip_bad, update=update, progress=progress)
    label_map = spec.labels.map if spec.labels else None
    id_rule = spec.data.fields.get("id")
    # a generic file's own id field, shown beside the row's number in its problems
    id_field = id_rule.fields[0] if id_rule is not None and id_rule.simple and spec.columns() is not None else None
    votes = spec.data.rows == "votes"
    cleaner = Cleaner()
    build = PairBuilder(spec.data, label_map)

    with store.atomic(), _cycle_collection_paused():
        save_task_settings(store, task, existing, update, report)
        index = store.pair_index(task.name)
        seen: dict[str, tuple[str, str, int]] = {}  # pair id -> (first location, content hash, file)
        pending_labels: list[tuple[str, RowLabel]] = []  # (pair id, label)
        verdicts_by_run: dict[str, list[tuple[str, RowVerdict]]] = defaultdict(list)  # run name -> (pair id, verdict)

        def new_pairs() -> Iterator[list[Pair]]:
            """Every row read, checked and counted; the new pairs in batches bounded by their
            number and their text (memory holds one batch)."""
            batch: list[Pair] = []
            held = 0  # characters of text in `batch`
            for source, location, row in read_data(spec.data.format, spec.data.paths, spec.data.options):
                report.rows += 1
                if progress and report.rows % 1000 == 0:
                    progress(report.rows)
                if isinstance(row, Problem):
                    problems.add(row)
                    continue
                row_cleaner = None if is_clean(row) else Cleaner()  # nearly every row: nothing to clean
                try:
                    if row_cleaner is not None:
                        row = row_cleaner.row(row, location)
                    pair = build(task.name, row, location)
                    first = seen.get(pair.pair_id)
                    # A repeated id is an error within one file; in another file of [data] path (or
                    # with rows = "votes") it is the same pair again when its content is the same.
                    if first is not None and not votes and first[2] == source:
                        raise RowError(Problem(location, "a unique id", f"id {pair.pair_id!r} again (first at {first[0]})"))
                    if first is not None and first[1] != pair.content_hash:
                        others = "the other votes on" if votes else "the pair read before with"
                        raise RowError(Problem(location, f"the same pair content as {others} id {pair.pair_id!r} "
                                               f"(first at {first[0]})", "different content"))
                    labels = row_labels(row, location, spec.labels, task.allow_tie) if spec.labels else ()
                    verdicts = row_verdicts(row, location, spec.judge_labels) if spec.judge_labels else ()
                except RowError as e:
                    problems.add(with_id(e.problem, location, row, id_field))
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
                        held += len(pair.prompt) + len(pair.response_a) + len(pair.response_b) + len(pair.source)
                        if pair.metadata:
                            held += size_over(pair.metadata, FLUSH_CHARS)
                        if len(batch) >= FLUSH_PAIRS or held > FLUSH_CHARS:
                            yield batch
                            batch, held = [], 0
                else:
                    report.votes_merged += 1
                    if first[2] != source:  # met again in another file: a repeat within this one is a duplicate
                        seen[pair.pair_id] = (location, pair.content_hash, source)
                if row_cleaner is not None:
                    cleaner.merge(row_cleaner)
                if labels:
                    pending_labels.extend((pair.pair_id, label) for label in labels)
                for verdict in verdicts:
                    verdicts_by_run[verdict.run].append((pair.pair_id, verdict))
            if batch:
                yield batch

        # one insert for the whole file: the new pairs' queue rows are written once, at its end
        store.insert_pair_batches(new_pairs())
        if progress:
            progress(report.rows)
        if report.rows == 0:  # a wrong path or an unfinished export, not a task to create empty
            if len(spec.data.paths) > 1:
                raise TaskFileError(f"{spec.path.name} [data] path", "at least one pair",
                                    f"none (the {len(spec.data.paths)} files hold no rows)")
            raise TaskFileError(spec.data.path.name, "at least one pair", "none (the file holds no rows)")

        if problems.total and not skip_bad:
            raise ImportRefused(problems.kept, problems.total)

        # the database ids of the task's pairs, read only when labels or verdicts need them
        needed = pending_labels or verdicts_by_run or any(j.path is not None for j in spec.judge_labels)
        ids = store.pair_ids(task.name) if needed else {}
        report.labels_added = _store_labels(store, task.name, pending_labels, ids, update)
        for jspec in spec.judge_labels:
            if jspec.path is not None:
                for pair_id, verdict in _file_verdicts(jspec, ids, problems, cleaner):
                    verdicts_by_run[verdict.run].append((pair_id, verdict))
        if problems.total and not skip_bad:
            raise ImportRefused(problems.kept, problems.total)
        models = {j.name: j for j in spec.judge_labels if j.name}
        for name, rows in sorted(verdicts_by_run.items()):
            jspec = models.get(name)
            added, unscored = _store_verdicts(store, task.name, name, jspec, rows, ids)
            report.judgments_added[name] = added
            report.unscored_judgments[name] = unscored
        baseline_notices = check_baseline(store, task, spec.path.name)
    report.problems = problems.kept
    report.total_problems = problems.total
    report.notices = spec.notices + baseline_notices + cleaner.notices() + _source_notices(store, task)
    return report


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while rows are read and stored: a row makes no
    reference cycle, and the collector would otherwise walk the objects of the pairs held for
    the next batch, and the ids met so far, again and again (about 4 % of an import's CPU).
    Reference counting frees every row as usual; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def with_id(problem: Problem, location: str, row: dict, id_field: str | None) -> Problem:
    """A row's problem, its location followed by the row's own id when the file has one
    (``testset-v1.json item 158 (idx 157)``: a 0-based id and the 1-based item number then
    both point at the same row)."""
    value = row.get(id_field) if id_field and isinstance(row, dict) else None
    if problem.location != location or value is None or isinstance(value, (dict, list)):
        return problem
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    if shown in problem.expected or shown in problem.found:  # the problem names the id already
        return problem
    return Problem(f"{location} ({id_field} {shown})", problem.expected, problem.found)


def _too_deep(location: str, error: Exception) -> Problem:
    where = f" in {error}" if isinstance(error, TooDeep) else ""
    return Problem(location, f"lists and objects nested at most {MAX_ROW_DEPTH} levels deep",
                   f"deeper nesting{where}")


def _file_verdicts(spec: JudgeLabelsSpec, ids: dict[str, int], problems: _Problems,
                   cleaner: Cleaner) -> Iterator[tuple[str, RowVerdict]]:
    """(pair id, verdict) for every verdict of a judge table's own file; bad rows go to ``problems``."""
    fmt = spec.format or guess_format(spec.path)
    with reading_limits(replace(current_limits(), columns=None)):  # a judge file's own columns
        yield from _judge_file_rows(spec, fmt, ids, problems, cleaner)


def _judge_file_rows(spec: JudgeLabelsSpec, fmt: str, ids: dict[str, int], problems: _Problems,
                     cleaner: Cleaner) -> Iterator[tuple[str, RowVerdict]]:
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
        if is_empty(raw_id):
            problems.add(Problem(location, f"an id in {spec.id!r}", "no such field" if raw_id is MISSING else repr(raw_id)))
            continue
        pair_id = str(raw_id)
        if pair_id not in ids:
            problems.add(Problem(location, f"an id of an imported pair (judge file of {spec.name or spec.name_from!r})",
                                 f"id {pair_id!r}, which matches no pair"))
            continue
        try:
            verdicts = verdicts_of(row, spec, location)
        except RowError as e:
            problems.add(with_id(e.problem, location, row, spec.id))
            continue
        for verdict in verdicts:
            yield pair_id, verdict


def _store_labels(store: Store, task: str, pending: list[tuple[str, RowLabel]], ids: dict[str, int], update: bool) -> int:
    """New labels (or, with ``update``, changed ones as a new revision); returns the count added."""
    if not pending:
        return 0
    before = {(lab.pair, lab.annotator): lab.choice for lab in store.current_labels(task)}
    new = []
    last: dict[tuple[int, str], tuple[str, str]] = {}
    for pair_id, label in pending:
        key = (ids[pair_id], label.annotator)
        if last.get(key) == (label.choice, label.shown_order):  # the same label met again (the pair in another file)
            continue
        last[key] = (label.choice, label.shown_order)
        if key in before:
            if before[key] == label.choice or not update:
                continue
            before[key] = label.choice
        new.append(label.label(ids[pair_id]))
    store.add_labels(new)
    return len(new)


def _store_verdicts(store: Store, task: str, name: str, spec: JudgeLabelsSpec | None,
                    rows: list[tuple[str, RowVerdict]], ids: dict[str, int]) -> tuple[int, int]:
    if not rows:
        return 0, 0
    source = str(spec.path) if spec is not None and spec.path else "pair rows"
    params = {"imported_from": source}
    if all(verdict.scored_alone for _, verdict in rows):
        params["presentation"] = "scored alone"  # each response scored on its own: no order was shown
    run = store.get_or_create_run(JudgeRun(task=task, name=name, kind="imported",
                                           model=(spec.model if spec is not None and spec.model else name),
                                           params=params))
    judgments = []
    counts = Counter()
    for pair_id, verdict in rows:
        counts[(pair_id, verdict.order)] += 1
        judgments.append(verdict.judgment(run.id, ids[pair_id], sample=counts[(pair_id, verdict.order)] - 1))
    store.save_judgments(judgments)
    return len(judgments), sum(1 for j in judgments if j.verdict is None)
