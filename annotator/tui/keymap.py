"""Every key binding of the app, each with an id and a description.

The ids are what the ``[keymap]`` section of the config file remaps (see ``config.py``):
``save = "enter,ctrl+s"`` replaces the keys of the binding whose id is ``save``. The help
screen (``?``) lists every binding below with the keys in force.
"""

from __future__ import annotations

from textual.binding import Binding

APP = [
    # Not in the footer's row: the footer shows it apart, at its right end, at every width.
    Binding("question_mark", "app.help", "All keys", id="help", key_display="?", show=False),
    Binding("g", "app.guidelines", "Guidelines", id="guidelines"),
    Binding("q", "app.quit", "Quit", id="quit"),
]

PAIR = [
    Binding("1", "choose('A')", "A better", id="choose_left"),
    Binding("2", "choose('B')", "B better", id="choose_right"),
    Binding("3", "choose('tie')", "Tie", id="choose_tie"),
    # Only on a task whose task.toml `choices` offer "both_bad" (PairScreen.check_action).
    Binding("4", "choose('both_bad')", "Both bad", id="choose_both_bad"),
    Binding("enter", "save", "Save & next", id="save", key_display="⏎"),
    Binding("u", "back", "Back", id="undo"),
    Binding("x", "skip", "Skip", id="skip"),
    Binding("exclamation_mark", "flag", "Flag", id="flag", key_display="!"),
    # Priority: handled as the key arrives, before the next key is routed, so the keys typed
    # right after it land in the box (PairScreen.check_action passes it on while typing there).
    Binding("r", "focus_rationale", "Rationale", id="focus_rationale", priority=True),
    Binding("f", "focus_factors", "Factors", id="focus_factors"),
    Binding("c", "focus_confidence", "Confidence", id="focus_confidence"),
    Binding("d", "toggle_diff", "Diff", id="toggle_diff"),
    Binding("right_square_bracket", "next_change", "Next change", id="next_change", key_display="]"),
    Binding("left_square_bracket", "previous_change", "Prev change", id="previous_change", key_display="["),
    Binding("t", "toggle_sync", "Scroll together", id="toggle_sync"),
    Binding("m", "toggle_raw", "Raw/Markdown", id="toggle_raw"),
    Binding("s", "toggle_source", "Source", id="toggle_source"),
    Binding("p", "toggle_prompt", "Prompt", id="toggle_prompt"),
    Binding("colon", "jump", "Go to", id="jump", key_display=":"),
    Binding("slash", "search", "Search", id="search", key_display="/"),
    Binding("j", "scroll_both(1)", "Scroll both down", id="scroll_down", show=False),
    Binding("k", "scroll_both(-1)", "Scroll both up", id="scroll_up", show=False),
    Binding("J,space", "page_both(1)", "Page both down", id="page_down", show=False),
    Binding("K", "page_both(-1)", "Page both up", id="page_up", show=False),
    Binding("h", "scroll_sideways(-1)", "Code blocks left", id="scroll_left", show=False),
    Binding("l", "scroll_sideways(1)", "Code blocks right", id="scroll_right", show=False),
    Binding("z", "maximize_pane", "Maximise pane", id="maximize", show=False),
]

RATIONALE = [
    Binding("escape", "leave", "Leave the box", id="rationale_leave", priority=True),
]

CHECKLIST = [
    Binding("up,k", "cursor(-1)", "Previous factor", id="factor_up", show=False),
    Binding("down,j", "cursor(1)", "Next factor", id="factor_down", show=False),
    Binding("a", "answer('A')", "A shows more", id="factor_a"),
    Binding("e,equals_sign", "answer('equal')", "Equal", id="factor_equal"),
    Binding("b", "answer('B')", "B shows more", id="factor_b"),
    Binding("n", "answer('na')", "N/A", id="factor_na"),
    Binding("left", "cycle(-1)", "Answer ←", id="factor_prev_answer", show=False),
    Binding("right", "cycle(1)", "Answer →", id="factor_next_answer", show=False),
    Binding("i", "definition", "Definition", id="factor_definition"),
    Binding("escape", "leave", "Done", id="factor_leave", show=False),
]

CONFIDENCE = [
    *(Binding(str(n), f"set({n})", f"Confidence {n}", id=f"confidence_{n}", show=False)
      for n in range(1, 6)),
    Binding("0,backspace,delete", "set(0)", "Clear confidence", id="confidence_clear", show=False),
    Binding("escape", "leave", "Done", id="confidence_leave", show=False),
]

MODAL = [
    Binding("escape", "close", "Close", id="close"),
]

# The adjudication screen (``annotator adjudicate``), a researcher's tool: remappable like the
# rest, listed in its own help, not in the annotators'.
ADJUDICATE = [
    Binding("1", "final('A')", "Final: A", id="adjudicate_a"),
    Binding("2", "final('B')", "Final: B", id="adjudicate_b"),
    Binding("3", "final('tie')", "Final: tie", id="adjudicate_tie"),
    Binding("4", "final('both_bad')", "Final: both bad", id="adjudicate_both_bad"),
    Binding("r", "next_reason", "Reason", id="adjudicate_reason"),
    Binding("n", "focus_note", "Note", id="adjudicate_note"),
    Binding("d", "toggle_diff", "Diff", id="adjudicate_diff"),
    Binding("s,ctrl+s", "save", "Save & next", id="adjudicate_save"),
    Binding("J", "scroll_detail(1)", "Scroll pair down", id="adjudicate_scroll_down", show=False),
    Binding("K", "scroll_detail(-1)", "Scroll pair up", id="adjudicate_scroll_up", show=False),
    Binding("escape", "leave_note", "Back to the queue", id="adjudicate_leave_note", show=False),
    Binding("q", "app.quit", "Quit", id="adjudicate_quit"),
]

AREAS: dict[str, list[Binding]] = {
    "Everywhere": APP,
    "Pair screen": PAIR,
    "Rationale box (r)": RATIONALE,
    "Factor checklist (f)": CHECKLIST,
    "Confidence (c)": CONFIDENCE,
    "Dialogs": MODAL,
}


# Screens of other apps whose keys the config file may remap too.
OTHER_AREAS: dict[str, list[Binding]] = {
    "Adjudication (annotator adjudicate)": ADJUDICATE,
}


def all_bindings() -> list[Binding]:
    return [b for bindings in (*AREAS.values(), *OTHER_AREAS.values()) for b in bindings]


def check_keymap(keymap: dict) -> list[str]:
    """Problems with a user keymap: unknown ids, keys that are not strings."""
    known = {b.id for b in all_bindings()}
    problems = []
    for binding_id, keys in keymap.items():
        if binding_id not in known:
            problems.append(f"unknown binding id {binding_id!r}")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f"{binding_id}: keys must be a non-empty string like \"ctrl+s,enter\"")
    return problems


def keys_for(binding: Binding, keymap: dict[str, str]) -> list[str]:
    """The keys a binding answers to once the user's keymap is applied."""
    keys = keymap.get(binding.id or "", binding.key)
    return [k.strip() for k in keys.split(",") if k.strip()]


def unoffered_choices(task) -> frozenset[str]:
    """The ids of the choice bindings a task does not offer (hidden from its help): the tie
    where ties are not allowed, "both bad" unless task.toml's ``choices`` list it."""
    offered = task.label_choices if task is not None else ("A", "B", "tie")
    return frozenset(i for i, choice in (("choose_tie", "tie"), ("choose_both_bad", "both_bad"),
                                         ("adjudicate_tie", "tie"), ("adjudicate_both_bad", "both_bad"))
                     if choice not in offered)
