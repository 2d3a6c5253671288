"""The ERP hand-off's rules: the signature, which answers are retried, the retry schedule and
which URLs an ERP may have."""

from __future__ import annotations

import pytest

from postventa.domain.erp import (
    MAX_ATTEMPTS,
    InvalidErpUrlError,
    PostResult,
    Verdict,
    check_url,
    classify,
    is_public_address,
    retry_delay,
    retry_schedule,
    signature,
    signed_headers,
)

SECRET = "pverp_known-answer-secret"


# ---------------------------------------------------------------------- signature
def test_the_signature_matches_a_value_computed_independently_with_openssl() -> None:
    # printf '%s' '1764129600.{"event":"ping","delivery_id":"ping-1"}' \
    #   | openssl dgst -sha256 -hmac 'pverp_known-answer-secret'
    body = b'{"event":"ping","delivery_id":"ping-1"}'
    assert signature(SECRET, "1764129600", body) == (
        "sha256=761aee9b40f04373ad0759ca11be4220a77f8b4fd15854440a045d406bfc3b25"
    )


def test_the_signature_covers_the_utf8_bytes_of_the_body() -> None:
    # printf '%s' '1764129600.{"nombre":"PEÑA"}' | openssl dgst -sha256 -hmac '...' (UTF-8 shell)
    body = '{"nombre":"PEÑA"}'.encode()
    assert signature(SECRET, "1764129600", body) == (
        "sha256=1a3fab00355a6ba9ebafe2b8a0f26ed762fe547f2abf3d9fc70a19cb99389dd5"
    )


def test_changing_the_timestamp_the_body_or_the_secret_changes_the_signature() -> None:
    base = signature(SECRET, "1764129600", b"{}")
    assert signature(SECRET, "1764129601", b"{}") != base
    assert signature(SECRET, "1764129600", b"{ }") != base
    assert signature(SECRET + "x", "1764129600", b"{}") != base


def test_signed_headers_carry_timestamp_signature_event_and_delivery() -> None:
    headers = signed_headers(SECRET, "1764129600", b"{}", event="ping", delivery_id="d-1")
    assert headers["X-Postventa-Timestamp"] == "1764129600"
    assert headers["X-Postventa-Signature"] == signature(SECRET, "1764129600", b"{}")
    assert headers["X-Postventa-Event"] == "ping"
    assert headers["X-Postventa-Delivery"] == "d-1"
    assert headers["Content-Type"].startswith("application/json")


# ---------------------------------------------------------------------- answers
@pytest.mark.parametrize("code", [200, 201, 202, 204, 299])
def test_any_2xx_is_delivered(code: int) -> None:
    assert classify(code) is Verdict.DELIVERED


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 409, 410, 413, 422, 499])
def test_a_4xx_other_than_408_and_429_is_permanent(code: int) -> None:
    assert classify(code) is Verdict.PERMANENT


@pytest.mark.parametrize("code", [None, 408, 429, 500, 502, 503, 504, 599])
def test_timeouts_408_429_and_5xx_are_retried(code: int | None) -> None:
    assert classify(code) is Verdict.RETRY


@pytest.mark.parametrize("code", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_not_retried(code: int) -> None:
    assert classify(code) is Verdict.PERMANENT


def test_a_post_we_refused_to_send_is_permanent_even_without_a_status() -> None:
    assert PostResult(blocked=True, error="x").verdict is Verdict.PERMANENT
    assert PostResult(error="timeout").verdict is Verdict.RETRY


# ---------------------------------------------------------------------- backoff
def test_the_delay_doubles_from_one_minute_and_stops_at_four_hours() -> None:
    assert [retry_delay(n) for n in range(1, 11)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3840,
        7680,
        14400,
        14400,
    ]
    assert retry_delay(40) == 14400  # no overflow, still the cap


def test_the_last_attempt_comes_about_a_day_after_the_first() -> None:
    schedule = retry_schedule()
    assert len(schedule) == MAX_ATTEMPTS - 1
    hours = sum(schedule) / 3600
    assert 20 <= hours <= 28, hours
    assert max(schedule) <= 12 * 3600  # SQS's longest visibility timeout


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        retry_delay(0)


# ---------------------------------------------------------------------- URLs
@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks/postventa",
        "https://erp.example.com:8443/in?source=postventa",
        "https://8.8.8.8/hook",
    ],
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert check_url(url, allow_loopback=False) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://erp.example.com/hook", "https"),
        ("ftp://erp.example.com/hook", "https"),
        ("erp.example.com/hook", "https"),
        ("https://user:pass@erp.example.com/", "contraseña"),
        ("https://erp.example.com/#frag", "fragmento"),
        ("https://10.0.0.5/hook", "pública"),
        ("https://169.254.169.254/latest", "pública"),
        ("https://[fd00::1]/hook", "pública"),
        ("https://erp.example.com/a b", "espacios"),
        ("", "vacía"),
        ("https://erp.example.com:99999/", "válida"),
    ],
)
def test_other_urls_are_refused_with_the_reason_in_spanish(url: str, words: str) -> None:
    with pytest.raises(InvalidErpUrlError, match=words):
        check_url(url, allow_loopback=True)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/erp", "http://localhost/erp", "https://[::1]:9/x"]
)
def test_this_machine_only_where_the_deployment_allows_it(url: str) -> None:
    assert check_url(url, allow_loopback=True) == url
    with pytest.raises(InvalidErpUrlError, match="localhost"):
        check_url(url, allow_loopback=False)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address refused, not a binding
    ],
)
def test_only_internet_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


# ---------------------------------------------------------------------- the published snippet
def test_the_verification_snippet_in_the_format_document_accepts_our_posts_only() -> None:
    """An ERP developer copies the format document's Python: it must work on what we send."""
    import re
    import time
    from pathlib import Path

    doc = Path(__file__).resolve().parents[3] / "docs" / "formats" / "erp-webhook.md"
    [snippet] = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, object] = {}
    exec(compile(snippet, str(doc), "exec"), namespace)  # noqa: S102 - our own document
    verify = namespace["verify"]
    assert callable(verify)

    body = '{"event":"invoice.stamped","nombre":"PEÑA"}'.encode()
    now = str(int(time.time()))
    headers = signed_headers(SECRET, now, body, event="invoice.stamped", delivery_id="d")
    sig = headers["X-Postventa-Signature"]
    assert verify(SECRET, now, sig, body) is True
    assert verify(SECRET, now, sig, body + b" ") is False
    assert verify("otro", now, sig, body) is False
    stale = str(int(time.time()) - 3600)
    assert verify(SECRET, stale, signature(SECRET, stale, body), body) is False
    assert verify(SECRET, "ayer", sig, body) is False
