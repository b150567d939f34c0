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


def test_long_near_identical_flags_exactly_the_changed_words():
    # How fast this is belongs to benchmarks/diff_bench.py; here only what it finds.
    import random

    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(300)] + ["the", "a", "of", "and"] * 20
    words = [rng.choice(vocabulary) for _ in range(3000)]
    a = " ".join(words)
    b = " ".join("CHANGED" if i % 97 == 0 else w for i, w in enumerate(words))
    d = word_diff(a, b)
    assert d.changed_words_b == len(range(0, 3000, 97)) == d.changed_words_a
    assert [s.text.strip() for s in d.b if s.changed] == ["CHANGED"] * len(range(0, 3000, 97))
    assert "".join(s.text for s in d.a) == a and "".join(s.text for s in d.b) == b


def test_hunks_cut_where_the_sides_align():
    from annotator.text.diff import word_diff

    a = "intro\nsame 1\nsame 2\nold line\nend A\n"
    b = "same 1\nsame 2\nnew line\nend B\nextra\n"
    diff = word_diff(a, b)
    # Worked by hand: line opcodes are delete [intro], equal [same 1, same 2],
    # replace [old line, end A] -> [new line, end B, extra] (2 lines vs 3: one hunk).
    shapes = [("".join(s.text for s in h.a), "".join(s.text for s in h.b), h.changed) for h in diff.hunks]
    assert shapes == [
        ("intro\n", "", True),
        ("same 1\nsame 2\n", "same 1\nsame 2\n", False),
        ("old line\nend A\n", "new line\nend B\nextra\n", True),
    ]
    # Equal line counts are paired line by line.
    paired = word_diff("x 1\ny 1\n", "x 2\ny 2\n").hunks
    assert [("".join(s.text for s in h.a), h.changed) for h in paired] == [("x 1\n", True), ("y 1\n", True)]
    # The merged per-side segments still give back each text exactly.
    assert "".join(s.text for s in diff.a) == a and "".join(s.text for s in diff.b) == b
