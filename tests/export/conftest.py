"""Fixtures of the export tests."""

from __future__ import annotations

import pytest

from tests.export.campaign_data import campaign_database, fill_campaign


@pytest.fixture
def campaign(store):
    fill_campaign(store)
    return store


@pytest.fixture
def campaign_db(tmp_path):
    return str(campaign_database(tmp_path / "c.db"))
