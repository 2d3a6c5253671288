"""The one outbound HTTP client: timeouts, retries with backoff and full jitter, Retry-After,
no blind repeat of a message, rate limits taken before each attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postventa.channels.http import (
    ChannelApiError,
    ChannelAuthError,
    ChannelHttp,
    ChannelUnavailableError,
    ChannelUncertainError,
    FilePart,
    HttpRequest,
    HttpResponse,
    RateLimit,
    RetryPolicy,
    TransportError,
    backoff_delay,
    multipart_request,
    retry_after_seconds,
)
from postventa.errors import TransientError


class Script:
    """A transport answering from a list: an int status, (status, headers) or an exception."""

    def __init__(self, *answers: object) -> None:
        self.answers = list(answers)
        self.timeouts: list[float] = []

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        self.timeouts.append(timeout)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return HttpResponse(int(status), headers, b'{"error": "x"}' if status >= 400 else b"{}")


class Time:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(script: Script, clock: Time, **policy: float) -> ChannelHttp:
    return ChannelHttp(
        "mercadolibre",
        script,
        policy=RetryPolicy(**policy),  # type: ignore[arg-type]
        sleep=clock.sleep,
        monotonic=lambda: clock.now,
        rng=lambda: 1.0,  # the top of each jitter window: predictable waits
    )


GET = HttpRequest("GET", "https://api.example/orders/1")
POST = HttpRequest("POST", "https://api.example/messages", body=b"{}")


def test_a_5xx_then_success_is_retried_with_exponential_backoff() -> None:
    clock = Time()
    script = Script(503, 500, 200)
    assert client(script, clock).send(GET).status == 200
    assert clock.slept == [0.5, 1.0]


def test_full_jitter_waits_between_zero_and_the_capped_exponential() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    assert backoff_delay(0, policy, lambda: 0.0) == 0.0
    assert backoff_delay(3, policy, lambda: 0.5) == 2.0
    assert backoff_delay(10, policy, lambda: 1.0) == 8.0  # capped


def test_retry_after_is_honoured_in_seconds_or_as_a_date() -> None:
    clock = Time()
    script = Script((429, {"retry-after": "3"}), 200)
    client(script, clock).send(GET)
    assert clock.slept == [3.0]
    later = datetime(2026, 11, 20, 16, 0, 5, tzinfo=UTC)
    assert retry_after_seconds("Fri, 20 Nov 2026 16:00:05 GMT", later - timedelta(seconds=5)) == 5
    assert retry_after_seconds("mañana") is None


def test_a_long_retry_after_is_left_to_the_queue_as_a_transient_error() -> None:
    script = Script((429, {"retry-after": "120"}))
    with pytest.raises(ChannelUnavailableError) as caught:
        client(script, Time()).send(GET)
    assert isinstance(caught.value, TransientError) and caught.value.retry_after == 120


def test_a_message_lost_after_sending_is_never_sent_again() -> None:
    script = Script(TransportError("timed out", sent=True), 200)
    with pytest.raises(ChannelUncertainError):
        client(script, Time()).send(POST)
    assert len(script.answers) == 1  # the second answer was never asked for


def test_a_message_refused_before_it_was_processed_is_retried() -> None:
    clock = Time()
    script = Script(TransportError("refused", sent=False), (429, {}), 201)
    assert client(script, clock).send(POST).status == 201


def test_a_message_answered_500_is_not_repeated_blindly() -> None:
    with pytest.raises(ChannelUncertainError):
        client(Script(500, 201), Time()).send(POST)


def test_auth_and_client_errors_are_not_retried() -> None:
    with pytest.raises(ChannelAuthError):
        client(Script(401), Time()).send(GET)
    with pytest.raises(ChannelApiError) as caught:
        client(Script(404), Time()).send(GET)
    assert caught.value.status == 404 and caught.value.code == "x"


def test_the_budget_ends_retries_and_each_attempt_gets_the_time_left() -> None:
    clock = Time()
    script = Script(*([503] * 20))
    with pytest.raises(ChannelUnavailableError):
        client(script, clock, attempts=20, budget_seconds=6.0, timeout=5.0).send(GET)
    assert sum(clock.slept) <= 6.0
    assert script.timeouts[0] == 5.0 and all(t <= 5.0 for t in script.timeouts)


def test_a_rate_limited_group_takes_a_token_before_each_attempt_and_waits_for_one() -> None:
    class Bucket:
        def __init__(self) -> None:
            self.asked: list[str] = []
            self.waits = [0.0, 0.7, 0.0]

        def acquire(self, bucket: str, rate: float, burst: int) -> float:
            self.asked.append(bucket)
            return self.waits.pop(0)

    clock, bucket = Time(), Bucket()
    http = ChannelHttp(
        "amazon",
        Script(200, 200),
        throttle=bucket,
        limits={"messaging": RateLimit(1.0, 5)},
        sleep=clock.sleep,
        monotonic=lambda: clock.now,
    )
    http.send(GET, group="messaging", account="A1")
    http.send(GET, group="messaging", account="A1")
    assert bucket.asked == ["amazon:A1:messaging"] * 3 and clock.slept == [0.7]


def test_multipart_bodies_carry_each_file_with_its_name_and_type() -> None:
    request = multipart_request(
        "https://api.example/up",
        [FilePart("fiscal_document", "F1.pdf", "application/pdf", b"%PDF-1")],
        {"meta": "{}"},
        boundary="XYZ",
    )
    assert request.headers["Content-Type"] == "multipart/form-data; boundary=XYZ"
    assert (
        b'name="fiscal_document"; filename="F1.pdf"\r\nContent-Type: application/pdf'
        in request.body
    )
    assert request.body.endswith(b"--XYZ--\r\n")
