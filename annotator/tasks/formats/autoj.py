"""Auto-J pairwise test set (GAIR-NLP/auto-j): ``testdata_pairwise.jsonl``, one pair a line:
{scenario, label, prompt, "response 1", "response 2"} (the keys have a space).

``label`` is the human label (0 = response 1, 1 = response 2, 2 = tie), stored as the labels
of the annotator ``autoj-human``. Pairs have no id: ``id`` is the line number.

Auto-J's own verdicts ({"output": 0|1|2} a line, line i for pair i) are imported as ONE judge
run (``auto-j-13b``) with both presented orders:

* ``verdicts`` (default ``pairwise_example_output.jsonl`` beside the pairs, if present): the
  verdicts in the pairs' order, stored as order AB;
* ``verdicts_exchange`` (default ``pairwise_exchange_example_output.jsonl``): the verdicts
  with the responses swapped, in the swapped frame (0 = the response shown first, i.e.
  response 2), stored as order BA and un-swapped to the canonical frame on import.

Set either option to ``false`` to leave it out. Rows: ``id``, ``scenario``, ``group`` (the
authors' eight scenario groups), ``prompt``, ``response 1``, ``response 2``, ``label``,
``autoj`` and ``autoj_exchange`` (the raw verdicts).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Problem, TaskFileError
from ..readers import open_binary, parse_json, read_jsonl

DEFAULTS = {
    "data": {"id": "id", "prompt": "prompt", "response_a": "response 1", "response_b": "response 2",
             "domain": "scenario", "metadata": ["group"]},
    "labels": {"annotators": {"autoj-human": "label"}, "map": {"0": "A", "1": "B", "2": "tie"}},
    "judge_labels": [{"name": "auto-j-13b", "model": "GAIR/autoj-13b", "verdict": "autoj", "order": "AB",
                      "verdict_ba": "autoj_exchange", "map": {"0": "A", "1": "B", "2": "tie"}}],
}
OPTIONS = ("verdicts", "verdicts_exchange")
PATH_OPTIONS = ("verdicts", "verdicts_exchange")

# The authors' grouping of the 58 scenarios (codes/leaderboard/utils_constants.py).
GROUPS = {
    "Summarization": ["post_summarization", "text_summarization", "note_summarization"],
    "Exam Questions": ["math_reasoning", "solving_exam_question_with_math", "solving_exam_question_without_math"],
    "Code": ["code_simplification", "code_generation", "explaining_code", "code_correction_rewriting",
             "code_to_code_translation"],
    "Rewriting": ["text_simplification", "language_polishing", "instructional_rewriting", "text_correction",
                  "paraphrasing"],
    "Creative Writing": ["writing_song_lyrics", "writing_social_media_post", "writing_blog_post",
                         "writing_personal_essay", "creative_writing", "writing_advertisement",
                         "writing_marketing_materials", "writing_presentation_script", "counterfactual"],
    "Functional Writing": ["writing_product_description", "writing_job_application", "writing_news_article",
                           "writing_biography", "writing_email", "writing_legal_document",
                           "writing_technical_document", "writing_scientific_paper", "functional_writing",
                           "writing_cooking_recipe"],
    "General Communication": ["asking_how_to_question", "open_question", "analyzing_general", "explaining_general",
                              "seeking_advice", "recommendation", "value_judgement", "verifying_fact", "chitchat",
                              "roleplay", "planning", "brainstorming"],
    "NLP Tasks": ["ranking", "text_to_text_translation", "data_analysis", "classification_identification",
                  "title_generation", "question_generation", "reading_comprehension", "keywords_extraction",
                  "information_extraction", "topic_modeling", "others"],
}
GROUP_OF = {scenario: group for group, scenarios in GROUPS.items() for scenario in scenarios}

_END = object()


def _verdict_file(path: Path, options: dict, key: str, default: str) -> Path | None:
    value = options.get(key)
    if value is False:
        return None
    if value:
        file = Path(value)
        if not file.exists():
            raise TaskFileError(f"[data] {key}", "an existing verdict file", f"no file {str(file)!r}")
        return file
    file = path.parent / default
    return file if file.exists() else None


def _verdicts(file: Path | None):
    """The verdicts of a file, line by line: (location, value or Problem); endless None if no file."""
    if file is None:
        while True:
            yield None, None
    number = 0
    with open_binary(file) as fh:
        for number, raw in enumerate(fh, start=1):
            location = f"{file.name} line {number}"
            try:
                value = parse_json(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                yield location, Problem(location, 'a JSON object {"output": 0|1|2}', f"unreadable line ({e})")
                continue
            if not isinstance(value, dict) or "output" not in value:
                yield location, Problem(location, 'a JSON object {"output": 0|1|2}', repr(value)[:60])
                continue
            yield location, value["output"]
    while True:
        yield f"{file.name} line {number + 1}", _END


def read(path: Path, options: dict):
    same = _verdict_file(path, options, "verdicts", "pairwise_example_output.jsonl")
    exchange = _verdict_file(path, options, "verdicts_exchange", "pairwise_exchange_example_output.jsonl")
    ab, ba = _verdicts(same), _verdicts(exchange)
    pairs = read_jsonl(path)
    for number, (location, row) in enumerate(pairs, start=1):
        (loc_ab, v_ab), (loc_ba, v_ba) = next(ab), next(ba)
        for loc, v in ((loc_ab, v_ab), (loc_ba, v_ba)):
            if v is _END:
                row = Problem(loc, f"a verdict for pair {number} ({location})", "the end of the file")
            elif isinstance(v, Problem):
                row = v
        if isinstance(row, Problem):
            yield location, row
            continue
        row = dict(row, id=str(number), group=GROUP_OF.get(row.get("scenario"), ""))
        if same is not None:
            row["autoj"] = v_ab
        if exchange is not None:
            row["autoj_exchange"] = v_ba
        yield location, row
    for file, it in ((same, ab), (exchange, ba)):
        if file is not None:
            loc, v = next(it)
            if v is not _END:
                yield loc, Problem(loc, f"one verdict per pair of {path.name}", "a verdict beyond the last pair")
