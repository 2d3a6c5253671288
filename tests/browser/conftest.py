"""The browser tier: Debian's Chromium, driven by Playwright, against the whole product running on
the embedded local cloud. Everything listens on 127.0.0.1.

Chromium comes from the system (`apt-get install chromium`, done by .ci/run); Playwright never
downloads a browser of its own. Without /usr/bin/chromium every test here is skipped with the
reason shown by `pytest -ra`, before any cloud starts.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.http import http, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("POSTVENTA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
DEMO_SECRET = "demo-secret"
DEMO_API_KEY = "demo-api-key"
_LINK = re.compile(r"https?://[^\s\"'<>]+/facturar/[A-Za-z0-9_-]{20,}")
# Shopify ids whose display numbers ("#81001"...) never contain one another.
_ORDER_IDS = itertools.count(7_781_001)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium, or a visible skip (never a silent pass, never a browser download)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":  # .ci/run installs it: missing there is a failure
            pytest.fail(f"{CHROMIUM} not found in CI: .ci/run should have installed chromium")
        pytest.skip(
            f"{CHROMIUM} not found: browser tests need Debian's Chromium "
            "(`apt-get install -y chromium`, as .ci/run does)"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    return CHROMIUM


# One cloud per module: moto's state is process-wide, so only one LocalCloud may run at a time
# and it must be gone before the next module (e2e, integration) starts its own.
@pytest.fixture(scope="module")
def cloud(chromium: Path) -> Iterator[Any]:
    from localcloud import LocalCloud
    from postventa.cli.local import cloud_hooks

    with LocalCloud(
        template=ROOT / "template.yaml", port=0, speedup=1.0, **cloud_hooks()
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests leave PNGs for a person to look at (POSTVENTA_SCREENSHOTS to choose)."""
    chosen = os.environ.get("POSTVENTA_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def pages(browser: Any) -> Iterator[Any]:
    """new_page(viewport) -> a page in a fresh context; JavaScript errors and console errors
    (a CSP violation shows up there) are collected in page.problems."""
    contexts: list[Any] = []

    def new_page(viewport: dict[str, int], *, javascript: bool = True) -> Any:
        context = browser.new_context(
            viewport=viewport, locale="es-MX", java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: _console_problem(page, msg))
        return page

    yield new_page
    for context in contexts:
        context.close()


# Answers our pages give by design: a form with mistakes (422), a portal lookup that matches no
# order (404). Chromium logs every 4xx document load as a console error.
_DESIGNED_STATUSES = ("status of 422", "status of 404")


def _console_problem(page: Any, msg: Any) -> None:
    if msg.type == "error" and not any(s in msg.text for s in _DESIGNED_STATUSES):
        page.problems.append(f"console: {msg.text}")


def open_page(page: Any, url: str) -> Any:
    response = page.goto(url, wait_until="load")
    assert response is not None
    return response


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def shot(page: Any, directory: Path, name: str) -> None:
    page.screenshot(path=str(directory / f"{name}.png"), full_page=True)


@dataclass
class PaidOrder:
    order_id: int
    number: str
    total: str
    link: str


@pytest.fixture
def paid_order(cloud: Any) -> PaidOrder:
    """A signed Shopify orders/paid posted to the gateway; its link read from the local mailbox."""
    from postventa.services.demo import sample_orders_paid, shopify_webhook_request

    order_id = next(_ORDER_IDS)
    body = sample_orders_paid(order_id)
    raw, headers = shopify_webhook_request(body, DEMO_SECRET)
    resp = http("POST", f"{cloud.gateway_url}/webhooks/shopify/demo", raw, headers)
    assert resp.status == 200, resp.body
    number = body["name"]

    def link_in_mail() -> str | None:
        for mail in http("GET", cloud.gateway_url + "/_local/mail.json").json():
            text = (mail.get("subject") or "") + (mail.get("text") or "")
            if number in text:
                found = _LINK.search(mail.get("text") or "")
                if found:
                    return found.group(0)
        return None

    link = wait_for(link_in_mail, 60, f"correo con el enlace del pedido {number}")
    return PaidOrder(order_id, number, body["total_price"], link)


def seller_order(cloud: Any, order_id: int) -> dict[str, Any]:
    resp = http(
        "GET",
        f"{cloud.gateway_url}/api/v1/orders/shopify/{order_id}",
        headers={"Authorization": f"Bearer {DEMO_API_KEY}"},
    )
    assert resp.status == 200, resp.body
    result: dict[str, Any] = resp.json()
    return result
