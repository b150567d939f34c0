"""Neutralise terminal control in untrusted text (prompts, responses, names).

Responses are data. Before any of it reaches a terminal, every character that a terminal
or Rich could *act on* is replaced by a visible stand-in, so the annotator sees what the
text contains instead of having it executed:

* C0 control characters (ESC, BEL, BS, NUL, ...) become their Unicode "control pictures"
  (``\\x1b`` -> ``␛``), so an ANSI colour sequence ``\\x1b[31m`` is shown as ``␛[31m`` and an
  OSC 8 hyperlink ``\\x1b]8;;url\\x07`` as ``␛]8;;url␇``.
* ``\\r\\n`` and a lone ``\\r`` at the end of the text become ``\\n``; any other carriage return
  (which would overwrite the start of the line) is shown as ``␍``.
* DEL becomes ``␡``; C1 controls (U+0080 to U+009F, e.g. the 8-bit CSI U+009B), the
  bidirectional overrides and isolates (the "Trojan Source" characters) and the Unicode tag
  characters (U+E0000 to U+E007F, invisible) are shown as ``⟨U+XXXX⟩``.
* Newlines and tabs are kept.
* With a ``limit``, text longer than that many characters is cut there and ends with
  ``… (N more characters)``, so a long response cannot flood a terminal report.

Rich markup (``[bold]``, ``[link=...]``) is not a control sequence: it is only
interpreted when text is passed to Rich or Textual *as markup*. The UI never does that
with data (it builds ``rich.text.Text`` objects or Markdown from the sanitised string);
:func:`plain_text` is the one way to turn data into a renderable.
"""

from __future__ import annotations

import re

from rich.text import Text

_PICTURES = {code: chr(0x2400 + code) for code in range(0x20) if code not in (0x09, 0x0A)}
_PICTURES[0x7F] = "\u2421"  # ␡
# C1 controls, the bidirectional controls, and the Unicode tag characters (invisible, but
# read by an LLM as text: "ASCII smuggling")
_VISIBLE_CODEPOINTS = [*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C,
                       *range(0xE0000, 0xE0080)]
_TRANSLATION = {**_PICTURES, **{c: f"\u27e8U+{c:04X}\u27e9" for c in _VISIBLE_CODEPOINTS}}

_CRLF = re.compile(r"\r+\n")


def sanitize(text: str | None, limit: int | None = None) -> str:
    """The text with every terminal control character made visible, at most ``limit``
    characters of it (see the module doc)."""
    if not text:
        return ""
    cut = 0
    if limit is not None and len(text) > limit:
        cut, text = len(text) - limit, text[:limit]
    text = _CRLF.sub("\n", text)
    if text.endswith("\r"):
        text = text.rstrip("\r")
    text = text.translate(_TRANSLATION)
    return f"{text}… ({cut:,} more characters)" if cut else text


_ONE_FOR_ONE = {**{c: chr(0x2400 + c) for c in range(0x20)}, 0x7F: "\u2421",
                **{c: "\ufffd" for c in _VISIBLE_CODEPOINTS}}


def sanitize_in_place(text: str | None) -> str:
    """Like :func:`sanitize`, but one character for one (controls, newlines and tabs become
    their control pictures; C1, bidi and tag characters U+FFFD), for an editable field whose
    cursor counts the characters of the real text."""
    return (text or "").translate(_ONE_FOR_ONE)


def sanitize_line(text: str | None) -> str:
    """Like :func:`sanitize`, for one-line places (titles, names): newlines become spaces."""
    return sanitize(text).replace("\n", " ").replace("\t", " ")


def plain_text(text: str | None, style: str = "") -> Text:
    """A Rich ``Text`` holding the sanitised text, never parsed as markup or emoji codes."""
    return Text(sanitize(text), style=style, end="")


def has_control(text: str | None) -> bool:
    """True when :func:`sanitize` would change anything apart from line endings."""
    if not text:
        return False
    return sanitize(text) != _CRLF.sub("\n", text).rstrip("\r")
