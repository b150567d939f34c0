"""The published numbers do not move when the code beneath them is made faster (issue 22).

The ``--json`` of ``stats agreement``, ``stats judges`` and ``stats leaderboard`` with their
defaults (and a few options that take other paths: ``--exclude``, another order rule and
reference) and the report's Markdown twin, on the campaign task of ``report_data``, are
frozen as SHA-256 digests in ``frozen/digests.json``: a change in any byte fails here. The
report's "Generated <time>" line is the only part masked.

A change meant to move a number regenerates the digests, with the differences listed in its
commit: ``ANNOTATOR_FREEZE=DIR pytest tests/report/test_frozen_outputs.py`` rewrites the digests
and writes the outputs themselves into DIR, to diff against a run before the change.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from .conftest import run_cli
from .report_data import TASK

FROZEN = Path(__file__).parent / "frozen"
COMMANDS = {
    "agreement": ("stats", "agreement"),
    "agreement-exclude": ("stats", "agreement", "--exclude", "alice"),
    "judges": ("stats", "judges"),
    "judges-mean-majority": ("stats", "judges", "--order-rule", "mean", "--reference", "majority"),
    "leaderboard": ("stats", "leaderboard", "--by", "domain"),
}
GENERATED = re.compile(r"^Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", re.MULTILINE)


@pytest.fixture(scope="module")
def outputs(campaign_db, tmp_path_factory) -> dict[str, str]:
    found = {name: run_cli(campaign_db, *args, "--task", TASK, "--json").stdout for name, args in COMMANDS.items()}
    out = tmp_path_factory.mktemp("frozen") / "report.html"
    run_cli(campaign_db, "report", "--task", TASK, "--out", str(out))
    found["report.md"] = GENERATED.sub("Generated <time>", out.with_suffix(".md").read_text(encoding="utf-8"))
    if os.environ.get("ANNOTATOR_FREEZE"):
        latest = Path(os.environ["ANNOTATOR_FREEZE"])
        latest.mkdir(parents=True, exist_ok=True)
        for name, text in found.items():
            (latest / name).write_text(text, encoding="utf-8")
        digests = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in found.items()}
        (FROZEN / "digests.json").write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    return found


@pytest.mark.parametrize("name", [*COMMANDS, "report.md"])
def test_the_output_is_byte_for_byte_the_frozen_one(outputs, name):
    frozen = json.loads((FROZEN / "digests.json").read_text())
    assert hashlib.sha256(outputs[name].encode()).hexdigest() == frozen[name], (
        f"{name} changed: rerun with ANNOTATOR_FREEZE=DIR and diff DIR/{name} against the output before "
        "the change")
