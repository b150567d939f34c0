"""LaTeX maths in responses, shown readably as Unicode text.

Model responses write maths as ``$...$``, ``$$...$$``, ``\\(...\\)`` and ``\\[...\\]``. In a
terminal the source is hard to read, so the Markdown view shows it converted:
``$\\frac{a+b}{2} \\leq \\sqrt{x^2+1}$`` becomes ``(a+b)/2 ≤ √(x²+1)``. The raw view keeps the
source.

* :func:`find_math` finds the maths spans of a Markdown text, leaving code (fenced blocks
  and inline code spans) and escaped dollars alone. A single ``$`` opens maths only when
  followed by a non-space and closes only after a non-space and before a non-digit (the
  Pandoc rule), so "costs $5 and $10" is prose.
* :func:`latex_to_unicode` converts one formula. The LaTeX is parsed by ``pylatexenc``
  (a maintained LaTeX parser); symbols and font macros (``\\alpha``, ``\\mathbb{R}``) take
  its Unicode; fractions, roots, binomials, scripts and matrices are written here, because
  its text output loses their structure (``\\frac{a+b}{2}`` would read ``a+b/2``).
  Superscripts and subscripts use Unicode script letters when every character has one
  (``x²``, ``aᵢⱼ``), else ``^(...)`` / ``_(...)``. A macro ``pylatexenc`` does not know is
  kept as written.
* :func:`convert_markdown_math` returns the Markdown with every span converted and its
  punctuation escaped, so the result is never read as Markdown syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SUPERSCRIPT = dict(zip(
    "0123456789+-=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ",
))
_SUBSCRIPT = dict(zip(
    "0123456789+-=()aehijklmnoprstuvxβγρφχ",
    "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
))
_SUPERSCRIPT.update({"−": "⁻", "∗": "*", "*": "*", "′": "′", "∞": "^∞", "'": "′", "∘": "°"})  # ^\circ: degrees
_SUBSCRIPT.update({"−": "₋"})
_FRACTIONS = {("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
              ("1", "5"): "⅕", ("1", "6"): "⅙", ("1", "8"): "⅛"}
_TEXT_MACROS = {"text", "textrm", "textnormal", "mathrm", "operatorname", "textit", "textbf", "mbox",
                "mathit", "textsf", "texttt", "hbox"}
_DROPPED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
            "biggr", "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "nonumber",
            "notag", "label", "middle"}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": "  ", "qquad": "    ", "enspace": " ",
           "thinspace": " "}
_MATRIX_BRACKETS = {"matrix": ("", ""), "pmatrix": ("(", ")"), "bmatrix": ("[", "]"), "Bmatrix": ("{", "}"),
                    "vmatrix": ("|", "|"), "Vmatrix": ("‖", "‖"), "smallmatrix": ("", ""), "array": ("", ""),
                    "cases": ("{ ", "")}
# Named functions (\\cos C): a space parts them from the symbols around them ("2ab cos C").
_FUNCTIONS = {"sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
              "log", "ln", "lg", "exp", "lim", "max", "min", "sup", "inf", "det", "gcd", "deg", "arg", "dim",
              "ker", "Pr", "liminf", "limsup"}
_FN_START, _FN_END = "\x01", "\x02"  # around a function name until the formula is joined
_BOXED = ("⟦", "⟧")  # \boxed{42} (a maths response's final answer) reads ⟦42⟧
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SCRIPTS = set(_SUPERSCRIPT.values()) | set(_SUBSCRIPT.values()) | {"′"}


def _script(text: str, table: dict[str, str], mark: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return f"{mark}{text}" if len(text) == 1 else f"{mark}({text})"


def _is_operand(text: str) -> bool:
    """A number, one symbol (with its scripts), or one bracketed group: no parentheses needed."""
    if _NUMBER.fullmatch(text) or (text and all(ch in _SCRIPTS for ch in text[1:])):
        return True
    if text[:1] in "([" and text[-1:] in ")]":
        depth = 0
        for i, ch in enumerate(text):
            depth += ch in "([" or -(ch in ")]")
            if depth == 0 and i < len(text) - 1:
                return False  # "(a)(b)": two groups
        return True
    return False


def _wrap(text: str) -> str:
    """``text`` as one operand: bare when it is a single term, else in parentheses."""
    text = text.strip()
    return text if _is_operand(text) else f"({text})"


class _Converter:
    def __init__(self):
        from pylatexenc import latexwalker
        from pylatexenc.latex2text import LatexNodes2Text, get_default_latex_context_db
        from pylatexenc.macrospec import MacroSpec

        self.walker = latexwalker
        self.fallback = LatexNodes2Text(math_mode="text")
        self.known = get_default_latex_context_db()
        # The parser must know which macros take arguments; these are missing from its table.
        self.context = latexwalker.get_default_latex_context_db()
        self.context.add_context_category(
            "annotator-maths", prepend=True,
            macros=[MacroSpec(name, "{{") for name in ("binom", "dbinom", "tbinom", "dfrac", "tfrac", "cfrac")]
            + [MacroSpec(name, "{") for name in ("operatorname", "text", "mathrm", "boldsymbol", "boxed", "fbox")],
        )

    def convert(self, source: str) -> str:
        walker = self.walker.LatexWalker(source, tolerant_parsing=True, latex_context=self.context)
        nodes, _, _ = walker.get_latex_nodes()
        text = self.nodes(nodes)
        text = re.sub(rf"(?<=\w){_FN_START}", " ", text)  # 2ab cos C, not 2abcos C
        text = re.sub(rf"{_FN_END}(?=[A-Za-z0-9\u0391-\u03c9])", " ", text)  # sin θ, not sinθ
        text = text.replace(_FN_START, "").replace(_FN_END, "")
        return re.sub(r"[ \t]{2,}", " ", text).strip()

    # A node list becomes "atoms" (one character of text, or one converted group or macro),
    # so that ^ and _ can take the atom that follows them as their script.
    def nodes(self, nodes) -> str:
        atoms: list[tuple[str, bool]] = []  # (text, is_plain_character)
        verbatim = False  # after a macro kept as written, its braced arguments are too
        for node in nodes or []:
            if node is None:
                continue
            if node.isNodeType(self.walker.LatexCharsNode):
                atoms.extend((ch, True) for ch in node.chars)
                verbatim = False
            elif verbatim and node.isNodeType(self.walker.LatexGroupNode):
                atoms.append((node.latex_verbatim(), False))
            else:
                verbatim = node.isNodeType(self.walker.LatexMacroNode) and self.unknown(node)
                atoms.append((self.node(node), False))
        out: list[str] = []
        i = 0
        while i < len(atoms):
            text, plain = atoms[i]
            if plain and text in "^_":
                j = i + 1
                while j < len(atoms) and atoms[j][1] and atoms[j][0].isspace():
                    j += 1
                if j < len(atoms):
                    table = _SUPERSCRIPT if text == "^" else _SUBSCRIPT
                    out.append(_script(atoms[j][0], table, text))
                    i = j + 1
                    continue
            out.append(text)
            i += 1
        return "".join(out)

    def node(self, node) -> str:
        w = self.walker
        if node.isNodeType(w.LatexGroupNode):
            return self.nodes(node.nodelist)
        if node.isNodeType(w.LatexCommentNode):
            return ""
        if node.isNodeType(w.LatexMathNode):
            return self.nodes(node.nodelist)
        if node.isNodeType(w.LatexSpecialsNode):
            return {"&": " ", "~": " "}.get(node.specials_chars, node.specials_chars)
        if node.isNodeType(w.LatexEnvironmentNode):
            return self.environment(node)
        if node.isNodeType(w.LatexMacroNode):
            return self.macro(node)
        return node.latex_verbatim()

    def args(self, node) -> list:
        return [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]

    def macro(self, node) -> str:
        name = node.macroname
        args = self.args(node)
        post = node.macro_post_space or ""
        if name in ("frac", "dfrac", "tfrac", "cfrac") and len(args) == 2:
            top, bottom = self.node(args[0]).strip(), self.node(args[1]).strip()
            return _FRACTIONS.get((top, bottom)) or f"{_wrap(top)}/{_wrap(bottom)}"
        if name == "sqrt" and args:
            index = self.node(args[0]).strip() if len(args) == 2 else ""
            root = {"": "√", "2": "√", "3": "∛", "4": "∜"}.get(index)
            body = _wrap(self.node(args[-1]))
            return f"{root}{body}" if root else f"{_script(index, _SUPERSCRIPT, '^')}√{body}"
        if name in ("binom", "dbinom", "tbinom", "choose") and len(args) == 2:
            return f"C({self.node(args[0]).strip()}, {self.node(args[1]).strip()})"
        if name in _TEXT_MACROS and args:
            return self.node(args[-1])
        if name in ("boxed", "fbox") and args:
            return f"{_BOXED[0]}{self.node(args[-1]).strip()}{_BOXED[1]}"
        if name in _FUNCTIONS:
            return f"{_FN_START}{name}{_FN_END}{post}"
        if name in _DROPPED:
            return ""
        if name in _SPACES:
            return _SPACES[name]
        if name == "\\":
            return "; "
        if name in ("cdots", "ldots", "dots", "cdot", "times", "pm", "mp", "div", "leq", "le", "geq", "ge",
                    "neq", "ne", "approx", "equiv", "to", "rightarrow", "Rightarrow", "iff", "implies",
                    "in", "notin", "subset", "subseteq", "cup", "cap", "sim", "propto", "mapsto"):
            post = post or " "
        if self.unknown(node):
            return node.latex_verbatim()  # shown as written
        text = self.fallback.nodelist_to_text([node])
        return text + (post if text else "")

    def unknown(self, node) -> bool:
        name = node.macroname
        return (self.known.get_macro_spec(name) is None and name not in _SPACES and name != "\\"
                and name not in _DROPPED and name not in _TEXT_MACROS
                and name not in ("binom", "dbinom", "tbinom", "choose", "dfrac", "tfrac", "cfrac", "boxed", "fbox"))

    def environment(self, node) -> str:
        name = node.environmentname.rstrip("*")
        body = self.nodes(node.nodelist)
        rows = [" ".join(row.split()) for row in body.split(";")]
        rows = [row for row in rows if row]
        if name in _MATRIX_BRACKETS:
            left, right = _MATRIX_BRACKETS[name]
            return f"{left}{'; '.join(rows)}{right}"
        return "; ".join(rows)


@lru_cache(maxsize=1)
def _converter() -> _Converter:
    return _Converter()  # imports pylatexenc once, the first time maths is met


@lru_cache(maxsize=4096)
def latex_to_unicode(source: str) -> str:
    """One formula (without its ``$`` delimiters) as Unicode text; the source if it cannot be parsed."""
    try:
        converted = _converter().convert(source)
    except Exception:  # pylatexenc's tolerant parser gave up: show what was written
        return source.strip()
    return converted or source.strip()


@dataclass(frozen=True)
class MathSpan:
    start: int  # index of the opening delimiter
    end: int  # index after the closing delimiter
    body: str
    display: bool


_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")
_MATH = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)(?<!\\)\$\$"  # $$ display $$
    r"|\\\[(?P<sb>.+?)\\\]"  # \[ display \]
    r"|\\\((?P<rb>.+?)\\\)"  # \( inline \)
    r"|(?<![\\$])\$(?=[^\s$])(?P<d>(?:[^$\n\\]|\\.)+?)(?<=[^\s\\])\$(?![\d$])",  # $inline$ (Pandoc's rule)
    re.DOTALL,
)


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Where code is (fenced blocks and inline code spans): no maths there."""
    ranges = []
    offset = 0
    fence: str | None = None
    start = 0
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            fence, start = match.group(1), offset
        elif fence is not None and match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            ranges.append((start, offset + len(line)))
            fence = None
        offset += len(line)
    if fence is not None:
        ranges.append((start, len(text)))
    for match in _CODE_SPAN.finditer(text):
        ranges.append(match.span())
    return sorted(ranges)


def find_math(text: str) -> list[MathSpan]:
    """The maths spans of a Markdown text, in order, outside code."""
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return []
    code = _code_ranges(text)
    spans = []
    for match in _MATH.finditer(text):
        start, end = match.span()
        if any(a < end and start < b for a, b in code):
            continue
        kind = match.lastgroup
        body = match.group(kind)
        if kind == "d" and "\n\n" in body:
            continue
        spans.append(MathSpan(start, end, body, display=kind in ("dd", "sb")))
    return spans


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """Backslash-escape every ASCII punctuation mark (CommonMark reads each literally)."""
    return _PUNCTUATION.sub(r"\\\1", text)


def convert_markdown_math(text: str) -> str:
    """The Markdown text with its maths converted to Unicode (code left alone)."""
    spans = find_math(text)
    if not spans:
        return text
    out = []
    last = 0
    for span in spans:
        out.append(text[last:span.start])
        converted = escape_markdown(" ".join(latex_to_unicode(span.body).split()))
        out.append(converted)
        last = span.end
    out.append(text[last:])
    return "".join(out)
