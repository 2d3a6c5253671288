"""Lazily built, cached boto3 clients: nothing here touches AWS at import time.

Endpoint, region and credentials come from the standard AWS environment variables, so the same
code talks to AWS in production and to the embedded moto server locally (AWS_ENDPOINT_URL).

One botocore session per process, shared by every client: a session loads and caches the service
models, so a session per client would pay that again for each service. Sessions are not
thread-safe, clients are: clients are created under a lock and then used freely.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from botocore.config import Config

_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10
)
_LOCK = threading.RLock()


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    with _LOCK:
        return _session().client(service, config=_CONFIG)


@functools.cache
def resource(service: str) -> Any:
    with _LOCK:
        return _session().resource(service, config=_CONFIG)


def reset_clients() -> None:
    """Forget the session and cached clients (tests and the local runtime call it after changing
    the endpoint or credentials in the environment)."""
    with _LOCK:
        client.cache_clear()
        resource.cache_clear()
        _session.cache_clear()
