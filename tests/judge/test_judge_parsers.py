"""Parser table tests with real-looking judge outputs."""

import math

import pytest

from annotator.judge.parsers import ParseResult, parse, soft_identifier, to_canonical

MT_BENCH = [
    ("Assistant A provides a thorough explanation with an example, while B is vague.\n\n[[A]]", "A"),
    ("Both responses are accurate, but Assistant B is more concise and directly answers.\n[[B]]", "B"),
    ("The two answers are essentially equivalent in quality.\n\nFinal verdict: [[C]]", "tie"),
    # The explanation quotes the format; the final verdict is the last one.
    ('I must output "[[A]]" if A is better. Considering accuracy, B wins. [[B]]', "B"),
    ("Verdict: [[ a ]]", "A"),
    ("**Final Verdict:** [[tie]]", "tie"),
    ("Assistant A is better.", None),
    ("", None),
    ("I'm sorry, but I cannot evaluate these responses.", None),
]


@pytest.mark.parametrize("text,verdict", MT_BENCH)
def test_mt_bench(text, verdict):
    result = parse("mt-bench", text)
    assert result.verdict == verdict
    if verdict is not None:
        assert result.explanation == text[: text.rindex("[[")].strip()


@pytest.mark.parametrize("text,reason", [
    ("Assistant A is better.", "unparseable"),
    ("", "empty"),
    ("   \n", "empty"),
    ("I'm sorry, but I cannot evaluate these responses.", "refusal"),
    ("As an AI developed to be helpful, I won't rank these.", "refusal"),
])
def test_unscored_reasons(text, reason):
    assert parse("mt-bench", text).unscored_reason == reason


IDENTIFIER = [
    ("m", "A"), ("M", "B"), (" M", "B"), ("M\n", "B"), ('"m"', "A"), ("`M`", "B"),
    ("model_identifier: m", "A"), ("m.", "A"),
    ("Model", None),  # "M" followed by letters is not the identifier
    ("mM", None), ("", None), ("The best model is m", None),
]


@pytest.mark.parametrize("text,verdict", IDENTIFIER)
def test_identifier(text, verdict):
    assert parse("identifier-mM", text).verdict == verdict


def test_soft_verdict_from_logprobs():
    # AlpacaEval's weighted judge: P(m) / (P(m) + P(M)); other tokens are ignored.
    top = [("m", math.log(0.6)), ("M", math.log(0.3)), ("The", math.log(0.1))]
    assert soft_identifier(top) == pytest.approx(0.6 / 0.9)
    # Tokens with a leading space count as the identifier.
    assert soft_identifier([(" M", math.log(0.5)), ("M", math.log(0.25)), ("m", math.log(0.25))]) == pytest.approx(0.25)
    assert soft_identifier([("The", -0.1)]) is None  # no information, not 0.5
    assert soft_identifier(None) is None
    result = parse("identifier-mM", "M", top)
    assert result.verdict == "B" and result.p_first == pytest.approx(2 / 3)


def test_identifier_text_unusable_but_logprobs_say():
    result = parse("identifier-mM", "I", [("m", math.log(0.1)), ("M", math.log(0.7))])
    assert result.verdict == "B" and result.p_first == pytest.approx(0.125)


PROFILE = [
    ("Output (a) answers the question directly.\nPreferred: Output (a)", "A"),
    ("Output (b) covers more of the source.\n\nPreferred: Output (b)", "B"),
    ("Neither is clearly better.\nPreferred: Tie", "tie"),
    ("**Preferred:** Output (B)", "B"),
    ("Preferred output: (a)", "A"),
    ("Preferred - tie", "tie"),
    ("I prefer output (a).", None),
    ("Preferred: Output (c)", None),
]


@pytest.mark.parametrize("text,verdict", PROFILE)
def test_profile(text, verdict):
    assert parse("profile", text).verdict == verdict


@pytest.mark.parametrize("result,order,expected", [
    (ParseResult("A", 0.8), "AB", ("A", 0.8)),
    (ParseResult("A", 0.8), "BA", ("B", pytest.approx(0.2))),  # first shown was canonical B
    (ParseResult("B", None), "BA", ("A", None)),
    (ParseResult("tie"), "BA", ("tie", None)),
    (ParseResult(None, unscored_reason="empty"), "BA", (None, None)),
])
def test_to_canonical(result, order, expected):
    assert to_canonical(result, order) == expected


# Review: outputs seen from real judges that the first parsers got wrong.
MT_BENCH_TRICKY = [
    # the verdict first, then trailing text that mentions both labels
    ("Final verdict: [[A]]\n\nThe choice between [[A]] and [[B]] was close.", "A"),
    # the judge echoes the format instructions after its verdict
    ('[[B]]\n\n(Format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, '
     'and "[[C]]" for a tie.)', "B"),
    ("Comparing [[A]] vs [[B]]: A is more detailed.\n\n[[A]]", "A"),
    ("[[A]]\n\nFinal verdict: [[A]]", "A"),
    ("Assistant B is better. **[[b]]**", "B"),
    ("My final verdict is [[C]]. Both are fine.", "tie"),
    # only an enumeration: no verdict
    ('I will answer "[[A]]", "[[B]]" or "[[C]]" once I can read the responses.', None),
]


@pytest.mark.parametrize("text,verdict", MT_BENCH_TRICKY)
def test_mt_bench_tricky(text, verdict):
    assert parse("mt-bench", text).verdict == verdict


def test_mt_bench_explanation_keeps_trailing_text():
    result = parse("mt-bench", "A is clearer. [[A]] Both were polite, though.")
    assert result.explanation == "A is clearer. Both were polite, though."


@pytest.mark.parametrize("text", [
    "I’m sorry, but I can’t help with comparing these.",  # curly apostrophes
    "Sorry, I can't assist with that request.",
    "I must decline to evaluate this content.",
    "I’m not able to judge these responses.",
    "Unfortunately I am unable to provide a verdict here.",
])
def test_refusal_phrasings(text):
    for parser in ("mt-bench", "identifier-mM", "profile"):
        assert parse(parser, text).unscored_reason == "refusal", (parser, text)


@pytest.mark.parametrize("text,verdict", [
    ("Model identifier: M", "B"), ("Best model identifier: m", "A"),
    ("## Best Model Identifier\nm", "A"), ("**M**", "B"),
])
def test_identifier_with_echoed_heading(text, verdict):
    assert parse("identifier-mM", text).verdict == verdict
