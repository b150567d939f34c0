from rich.console import Console

from annotator.text.sanitize import has_control, plain_text, sanitize, sanitize_line


def test_escape_sequences_become_visible():
    text = "red \x1b[31mALERT\x1b[0m and \x1b]8;;http://evil.example\x07link\x1b]8;;\x07"
    out = sanitize(text)
    assert "\x1b" not in out and "\x07" not in out
    assert "␛[31mALERT␛[0m" in out
    assert "␛]8;;http://evil.example␇link" in out


def test_carriage_returns_and_controls():
    assert sanitize("a\r\nb\r\n") == "a\nb\n"
    assert sanitize("safe\rEVIL") == "safe␍EVIL"
    assert sanitize("bell\x07 nul\x00 del\x7f bs\x08") == "bell␇ nul␀ del␡ bs␈"
    assert sanitize("tab\tnew\nline") == "tab\tnew\nline"
    # 8-bit CSI and a right-to-left override are shown by code point.
    assert sanitize("x\x9b31my") == "x⟨U+009B⟩31my"
    assert sanitize("abc\u202edef") == "abc⟨U+202E⟩def"
    assert sanitize_line("one\ntwo\tthree") == "one two three"
    assert has_control("a\x1b[0m") and not has_control("plain\r\n")


def test_markup_is_not_interpreted():
    text = "[bold]not bold[/bold] [link=https://x.example]click[/link] :smile:"
    console = Console(record=True, width=200, color_system="truecolor", force_terminal=True)
    console.print(plain_text(text))
    assert console.export_text().strip() == text
    rendered = console.export_text(styles=True)
    assert "\x1b[1m" not in rendered and "\x1b]8" not in rendered


def test_a_limit_cuts_long_text_and_says_how_much():
    # 10 characters, limit 4: "ab\x1bc" is kept (ESC shown as its picture), 6 are cut.
    assert sanitize("ab\x1bcdefghi", limit=4) == "ab␛c… (6 more characters)"
    assert sanitize("short", limit=5) == "short" and sanitize("", limit=3) == ""
