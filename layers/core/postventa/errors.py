"""Typed errors carrying the reason a person reads (Spanish) and the HTTP status they map to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class PostventaError(Exception):
    """Base of every error the product reports to a person; `message` is user-facing Spanish."""

    status_code = 400
    code = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequestError(PostventaError):
    status_code = 400
    code = "bad_request"


class UnauthorizedError(PostventaError):
    status_code = 401
    code = "unauthorized"


class ForbiddenError(PostventaError):
    """Signed in, but this person's role does not allow it."""

    status_code = 403
    code = "forbidden"


class NotFoundError(PostventaError):
    status_code = 404
    code = "not_found"


class ConflictError(PostventaError):
    status_code = 409
    code = "conflict"


class PayloadTooLargeError(PostventaError):
    status_code = 413
    code = "payload_too_large"


class GoneError(PostventaError):
    status_code = 410
    code = "gone"


class TransientError(Exception):
    """A failure worth retrying as is (AWS throttling or a 5xx, a timeout). The state machine's
    Retry matches this class name; anything else raised by a task is permanent for it."""


# AWS error codes that mean "try again later" (botocore's own retries already ran out).
_RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalServerError",
        "InternalFailure",
        "TransactionInProgressException",
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether an exception from an AWS call (or the network) is worth retrying."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(exc, ConnectionError | HTTPClientError | TimeoutError | TransientError):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error.get("Code") in _RETRYABLE_CODES or status >= 500
    return False


class TooManyRequestsError(PostventaError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"reintentar_en_segundos": retry_after})
        self.retry_after = retry_after


@contextmanager
def retryable_as_transient() -> Iterator[None]:
    """Inside a state machine task: an AWS or network error worth retrying leaves as
    TransientError (what the state machine's Retry matches); anything else leaves unchanged."""
    try:
        yield
    except TransientError:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise TransientError(type(exc).__name__) from exc
        raise
