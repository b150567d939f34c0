"""Fixtures of the export tests."""

from __future__ import annotations

import pytest

from annotator.store import Store
from tests.export.campaign_data import fill_campaign


@pytest.fixture
def campaign(store):
    fill_campaign(store)
    return store


@pytest.fixture
def campaign_db(tmp_path):
    path = tmp_path / "c.db"
    store = Store.open(path)
    fill_campaign(store)
    store.close()
    return path
