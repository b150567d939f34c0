"""FairEval (i-Eval/FairEval): Vicuna-benchmark questions, answers of several models, and the
aggregated human verdicts of one model pair.

``path`` is the FairEval folder, holding ``question.jsonl`` ({question_id, text, category}),
``answer/answer_<model>.jsonl`` ({answer_id, model_id, question_id, text, metadata}) and a
verdict file with one label a line, line i for question_id i (``review_gpt35_vicuna-13b_human.txt``:
CHATGPT / VICUNA13B / TIE). Options:

* ``models``: the two models whose answer files (``answer/answer_<model>.jsonl``) make A and
  B, in that order (default ``["gpt35", "vicuna-13b"]``);
* ``verdicts``: the verdict file (default: ``review_<A>_<B>_human.txt`` in the
  folder or its ``review/`` folder; ``false`` for none). Its values go through ``[labels] map``
  (default CHATGPT = A, VICUNA13B = B, TIE = tie: swap it if you swap the models) and are
  stored as the labels of the annotator ``faireval-human``.

Rows: ``id`` (the question id), ``question``, ``category``, ``answer_a``, ``answer_b``,
``model_a``, ``model_b`` (the answers' model_id), ``human`` (the raw verdict).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Problem, TaskFileError, describe
from ..readers import open_binary, read_jsonl

DEFAULTS = {
    "data": {"id": "id", "prompt": "question", "response_a": "answer_a", "response_b": "answer_b",
             "model_a": "model_a", "model_b": "model_b", "domain": "category"},
    "labels": {"annotators": {"faireval-human": "human"},
               "map": {"CHATGPT": "A", "VICUNA13B": "B", "TIE": "tie"}},
}
OPTIONS = ("models", "verdicts")
PATH_OPTIONS = ("verdicts",)


def _answers(path: Path) -> tuple[dict[int, dict], list[tuple[str, Problem]]]:
    answers, problems = {}, []
    for location, row in read_jsonl(path):
        if isinstance(row, Problem):
            problems.append((location, row))
            continue
        qid = row.get("question_id")
        if not isinstance(qid, int) or isinstance(qid, bool):
            problems.append((location, Problem(location, "a whole-number question_id", describe(qid))))
        elif qid in answers:
            problems.append((location, Problem(location, "one answer per question_id", f"question_id {qid} again")))
        else:
            answers[qid] = row
    return answers, problems


def _verdict_lines(path: Path) -> list[str | Problem]:
    out: list[str | Problem] = []
    with open_binary(path) as fh:  # line by line (within max_line_bytes and max_rows), never the file whole
        for raw in (piece for line in fh for piece in line.splitlines()):  # as bytes.splitlines: \r too
            try:
                out.append(raw.decode("utf-8").strip())
            except UnicodeDecodeError:
                out.append(Problem(f"{path.name} line {len(out) + 1}", "UTF-8 text", "bytes that are not UTF-8"))
    return out


def read(path: Path, options: dict):
    if not path.is_dir():
        raise TaskFileError(str(path), "the FairEval folder (question.jsonl, answer/, the verdict file)", "not a folder")
    models = options.get("models", ["gpt35", "vicuna-13b"])
    if not (isinstance(models, list) and len(models) == 2 and all(isinstance(m, str) for m in models)):
        raise TaskFileError("[data] models", 'two model names, A then B (e.g. ["gpt35", "vicuna-13b"])', repr(models))
    model_a, model_b = models
    files = {}
    known = sorted(p.name[len("answer_"):-len(".jsonl")] for p in (path / "answer").glob("answer_*.jsonl"))
    for side, model in (("a", model_a), ("b", model_b)):
        file = path / "answer" / f"answer_{model}.jsonl"
        if not file.exists():
            raise TaskFileError("[data] models", f"models with an answer file ({', '.join(known) or 'none found'})", repr(model))
        files[side] = file
    verdicts_opt = options.get("verdicts")
    verdicts: list[str | Problem] | None = None
    verdict_file = None
    if verdicts_opt is not False:
        if verdicts_opt:
            verdict_file = Path(verdicts_opt)
        else:
            name = f"review_{model_a}_{model_b}_human.txt"
            verdict_file = next((p for p in (path / name, path / "review" / name) if p.exists()), None)
        if verdict_file is not None:
            verdicts = _verdict_lines(verdict_file)

    answers_a, problems_a = _answers(files["a"])
    answers_b, problems_b = _answers(files["b"])
    yield from problems_a
    yield from problems_b
    seen = set()
    for location, q in read_jsonl(path / "question.jsonl"):
        if isinstance(q, Problem):
            yield location, q
            continue
        qid = q.get("question_id")
        if not isinstance(qid, int) or isinstance(qid, bool):
            yield location, Problem(location, "a whole-number question_id", describe(qid))
            continue
        seen.add(qid)
        missing = [f.name for f, answers in ((files["a"], answers_a), (files["b"], answers_b)) if qid not in answers]
        if missing:
            yield location, Problem(location, f"an answer to question_id {qid} in {' and '.join(missing)}", "none")
            continue
        a, b = answers_a[qid], answers_b[qid]
        row = {"id": str(qid), "question": q.get("text"), "category": q.get("category", ""),
               "answer_a": a.get("text"), "answer_b": b.get("text"),
               "model_a": str(a.get("model_id") or model_a), "model_b": str(b.get("model_id") or model_b)}
        if verdicts is not None:
            if not 1 <= qid <= len(verdicts):
                yield location, Problem(f"{verdict_file.name} line {qid}", f"a verdict for question_id {qid}",
                                        f"a file of {len(verdicts)} lines")
                continue
            if isinstance(verdicts[qid - 1], Problem):
                yield location, verdicts[qid - 1]
                continue
            row["human"] = verdicts[qid - 1]
        yield location, row
    if verdicts is not None and len(verdicts) > len(seen):
        extra = len(verdicts)
        yield f"{verdict_file.name} line {extra}", Problem(
            f"{verdict_file.name} line {extra}", f"one verdict per question ({len(seen)} lines)", f"{extra} lines")
