"""sqlite-utils, imported without letting it import pandas.

sqlite-utils imports pandas whenever it is installed, only to map ``pandas.Timestamp`` to a
TEXT column when it creates a table from data; the store never hands it pandas objects.
Importing pandas costs about 0.4 s of CPU, which every command would pay at start-up
(``annotator --help`` and ``annotator tasks list`` included). So while sqlite-utils is first
imported, ``import pandas`` fails (sqlite-utils catches that and goes without); pandas stays
importable afterwards for the code that uses it. Every module of the store imports
sqlite-utils from here. ``tests/test_import_hygiene.py`` checks the effect.
"""

from __future__ import annotations

import sys

if "sqlite_utils" not in sys.modules and "pandas" not in sys.modules:
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if sys.modules.get("pandas", 0) is None:
            del sys.modules["pandas"]

from sqlite_utils import Database, Migrations  # noqa: E402

__all__ = ["Database", "Migrations"]
