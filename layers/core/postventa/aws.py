"""Lazily built, cached boto3 clients: nothing here touches AWS at import time.

Endpoint, region and credentials come from the standard AWS environment variables, so the same
code talks to AWS in production and to the embedded moto server locally (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import functools
from typing import Any

from botocore.config import Config

_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10
)


@functools.cache
def client(service: str) -> Any:
    import boto3

    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


@functools.cache
def resource(service: str) -> Any:
    import boto3

    return boto3.session.Session().resource(service, config=_CONFIG)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests and the local runtime call it after changing the endpoint)."""
    client.cache_clear()
    resource.cache_clear()
