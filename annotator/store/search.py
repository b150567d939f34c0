"""Finding the pairs an annotator has labelled by the text they remember.

Matching is SQLite's ``LIKE``: a plain substring, case-insensitive for ASCII letters
(SQLite folds no other case), over the pair id, the prompt, both responses and the
annotator's own rationale. ``%`` and ``_`` in the query are matched literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .base import StoreBase

FIELDS = ("pair_id", "prompt", "response_a", "response_b", "rationale")


@dataclass(frozen=True)
class SearchHit:
    pair: int  # Pair.id
    pair_id: str
    field: str  # where the text was found first: one of FIELDS
    text: str  # that field's text (the caller cuts a snippet)


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, with its wildcards escaped (``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SearchStore(StoreBase):
    def search_labelled(self, task: str, annotator: str, text: str, limit: int = 50,
                        pairs: Sequence[int] | None = None) -> list[SearchHit]:
        """The annotator's labelled pairs containing ``text``, in the order first labelled.

        At most ``limit`` hits; an empty (or blank) ``text`` finds nothing. ``pairs``: look
        only among these pairs (ids), each found through its key, so the rows read are these
        pairs' and not every label of the annotator (a search in batches reads a bounded number
        of rows per batch).
        """
        if not text.strip():
            return []
        pattern = like_pattern(text)
        matches = " OR ".join(
            f"{'l' if f == 'rationale' else 'p'}.{f} LIKE :pattern ESCAPE '\\'" for f in FIELDS
        )
        params: dict[str, object] = {"task": task, "annotator": annotator, "pattern": pattern, "limit": limit}
        among = ""
        if pairs is not None:
            if not pairs:
                return []
            params.update({f"p{i}": pair for i, pair in enumerate(pairs)})
            # (+l.task: never the (task, annotator) index, which would read the whole history)
            among = f"AND l.pair IN ({', '.join(f':p{i}' for i in range(len(pairs)))}) AND +l.task = :task "
        found = self.query(
            "SELECT l.pair, p.pair_id, p.prompt, p.response_a, p.response_b, l.rationale, "
            "(SELECT MIN(r.id) FROM labels r WHERE r.pair = l.pair AND r.annotator = l.annotator) AS first "
            "FROM current_labels l JOIN pairs p ON p.id = l.pair "
            f"WHERE {'' if among else 'l.task = :task AND '}l.annotator = :annotator {among}AND ({matches}) "
            "ORDER BY first LIMIT :limit",
            params,
        )
        needle = text.casefold()
        hits = []
        for row in found:
            field = next((f for f in FIELDS if needle in (row[f] or "").casefold()), FIELDS[0])
            hits.append(SearchHit(pair=row["pair"], pair_id=row["pair_id"], field=field, text=row[field] or ""))
        return hits
