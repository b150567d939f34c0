"""The annotator name remembered per operating-system account, so `annotate` asks once.

The account is only a key: it is never shown or offered as a name.
"""

from __future__ import annotations

from .base import StoreBase
from .models import utc_now


class RememberedNameStore(StoreBase):
    def remember_annotator(self, account: str, annotator: str) -> None:
        with self.atomic():
            self.db.execute(
                "INSERT INTO remembered_annotators (account, annotator, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (account) DO UPDATE SET annotator = excluded.annotator, "
                "updated_at = excluded.updated_at",
                [account, annotator, utc_now()],
            )

    def remembered_annotator(self, account: str) -> str | None:
        found = self.query("SELECT annotator FROM remembered_annotators WHERE account = ?", [account])
        return found[0]["annotator"] if found else None
