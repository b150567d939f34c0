"""The headless core never imports Textual (the UI is one front end among several)."""

import subprocess
import sys

CORE = ["annotator.store", "annotator.tasks", "annotator.judge", "annotator.analysis",
        "annotator.factors", "annotator.export"]


def test_core_imports_without_textual():
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    mod = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, name + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"the core imported Textual: {out.stdout}"


# Heavy libraries a command loads only when it needs them (statistics, tables, the judge's
# client, the UI, plots): starting `annotator` (every command registers at import) must load
# none. pandas included: sqlite-utils would import it (annotator/store/sqlite.py keeps it out).
HEAVY = ("scipy", "statsmodels", "openai", "textual", "matplotlib", "pandas")


def test_starting_the_command_line_loads_no_heavy_library():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from annotator.cli import main\n"
        "assert CliRunner().invoke(main, ['--help']).exit_code == 0\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"`annotator --help` imported: {out.stdout}"


def test_opening_the_store_loads_no_pandas_and_pandas_still_works():
    """The store opens a database without pandas; pandas imported afterwards is whole, and
    the store's frames use it."""
    code = (
        "import sys\n"
        "from annotator.store import Store\n"
        "store = Store.memory()\n"
        "print('pandas' in sys.modules)\n"
        "import pandas\n"
        "print(type(store.pairs_frame('none')).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "DataFrame"]


def test_opening_the_store_leaves_dateutils_parser_unloaded_and_it_still_works():
    """sqlite-utils imports dateutil's parser for recipes the store never runs (issue 22: 10-30
    ms of every command's start-up): it loads on first use, and works then. Nor does opening
    the store look for sqlite-utils plugins (every installed package's entry points read)."""
    code = (
        "import sys\n"
        "from annotator.store import Store\n"
        "Store.memory()\n"
        "print('dateutil.parser._parser' in sys.modules or 'importlib.metadata' in sys.modules)\n"
        "from sqlite_utils.recipes import parsedate\n"
        "print(parsedate('2 Jan 2020'))\n"
        "from dateutil import parser\n"
        "print(parser.parse('2020-01-02T03:04').isoformat())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "2020-01-02", "2020-01-02T03:04:00"]
