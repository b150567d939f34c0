"""Few-shot examples for a judge prompt: pairs people judged, with their verdict written the
way the judge's parser reads it (``[[A]]`` for MT-Bench, ``m`` / ``M`` for the identifier
judges, ``Preferred: Output (a)`` for PROFILE's).

Each example shows the instruction and both responses in canonical order (A first). A
response longer than ``max_chars`` characters is cut, and the cut is marked with how many
characters were left out, so the prompt stays affordable; the examples' text is part of
the run's identity (its digest is in the run's fingerprint and template version).
A parser that has no tie (the identifier judges) cannot show a tie: such examples are
left out, and ``render_examples`` says how many.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.store.models import Pair

from .config import JudgeConfig, shipped_templates_dir
from .parsers import split_spec
from .templates import fill, load_template

VERDICT_TEXT = {
    "mt-bench": {"A": "[[A]]", "B": "[[B]]", "tie": "[[C]]"},
    "identifier-mM": {"A": "m", "B": "M"},
    "profile": {"A": "Preferred: Output (a)", "B": "Preferred: Output (b)", "tie": "Preferred: Tie"},
}
DEFAULT_MAX_CHARS = 2000


@dataclass(frozen=True)
class Example:
    pair: Pair
    verdict: str  # canonical "A" | "B" | "tie": what people chose


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[... {len(text) - max_chars:,} more characters not shown ...]"


def render_examples(examples: list[Example], parser: str, max_chars: int = DEFAULT_MAX_CHARS) -> tuple[str, int]:
    """The few-shot block for a judge with ``parser``, and how many examples were left out
    (a tie the parser cannot express). Raises KeyError for a parser without a verdict text."""
    texts = VERDICT_TEXT[split_spec(parser)[0]]
    blocks: list[str] = []
    left_out = 0
    for example in examples:
        if example.verdict not in texts:
            left_out += 1
            continue
        p = example.pair
        blocks.append(
            f"[Example {len(blocks) + 1}]\n[User Question]\n{p.prompt}\n\n"
            f"[The Start of Response A]\n{_cut(p.response_a, max_chars)}\n[The End of Response A]\n\n"
            f"[The Start of Response B]\n{_cut(p.response_b, max_chars)}\n[The End of Response B]\n\n"
            f"[Verdict people reached: A is the first response shown, B the second]\n{texts[example.verdict]}\n"
            f"[End of Example {len(blocks) + 1}]"
        )
    if not blocks:
        return "", left_out
    wrapper = load_template(shipped_templates_dir() / "few-shot.txt")
    return fill(wrapper.user, {"examples": "\n\n".join(blocks)}), left_out


def judge_examples(judge: JudgeConfig) -> str:
    """The few-shot block of a judge file's own ``examples`` ('' when it has none): the same
    text ``experiment guide`` rendered for the arm it was promoted from."""
    if not judge.examples:
        return ""
    examples = [Example(Pair(task="", pair_id=e["pair_id"], prompt=e["prompt"], response_a=e["response_a"],
                             response_b=e["response_b"]), e["human"]) for e in judge.examples]
    return render_examples(examples, judge.parser, judge.example_chars)[0]
