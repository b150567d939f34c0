from annotator.text.diff import tokenize, word_diff


def test_tokens_round_trip():
    text = "Hello,  world!\n\n```py\nx = 1\n```\n"
    assert "".join(tokenize(text)) == text


def test_changed_words_flagged_on_each_side():
    a = "The quick brown fox jumps over the lazy dog.\nSecond line stays."
    b = "The quick red fox jumps over the lazy cat.\nSecond line stays."
    d = word_diff(a, b)
    assert "".join(s.text for s in d.a) == a
    assert "".join(s.text for s in d.b) == b
    assert [s.text.strip() for s in d.a if s.changed] == ["brown", "dog"]
    assert [s.text.strip() for s in d.b if s.changed] == ["red", "cat"]
    assert d.changed_words_a == 2 and 0.8 < d.ratio < 1


def test_identical_and_empty():
    d = word_diff("same text", "same text")
    assert not any(s.changed for s in d.a + d.b) and d.ratio == 1.0
    assert word_diff("", "").ratio == 1.0
    d = word_diff("", "only b")
    assert d.a == [] and all(s.changed for s in d.b) and d.ratio == 0.0


def test_whitespace_only_changes_are_not_flagged():
    d = word_diff("one two three", "one  two\nthree")
    assert not any(s.changed for s in d.a + d.b)


def test_long_near_identical_is_fast():
    import random
    import time

    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(300)] + ["the", "a", "of", "and"] * 20
    words = [rng.choice(vocabulary) for _ in range(3000)]
    a = " ".join(words)
    b = " ".join("CHANGED" if i % 97 == 0 else w for i, w in enumerate(words))
    start = time.perf_counter()
    d = word_diff(a, b)
    assert time.perf_counter() - start < 2.0
    assert d.changed_words_b == len(range(0, 3000, 97))
