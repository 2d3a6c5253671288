"""The adapters' tests on moto in-process: AWS mocked per test (no endpoint, one region, fresh
boto3 clients) and the product's table as template.yaml defines it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from postventa.aws import reset_clients
from tests.support.tables import create_product_table


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reset_clients()
    with mock_aws():
        yield
    reset_clients()


@pytest.fixture
def table(aws: None) -> Any:
    """The template's table (base keys and every index), as a boto3 resource Table."""
    return create_product_table()
