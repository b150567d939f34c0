"""Rule-based factor extractors (Length, Novel Words) and their command."""

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.factors import rules
from annotator.factors.extract import extract_rule_factors
from annotator.store import Pair, Store, Task
from annotator.tasks.profile import PROFILE_FACTORS


def test_word_count_counts_words_not_symbols():
    assert rules.word_count("Hello, world! It's 2 o'clock -- `x = 1`.") == 7
    assert rules.word_count("") == 0


def test_novel_word_ratio_uses_stems():
    # "running" and "cats" stem to words of the source; "quickly" is new: 1 of 3.
    assert rules.novel_word_ratio("The cat runs.", "running cats quickly") == pytest.approx(1 / 3)
    assert rules.novel_word_ratio("anything", "") is None


def test_novel_word_ratio_counts_each_stem_once():
    # Output stems {cat, chase}: "cats" twice and "Cats" are one stem; the source has "cat".
    # Unique stems not in the source: {chase} -> 1 of 2 (a token count would give 1 of 3).
    assert rules.novel_word_ratio("A cat sleeps.", "Cats chase cats.") == pytest.approx(0.5)
    # Repeating a novel word does not raise the ratio: {new, word} both novel -> 1.0 either way.
    assert rules.novel_word_ratio("old", "new word new word new word") == pytest.approx(1.0)
    assert rules.novel_word_ratio("old", "old old old new") == pytest.approx(0.5)


@pytest.mark.parametrize("a,b,tol,expected", [
    (10, 5, 0.0, "A"), (5, 10, 0.0, "B"), (7, 7, 0.0, "equal"), (100, 96, 0.05, "equal"),
    (None, 3, 0.0, None),
])
def test_manifestation(a, b, tol, expected):
    assert rules.manifestation(a, b, tol) == expected


def test_novel_words_needs_a_source():
    assert rules.extract("novel_words", "a b", "c", source="").manifestation is None
    with pytest.raises(KeyError):
        rules.extract("fluency", "a", "b")


def _store_with_pairs():
    store = Store.memory()
    store.save_task(Task(name="t", factors=[PROFILE_FACTORS["length"], PROFILE_FACTORS["novel_words"]]))
    store.insert_pairs([
        Pair(task="t", pair_id="1", prompt="p", response_a="one two three", response_b="one",
             source="one two", content_hash="x"),
        Pair(task="t", pair_id="2", prompt="p", response_a="same", response_b="same", content_hash="y"),
    ])
    return store


def test_extract_stores_values_with_rule_extractor():
    store = _store_with_pairs()
    counts = extract_rule_factors(store, "t")
    assert counts == {"length": 2, "novel_words": 1}  # pair 2 has no source
    values = {(v.pair, v.factor): v for v in store.factor_values("t", extractor="rule")}
    assert values[(1, "length")].manifestation == "A"
    assert (values[(1, "length")].value_a, values[(1, "length")].value_b) == (3, 1)
    assert values[(2, "length")].manifestation == "equal"
    assert values[(1, "novel_words")].value_a == pytest.approx(1 / 3)
    extract_rule_factors(store, "t")  # re-running replaces, never duplicates
    assert len(store.factor_values("t")) == 3


def test_extract_command(tmp_path):
    db = tmp_path / "f.db"
    store = Store.open(db)
    store.save_task(Task(name="t", factors=[PROFILE_FACTORS["length"]]))
    store.insert_pairs([Pair(task="t", pair_id="1", prompt="p", response_a="a b", response_b="a", content_hash="x")])
    store.close()
    result = CliRunner().invoke(main, ["--db", str(db), "factors", "extract", "--task", "t", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["values"] == {"length": 1}
    missing = CliRunner().invoke(main, ["--db", str(db), "factors", "extract", "--task", "nope"])
    assert missing.exit_code != 0 and "no task named" in missing.output
