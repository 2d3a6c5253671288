"""The unit tier for services: every port faked in memory (tests/support/fakes.py)."""

from __future__ import annotations

import pytest

from tests.support import builders
from tests.support.fakes import FakeAdapters


@pytest.fixture
def adapters() -> FakeAdapters:
    fake = FakeAdapters()
    fake.tenants.put(builders.tenant())
    fake.secrets.put("tienda", {"shopify": {"webhook_secret": "s3creto"}})
    return fake
