"""sqlite-utils, imported without letting it import pandas or numpy.

sqlite-utils imports pandas and numpy whenever they are installed, only to map
``pandas.Timestamp`` and numpy's scalar types to column types when it creates a table from
data; the store never hands it pandas or numpy objects (its tables are made by the
migrations' own SQL). Importing pandas costs about 0.4 s of CPU and numpy about 0.15 s,
which every command would pay at start-up (``annotator --help`` and ``annotator tasks list``
included). So while sqlite-utils is first imported, ``import pandas`` and ``import numpy``
fail (sqlite-utils catches that and goes without); both stay importable afterwards for the
code that uses them. Its recipes module imports dateutil's parser (about 10-30 ms with the
time zones it loads) for ``parsedate`` recipes the store never runs: that module is made lazy
(``importlib.util.LazyLoader``: loaded on its first use, by sqlite-utils, pandas or anyone).
sqlite-utils' plugins are not run on the store's connections (``execute_plugins=False``:
looking for them reads every installed package's entry points, about 15 ms of every command
that opens a database; the store is the only code that speaks SQL, with its own schema, so a
plugin's functions or settings on the connection have no place in it).
Every module of the store imports sqlite-utils from here. ``tests/test_import_hygiene.py``
checks the effect.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

_KEPT_OUT = ("pandas", "numpy")  # sqlite-utils' optional imports, kept out while it loads
_LAZY = "dateutil.parser"  # imported by sqlite-utils at start-up, used only by recipes the store never runs


def _import_lazily(name: str) -> None:
    """Put ``name`` in ``sys.modules`` as a module whose code runs on its first attribute use."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except ImportError:
        return  # sqlite-utils' own import will say what is missing
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)


if "sqlite_utils" not in sys.modules:
    if _LAZY not in sys.modules:
        _import_lazily(_LAZY)
    blocked = [name for name in _KEPT_OUT if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]

import sqlite_utils  # noqa: E402
from sqlite_utils import Migrations  # noqa: E402


class _Database(sqlite_utils.Database):
    """sqlite-utils' ``Database``, without running sqlite-utils' plugins on the connection."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("execute_plugins", False)
        super().__init__(*args, **kwargs)


if TYPE_CHECKING:  # to the type checker it is sqlite-utils' class (the migrations take that type)
    Database = sqlite_utils.Database
else:
    Database = _Database


__all__ = ["Database", "Migrations"]
