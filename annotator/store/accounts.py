"""Annotator accounts (the browser mode's sign-in): name, role, the hash of an access code.

The code itself is never stored: only its salted scrypt hash (``annotator.web.codes``
makes and checks it). A disabled account cannot sign in; resetting the code ends every
session signed in with the old one (sessions remember ``code_set_at``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import StoreBase
from .models import utc_now

ROLES = ("annotator", "researcher")


@dataclass
class Account:
    name: str
    role: str
    code_hash: str
    disabled: bool = False
    created_at: str = ""
    code_set_at: str = ""
    last_sign_in: str | None = None


class AccountExists(ValueError):
    pass


def _account(row: dict) -> Account:
    return Account(name=row["name"], role=row["role"], code_hash=row["code_hash"], disabled=bool(row["disabled"]),
                   created_at=row["created_at"], code_set_at=row["code_set_at"], last_sign_in=row["last_sign_in"])


class AccountStore(StoreBase):
    def add_account(self, name: str, role: str, code_hash: str) -> Account:
        """A new account; ``AccountExists`` when the name has one."""
        if role not in ROLES:
            raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
        now = utc_now()
        with self.atomic() as db:
            if db.execute("SELECT 1 FROM annotators WHERE name = ?", [name]).fetchone():
                raise AccountExists(name)
            db.execute("INSERT INTO annotators (name, role, code_hash, disabled, created_at, code_set_at) "
                       "VALUES (?, ?, ?, 0, ?, ?)", [name, role, code_hash, now, now])
        account = self.account(name)
        assert account is not None  # inserted just above
        return account

    def account(self, name: str) -> Account | None:
        rows = self.query("SELECT * FROM annotators WHERE name = ?", [name])
        return _account(rows[0]) if rows else None

    def accounts(self) -> list[Account]:
        return [_account(r) for r in self.query("SELECT * FROM annotators ORDER BY name")]

    def set_code(self, name: str, code_hash: str) -> Account | None:
        """A new code (the old one stops working) and the account enabled again (None: NAME
        has no account)."""
        with self.atomic() as db:
            db.execute("UPDATE annotators SET code_hash = ?, code_set_at = ?, disabled = 0 WHERE name = ?",
                       [code_hash, utc_now(), name])
        return self.account(name)

    def set_disabled(self, name: str, disabled: bool) -> Account | None:
        with self.atomic() as db:
            db.execute("UPDATE annotators SET disabled = ? WHERE name = ?", [int(disabled), name])
        return self.account(name)

    def record_sign_in(self, name: str) -> None:
        with self.atomic() as db:
            db.execute("UPDATE annotators SET last_sign_in = ? WHERE name = ?", [utc_now(), name])
