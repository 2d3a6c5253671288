"""The e2e tier: the whole product on the embedded local cloud, driven over HTTP only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import http

ROOT = Path(__file__).resolve().parents[2]
SHORT_DEADLINE_TENANT = "plazo-corto"
SHORT_DEADLINE_SECONDS = 4


def _seed_short_deadline_tenant() -> None:
    from postventa.bootstrap import bootstrap
    from postventa.cli.local import seed_local_demo

    seed_local_demo()
    adapters = bootstrap()
    demo = adapters.tenants.get("demo")
    assert demo is not None
    adapters.secrets.put(SHORT_DEADLINE_TENANT, {"shopify": {"webhook_secret": "corto-secret"}})
    adapters.tenants.put(
        demo.model_copy(
            update={
                "tenant_id": SHORT_DEADLINE_TENANT,
                "name": "Tienda con plazo corto",
                "billing_deadline_seconds": SHORT_DEADLINE_SECONDS,
            }
        )
    )
    adapters.tenants.put_api_key(SHORT_DEADLINE_TENANT, "corto-api-key", label="e2e")


# One cloud per e2e module (moto's state is process-wide: only one LocalCloud can run at a time,
# so it must be gone before the integration tier starts its own).
@pytest.fixture(scope="module")
def markets() -> Iterator[Any]:
    """The fake marketplaces over HTTP, as `postventa local up` runs them beside the cloud."""
    from postventa.cli.local import start_fake_marketplaces

    fake = start_fake_marketplaces(0)
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def cloud(markets: Any) -> Iterator[Any]:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks, seed_channel_apps, wire_fake_marketplaces

    with LocalCloud(
        template=ROOT / "template.yaml",
        port=0,
        speedup=1.0,
        placeholders={"FakeMarketsUrl": markets.url},
        **cloud_hooks(_seed_short_deadline_tenant, seed_channel_apps, demo=False),
    ) as running:
        wire_fake_marketplaces(markets, running)
        yield running


@pytest.fixture
def mailbox(cloud: Any) -> Callable[[], list[dict[str, Any]]]:
    def read() -> list[dict[str, Any]]:
        return http("GET", cloud.gateway_url + "/_local/mail.json").json()

    return read
