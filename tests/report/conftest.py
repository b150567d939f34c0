"""A campaign database built once per test session (``report_data.build``), and a runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.store import Store

from .report_data import build


@pytest.fixture(scope="session")
def campaign_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("campaign") / "campaign.db"
    store = Store.open(path)
    build(store)
    store.close()
    return path


def run_cli(db, *args: str):
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def cli_json(db, *args: str):
    return json.loads(run_cli(db, *args, "--json").stdout)
