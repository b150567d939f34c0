"""Access codes: made once, shown once, stored only as a salted scrypt hash.

A code is 12 characters of Crockford's base32 in three groups (``7KQ2-M9XD-4PRT``): 60
random bits from ``secrets``, easy to read aloud and to type. When checked, case, spaces
and dashes are ignored and the look-alikes O, I and L are read as 0, 1 and 1.

The hash is the standard library's ``hashlib.scrypt`` (n = 2**14, r = 8, p = 1, 32 bytes)
with a 16-byte random salt, stored as ``scrypt$n$r$p$salt$hash`` (base64), so the cost can
be raised later without breaking stored hashes. Checking compares in constant time;
checking a name that has no account costs as much as a real check (:func:`verify_none`), so
the time of an answer does not tell which names exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
GROUPS, GROUP_LEN = 3, 4
N, R, P, DKLEN = 2**14, 8, 1, 32
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh access code, ``XXXX-XXXX-XXXX``."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(chars[i:i + GROUP_LEN] for i in range(0, len(chars), GROUP_LEN))


def normalise(code: str) -> str:
    """A typed code as it is hashed: upper case, without spaces or dashes, look-alikes read."""
    return "".join(code.split()).replace("-", "").upper().translate(_LOOKALIKE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(code: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(normalise(code).encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=256 * 1024 * 1024)


def hash_code(code: str) -> str:
    """The stored form of ``code``: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(code, salt, N, R, P, DKLEN))}"


def verify(code: str, stored: str) -> bool:
    """Whether ``code`` is the one ``stored`` was made from (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = _scrypt(code, base64.b64decode(salt), int(n), int(r), int(p), len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


_DUMMY = None


def verify_none(code: str) -> bool:
    """Spend the time of a real check, for a name without an account; always False."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_code(new_code())
    verify(code, _DUMMY)
    return False
