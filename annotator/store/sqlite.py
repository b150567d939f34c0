"""sqlite-utils, imported without letting it import pandas or numpy.

sqlite-utils imports pandas and numpy whenever they are installed, only to map
``pandas.Timestamp`` and numpy's scalar types to column types when it creates a table from
data; the store never hands it pandas or numpy objects (its tables are made by the
migrations' own SQL). Importing pandas costs about 0.4 s of CPU and numpy about 0.15 s,
which every command would pay at start-up (``annotator --help`` and ``annotator tasks list``
included). So while sqlite-utils is first imported, ``import pandas`` and ``import numpy``
fail (sqlite-utils catches that and goes without); both stay importable afterwards for the
code that uses them. Every module of the store imports sqlite-utils from here.
``tests/test_import_hygiene.py`` checks the effect.
"""

from __future__ import annotations

import sys

_KEPT_OUT = ("pandas", "numpy")  # sqlite-utils' optional imports, kept out while it loads

if "sqlite_utils" not in sys.modules:
    blocked = [name for name in _KEPT_OUT if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]

from sqlite_utils import Database, Migrations  # noqa: E402

__all__ = ["Database", "Migrations"]
