"""The e2e tier: the whole product on the embedded local cloud, driven over HTTP only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHORT_DEADLINE_TENANT = "plazo-corto"
SHORT_DEADLINE_SECONDS = 4


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, dict(resp.headers), resp.read())
    except urllib.error.HTTPError as err:
        return Response(err.code, dict(err.headers), err.read())


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"no llegó a tiempo: {what}")


def _seed_short_deadline_tenant() -> None:
    from postventa.services.demo import seed_demo_tenant
    from postventa.storage.secrets import put_tenant_secrets
    from postventa.storage.tenants import Tenant, get_tenant, put_api_key, put_tenant

    seed_demo_tenant()
    demo = get_tenant("demo")
    assert demo is not None
    put_tenant_secrets(SHORT_DEADLINE_TENANT, {"shopify": {"webhook_secret": "corto-secret"}})
    put_tenant(
        Tenant(
            **{
                **demo.model_dump(),
                "tenant_id": SHORT_DEADLINE_TENANT,
                "name": "Tienda con plazo corto",
                "billing_deadline_seconds": SHORT_DEADLINE_SECONDS,
            }
        )
    )
    put_api_key(SHORT_DEADLINE_TENANT, "corto-api-key", label="e2e")


# One cloud per e2e module (moto's state is process-wide: only one LocalCloud can run at a time,
# so it must be gone before the integration tier starts its own).
@pytest.fixture(scope="module")
def cloud() -> Iterator[Any]:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks

    with LocalCloud(
        template=ROOT / "template.yaml",
        port=0,
        speedup=1.0,
        # the seeder below seeds the demo tenant too
        **cloud_hooks(_seed_short_deadline_tenant, demo=False),
    ) as running:
        yield running


@pytest.fixture
def mailbox(cloud: Any) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        return http("GET", cloud.gateway_url + "/_local/mail.json").json()

    return read
