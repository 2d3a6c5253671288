"""Logger, Tracer and Metrics, built once; a correlation id per order; no personal data in logs.

Every entry point uses the same decorator order:

    @tracer.capture_lambda_handler
    @logger.inject_lambda_context(correlation_id_path=...)   # never log_event=True
    @metrics.log_metrics
    @redact_errors
    def handler(event, context): ...

Buyers' RFCs, emails, names and addresses are personal data: `redact()` is applied to every log
record by a filter, so a stray f-string cannot leak them.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

_F = TypeVar("_F", bound=Callable[..., Any])

SERVICE = "postventa"

# RFC: 3-4 letters (incl. Ñ and &), 6 digits (date), 3 alphanumerics (homoclave).
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\d)(?:\+?52[\s-]?)?(?:\d[\s-]?){10}(?!\d)")
_SENSITIVE_KEYS = frozenset(
    {
        "rfc",
        "email",
        "correo",
        "nombre",
        "name",
        "razon_social",
        "address",
        "direccion",
        "phone",
        "telefono",
        "cp",
        "codigo_postal",
        "buyer",
        "receptor",
        "password",
        "secret",
        "token",
        "authorization",
    }
)


def redact(value: Any) -> Any:
    """Return `value` with personal data masked (strings, and dict/list values recursively)."""
    if isinstance(value, str):
        value = _EMAIL.sub("<email>", value)
        value = _RFC.sub("<rfc>", value)
        return _PHONE.sub("<phone>", value)
    if isinstance(value, dict):
        return {
            k: ("<redacted>" if str(k).lower() in _SENSITIVE_KEYS else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


# Attributes every LogRecord has; only the others (the `extra=` keys) are ours to mask.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def _redacted_exception(exc: BaseException, depth: int = 0) -> BaseException:
    """A stand-in for `exc` with the same class name and a redacted message, chained the same way:
    a traceback prints the exception's text (pydantic's includes the input it refused: a buyer's
    email or RFC), and the filter must mask it as it masks messages."""
    stand_in_type = type(type(exc).__name__, (Exception,), {"__module__": type(exc).__module__})
    stand_in = stand_in_type(redact(str(exc)))
    stand_in.__traceback__ = exc.__traceback__
    if depth < 5:
        if exc.__cause__ is not None:
            stand_in.__cause__ = _redacted_exception(exc.__cause__, depth + 1)
        elif exc.__context__ is not None and not exc.__suppress_context__:
            stand_in.__context__ = _redacted_exception(exc.__context__, depth + 1)
    stand_in.__suppress_context__ = exc.__suppress_context__
    return stand_in


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the message, its arguments, extra keys and exception text of
    every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            stand_in = _redacted_exception(record.exc_info[1])
            record.exc_info = (type(stand_in), stand_in, record.exc_info[2])
            record.exc_text = None
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = (
                tuple(redact(a) for a in record.args)
                if isinstance(record.args, tuple)
                else redact(record.args)
            )
        for key, val in list(record.__dict__.items()):
            if key in _RECORD_ATTRS:
                continue
            if key.lower() in _SENSITIVE_KEYS:
                record.__dict__[key] = "<redacted>"
            elif isinstance(val, str | dict | list):
                record.__dict__[key] = redact(val)
        return True


# Most invocations of most functions publish no custom metric (a webhook that is ignored, a form
# page view): that is expected, not worth a warning on every call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service=SERVICE)
logger.addFilter(PersonalDataFilter())


#: The libraries whose calls a traced function records (X-Ray SDK patch names).
PATCHED_CLIENTS = ("botocore", "httplib")


class LazyTracer:
    """Powertools' Tracer, built only for a function that traces.

    Building a Tracer imports the X-Ray SDK (hundreds of ms of cold start) even when tracing is
    disabled. Every function runs with POWERTOOLS_TRACE_DISABLED=true (template.yaml's Globals,
    decision 0004): Lambda's active tracing still records their invocations; they skip only the
    SDK's subsegments, which a function gets back with "false" while someone investigates it.
    The choice is read when the handler is decorated, i.e. at import, when Lambda has already
    set the function's environment.
    """

    @staticmethod
    def enabled() -> bool:
        """Tracing on: inside Lambda (LAMBDA_TASK_ROOT, as Powertools checks) and not disabled."""
        disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("true", "1")
        return "LAMBDA_TASK_ROOT" in os.environ and not disabled

    @functools.cached_property
    def tracer(self) -> Any:
        from aws_lambda_powertools import Tracer

        # Only the clients the product calls: boto3 (botocore) and urllib (http.client). Left to
        # its default, the X-Ray SDK patches every library it supports that is installed, and
        # importing requests, sqlite3 and the rest to patch them was ~60 ms of each traced
        # function's cold start for calls the product never makes.
        return Tracer(service=SERVICE, patch_modules=PATCHED_CLIENTS)

    def capture_lambda_handler(self, handler: _F) -> _F:
        if not self.enabled():
            return handler
        return self.tracer.capture_lambda_handler(handler)


tracer = LazyTracer()
metrics = Metrics(namespace="Postventa", service=SERVICE)


def redact_errors(handler: _F) -> _F:
    """The innermost decorator of every entry point: an exception leaving the handler carries a
    redacted message. Lambda's runtime prints an uncaught exception itself (and Step Functions
    keeps its message in the execution history), outside the filter above."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except Exception as exc:
            raise _redacted_exception(exc) from None

    return wrapper  # type: ignore[return-value]


def order_correlation_id(tenant_id: str, channel: str, order_id: str) -> str:
    """The correlation id that follows one order through every function and state."""
    return f"{tenant_id}:{channel}:{order_id}"


def bind_order(tenant_id: str, channel: str, order_id: str) -> None:
    logger.set_correlation_id(order_correlation_id(tenant_id, channel, order_id))
    logger.append_keys(tenant_id=tenant_id, channel=channel, order_id=order_id)
