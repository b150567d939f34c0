"""``[ranking]`` in task.toml: a task whose items show k responses (3 to 5) to rank.

::

    [data]
    path = "items.jsonl"
    id = "id"
    prompt = "instruction"

    [ranking]
    responses = "responses"   # a field holding a list: each element text, or a table ...
    text = "text"             # ... whose `text` key holds the response (default "text")
    model = "model"           # ... and whose `model` key names its model (optional)

    # or one field per response (the model of each: the field's name, or `models`):
    # responses = ["gpt4", "claude", "llama"]
    # models = ["GPT-4", "Claude 2", "Llama 2"]

Each row is one item; its responses keep the file's order as their positions 1..k. An item
becomes k(k-1)/2 ordinary pairs (``ITEM#i-j``: A = response i, B = response j), linked to
the item (``annotator.store.rankings``), so every statistic reads them as pairs. A row
with fewer than 3 or more than 5 responses is refused, with every other bad row, at once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from annotator.store import Pair, Store
from annotator.store.rankings import MAX_RESPONSES, MIN_RESPONSES, RankingItem, pair_positions, ranking_pair_id

from .cleaning import Cleaner, TooDeep
from .errors import Collector, ImportRefused, Problem, TaskFileError, describe

RANKING_KEYS = ("responses", "text", "model", "models")
# What a ranked task cannot have (yet), each with the reason given when refused.
REFUSED_TABLES = {
    "labels": "existing labels are imported for pairs only",
    "judge_labels": "existing verdicts are imported for pairs only (run judges on the expanded pairs)",
    "pairs": "a generated task is made of pairs",
    "training": "practice items are pairs",
}
REFUSED_DATA_KEYS = ("response_a", "response_b", "model_a", "model_b", "gold")


def parse_ranking(raw: Any, where: str, doc: dict) -> dict[str, Any]:
    """The ``[ranking]`` table checked (with what a ranked task cannot have), every problem
    at once, as stored in the task's settings (plain data)."""
    from .taskfile import refuse_unknown_keys

    loc = f"{where} [ranking]"
    if not isinstance(raw, dict):
        raise TaskFileError(loc, "a table", describe(raw))
    found = Collector()
    found.check(refuse_unknown_keys, raw, RANKING_KEYS, loc)
    responses = raw.get("responses")
    several = isinstance(responses, list)
    if several:
        if not all(isinstance(r, str) and r for r in responses) or len(set(responses)) != len(responses):
            found.problems.append(Problem(f"{loc} responses", "distinct field names", describe(responses)))
        elif not MIN_RESPONSES <= len(responses) <= MAX_RESPONSES:
            found.problems.append(Problem(f"{loc} responses", f"{MIN_RESPONSES} to {MAX_RESPONSES} fields "
                                          "(one response each)", f"{len(responses)} fields"))
    elif not isinstance(responses, str) or not responses:
        found.problems.append(Problem(f"{loc} responses", "a field holding a list of responses, or a list of "
                                      f"{MIN_RESPONSES} to {MAX_RESPONSES} fields", describe(responses)))
    for key in ("text", "model"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key]):
            found.problems.append(Problem(f"{loc} {key}", "a key of the list's tables", describe(raw[key])))
        elif key in raw and several:
            found.problems.append(Problem(f"{loc} {key}", f"no `{key}` with one field per response "
                                          "(it reads the tables of a list field)", repr(raw[key])))
    models = raw.get("models")
    if models is not None:
        if not several:
            found.problems.append(Problem(f"{loc} models", "`models` only with one field per response "
                                          "(a list field's tables name theirs with `model`)", describe(models)))
        elif not (isinstance(models, list) and all(isinstance(m, str) for m in models)
                  and len(models) == len(responses)):
            found.problems.append(Problem(f"{loc} models", f"a list of {len(responses)} model names, one per field",
                                          describe(models)))
    for table, why in REFUSED_TABLES.items():
        if table in doc:
            found.problems.append(Problem(f"{where} [{table}]", f"no [{table}] in a ranked task ({why})",
                                          f"[{table}]"))
    data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
    for key in REFUSED_DATA_KEYS:
        if key in data:
            found.problems.append(Problem(f"{where} [data] {key}", f"no `{key}` in a ranked task (the responses "
                                          "are named in [ranking])", repr(key)))
    if data.get("rows", "pairs") != "pairs":
        found.problems.append(Problem(f"{where} [data] rows", 'rows = "pairs" in a ranked task (one row per item)',
                                      repr(data.get("rows"))))
    task = doc.get("task") if isinstance(doc.get("task"), dict) else {}
    if task.get("factors") or task.get("custom_factor"):
        found.problems.append(Problem(f"{where} [task] factors", "no factor checklist in a ranked task "
                                      "(a ranking orders whole responses)", describe(task.get("factors"))))
    found.raise_any()
    spec: dict[str, Any] = {"responses": responses}
    if several:
        spec["models"] = list(models) if models is not None else list(responses)
    else:
        spec["text"] = raw.get("text", "text")
        if "model" in raw:
            spec["model"] = raw["model"]
    return spec


def ranking_columns(spec: dict[str, Any] | None) -> list[str]:
    """The row fields a ranked task reads for its responses (for the readers' column list)."""
    if not spec:
        return []
    responses = spec["responses"]
    return list(responses) if isinstance(responses, list) else [responses]


def item_responses(row: dict, spec: dict[str, Any], location: str) -> tuple[list[str], list[str]]:
    """An item's responses and their models (``""`` where unknown), in the file's order;
    raises ``RowError`` when they are not 3 to 5 texts."""
    from .mapping import MISSING, RowError, lookup

    responses = spec["responses"]
    if isinstance(responses, list):
        texts = []
        for name in responses:
            value = lookup(row, name)
            if not isinstance(value, str):
                raise RowError(Problem(location, f"text in {name!r} (a response to rank)",
                                       "no such field" if value is MISSING else describe(value)))
            texts.append(value)
        return texts, list(spec["models"])
    value = lookup(row, responses)
    if not isinstance(value, list):
        raise RowError(Problem(location, f"a list of {MIN_RESPONSES} to {MAX_RESPONSES} responses in {responses!r}",
                               "no such field" if value is MISSING else describe(value)))
    if not MIN_RESPONSES <= len(value) <= MAX_RESPONSES:
        raise RowError(Problem(location, f"{MIN_RESPONSES} to {MAX_RESPONSES} responses to rank in {responses!r}",
                               f"{len(value)} response{'s' if len(value) != 1 else ''}"))
    texts, models = [], []
    text_key, model_key = spec.get("text", "text"), spec.get("model")
    for n, element in enumerate(value, 1):
        where = f"{responses}[{n - 1}]"
        if isinstance(element, str):
            texts.append(element)
            models.append("")
            continue
        if not isinstance(element, dict) or not isinstance(element.get(text_key), str):
            raise RowError(Problem(location, f"text, or a table with text in {text_key!r}, in {where}",
                                   describe(element)))
        texts.append(element[text_key])
        model = element.get(model_key) if model_key else None
        if model is not None and not isinstance(model, (str, int, float)):
            raise RowError(Problem(location, f"a model name in {where}.{model_key}", describe(model)))
        models.append("" if model is None else str(model))
    return texts, models


def _item_hash(item: RankingItem, reference: str) -> str:
    text = json.dumps([item.prompt, item.source, item.domain, reference, item.responses, item.models],
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def build_item(task: str, row: dict, location: str, data, spec: dict[str, Any]) -> tuple[RankingItem, list[Pair]]:
    """A row as an item and its k(k-1)/2 pairs; raises ``RowError``."""
    from .mapping import RowError, content_hash, derived_id, field_value

    f = data.fields
    prompt = field_value(row, "prompt", f["prompt"], location)
    texts, models = item_responses(row, spec, location)
    for n, text in enumerate([prompt, *texts]):
        if len(text) > data.max_response_chars:
            raise RowError(Problem(location, f"{'the prompt' if n == 0 else f'response {n}'} of at most "
                                   f"{data.max_response_chars:,} characters (raise [data] max_response_chars "
                                   "to allow more)", f"{len(text):,} characters"))
    optional = {key: (field_value(row, key, f[key], location, required=False) if key in f else None) or ""
                for key in ("domain", "source", "reference")}
    if "id" in f:
        item_id = field_value(row, "id", f["id"], location)
        if not item_id.strip():
            raise RowError(Problem(location, "a non-empty id", "an empty id"))
    else:
        item_id = derived_id(prompt, "\x00".join(texts), "")
    item = RankingItem(task=task, item_id=item_id, prompt=prompt, responses=texts, models=models,
                       domain=optional["domain"], source=optional["source"])
    item.content_hash = _item_hash(item, optional["reference"])
    metadata = {name: row[name] for name in data.metadata if name in row}
    pairs = []
    for i, j in pair_positions(item.k):
        pair = Pair(task=task, pair_id=ranking_pair_id(item_id, i, j), prompt=prompt, response_a=texts[i - 1],
                    response_b=texts[j - 1], model_a=models[i - 1], model_b=models[j - 1], domain=item.domain,
                    source=item.source, reference=optional["reference"],
                    metadata={**metadata, "ranking_item": item_id, "positions": [i, j]})
        pair.content_hash = content_hash(pair)
        pairs.append(pair)
    return item, pairs


def import_ranked(store: Store, spec, report, *, skip_bad: bool = False, update: bool = False,
                  progress: Callable[[int], None] | None = None):
    """Import a ranked task's items (``import_spec`` hands a task with ``[ranking]`` here):
    all or nothing, or the good items with ``skip_bad``; an unchanged item read again is
    kept, a changed one refused (ranked items are not updated in place)."""
    from .datafiles import read_data
    from .importer import MAX_PROBLEMS_KEPT, _too_deep, save_task_settings, with_id
    from .mapping import RowError

    task = spec.task
    ranking = task.settings.ranking
    existing = store.get_task(task.name)
    problems: list[Problem] = []
    total = 0

    def problem(p: Problem) -> None:
        nonlocal total
        total += 1
        if len(problems) < MAX_PROBLEMS_KEPT:
            problems.append(p)

    id_rule = spec.data.fields.get("id")
    id_field = id_rule.fields[0] if id_rule is not None and id_rule.simple and spec.columns() is not None else None
    cleaner = Cleaner()
    sizes: Counter[int] = Counter()
    with store.atomic():
        save_task_settings(store, task, existing, update, report)
        index = store.ranking_item_index(task.name)
        seen: dict[str, str] = {}
        new = []
        for _, location, row in read_data(spec.data.format, spec.data.paths, spec.data.options):
            report.rows += 1
            if progress and report.rows % 1000 == 0:
                progress(report.rows)
            if isinstance(row, Problem):
                problem(row)
                continue
            row_cleaner = Cleaner()
            try:
                row = row_cleaner.row(row, location)
                item, pairs = build_item(task.name, row, location, spec.data, ranking)
            except RowError as e:
                problem(with_id(e.problem, location, row, id_field))
                continue
            except (TooDeep, RecursionError) as e:
                problem(_too_deep(location, e))
                continue
            if item.item_id in seen:
                problem(Problem(location, "a unique id", f"id {item.item_id!r} again (first at {seen[item.item_id]})"))
                continue
            seen[item.item_id] = location
            cleaner.merge(row_cleaner)
            if item.item_id in index:
                if index[item.item_id] != item.content_hash:
                    problem(Problem(location, f"the same content as the imported item {item.item_id!r} (a ranked "
                                    "item cannot be updated in place: import it under a new id)", "changed content"))
                else:
                    report.pairs_unchanged += len(pairs)
                continue
            sizes[item.k] += 1
            report.empty_responses += sum(text == "" for text in item.responses)
            new.append((item, pairs))
        if progress:
            progress(report.rows)
        if report.rows == 0:
            raise TaskFileError(spec.data.path.name, "at least one item", "none (the file holds no rows)")
        if total and not skip_bad:
            raise ImportRefused(problems, total)
        store.add_ranking_items(new)
        report.pairs_new = sum(len(pairs) for _, pairs in new)
    report.problems = problems
    report.total_problems = total
    shown = ", ".join(f"{n:,} of {k} responses" for k, n in sorted(sizes.items()))
    report.notices = spec.notices + cleaner.notices() + (
        [f"ranked task: {sum(sizes.values()):,} new item{'s' if sum(sizes.values()) != 1 else ''} ({shown}), "
         f"{report.pairs_new:,} pairs (each two responses of an item)"] if sizes else [])
    return report
