"""LaTeX maths to Unicode: finding the spans in Markdown and converting a formula.

Expected strings are worked by hand from the rules in annotator/text/latex.py: scripts
become Unicode script letters when every character has one, fractions read (top)/(bottom)
with parentheses only around operands of more than one term, symbols take pylatexenc's
Unicode.
"""

import pytest

from annotator.text.latex import convert_markdown_math, escape_markdown, find_math, latex_to_unicode


@pytest.mark.parametrize("source, expected", [
    (r"x^2 + y_1 = \sqrt{z}", "x² + y₁ = √z"),
    (r"\frac{a+b}{2}", "(a+b)/2"),  # not "a+b/2"
    (r"\frac{-b \pm \sqrt{b^2-4ac}}{2a}", "(-b ± √(b²-4ac))/(2a)"),
    (r"\frac{1}{2}", "½"),
    (r"\sum_{i=1}^{n} i", "∑ᵢ₌₁ⁿ i"),
    (r"e^{i\pi}", "e^(iπ)"),  # π has no superscript form: spelled out
    (r"\alpha \leq \beta", "α ≤ β"),
    (r"a \times b \neq c", "a × b ≠ c"),
    (r"\mathbb{R}^n \to \mathbb{R}", "ℝⁿ → ℝ"),
    (r"\binom{n}{k}", "C(n, k)"),
    (r"\sqrt[3]{27}", "∛27"),
    (r"x_{\text{max}}", "xₘₐₓ"),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", "(1 2; 3 4)"),
    (r"\left( x \right)", "( x )"),
    (r"\mycommand{x} + 1", r"\mycommand{x} + 1"),  # unknown: kept as written
    (r"C \approx 73.40^\circ", "C ≈ 73.40°"),  # degrees: read "73.40^∘" in the demo's maths
    (r"180^{\circ}", "180°"),
])
def test_latex_to_unicode(source, expected):
    assert latex_to_unicode(source) == expected


def test_find_math_delimiters_and_dollars_that_are_money():
    text = r"Costs $5 and $10. $a^2$, \(b\), $$c$$ and \[d\]; not \$e\$."
    spans = find_math(text)
    assert [(s.body, s.display) for s in spans] == [("a^2", False), ("b", False), ("c", True), ("d", True)]


def test_no_math_inside_code():
    text = "Use `$x$` or\n\n```\n$y^2$\n```\n\nbut $z^2$ is maths."
    assert [s.body for s in find_math(text)] == ["z^2"]
    assert convert_markdown_math(text) == "Use `$x$` or\n\n```\n$y^2$\n```\n\nbut z² is maths."


def test_converted_maths_is_never_markdown_syntax():
    # "*" and "_" from the formula are escaped, so they are not emphasis.
    assert escape_markdown("a*b_c") == r"a\*b\_c"
    assert convert_markdown_math(r"$a * b * c$") == r"a \* b \* c"
