"""The presented order of a pair and the A/B swap: the one home of the rule.

A pair's A and B are its *canonical* order (as imported). A person or a judge sees it in a
*presented* order: ``"AB"`` (A first / left) or ``"BA"`` (B first / left). An answer given in
the presented frame ("A" = the response shown first) is turned canonical by swapping "A" and
"B" when the order is ``"BA"``; "tie", "equal" and "na" read the same in both frames. The swap
is its own inverse. Analysis always works in canonical order.

An imported judge verdict may have the order ``"unknown"`` (AlpacaEval does not record which
output its judge saw first): such a verdict is already canonical, and nothing is swapped.

Pure functions, no SQL: the annotation screen, the judge runner and parsers, and the importer
(labels and verdicts recorded in the order they were shown) all use them.
"""

from __future__ import annotations

import hashlib
from typing import TypeVar

from .models import JUDGMENT_ORDERS, ORDERS

T = TypeVar("T")


def seeded_hash(*parts: object) -> bytes:
    """A digest of ``parts``, the same on every run and machine (for seeded, reproducible choices)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def presentation_order(seed: int, annotator: str, pair_id: str) -> str:
    """``"AB"`` or ``"BA"``: the seeded order in which ``annotator`` is shown the pair."""
    return "AB" if seeded_hash("order", seed, annotator, pair_id)[0] & 1 == 0 else "BA"


def _check(order: str, allowed: tuple[str, ...] = ORDERS) -> None:
    if order not in allowed:
        raise ValueError(f"an order is {' or '.join(map(repr, allowed))}, not {order!r}")


def to_canonical(shown: str, order: str) -> str:
    """Map an answer given on screen (``"A"`` = left / first shown) to canonical A/B.

    ``"tie"``, ``"equal"`` and ``"na"`` are the same in both frames; with the order
    ``"unknown"`` the answer is taken as canonical already.
    """
    _check(order, JUDGMENT_ORDERS)
    if order == "BA" and shown in ("A", "B"):
        return "B" if shown == "A" else "A"
    return shown


def to_shown(canonical: str, order: str) -> str:
    """The inverse of :func:`to_canonical` (the swap is its own inverse)."""
    return to_canonical(canonical, order)


def p_a(p_first: float | None, order: str) -> float | None:
    """The probability that canonical A is better, from the probability that the first shown is
    (with the order ``"unknown"``: the probability is taken as canonical already)."""
    _check(order, JUDGMENT_ORDERS)
    if p_first is None or order != "BA":
        return p_first
    return 1.0 - p_first


def other_order(order: str) -> str:
    """The order with the two responses exchanged: "AB" <-> "BA"."""
    _check(order)
    return "BA" if order == "AB" else "AB"


def presented(a: T, b: T, order: str) -> tuple[T, T]:
    """``(first shown, second shown)`` of the canonical ``a`` and ``b`` in ``order``."""
    _check(order)
    return (a, b) if order == "AB" else (b, a)
