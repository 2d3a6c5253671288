"""The one DynamoDB table, built lazily from Settings."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from postventa.aws import resource
from postventa.settings import get_settings


def table() -> Any:
    return resource("dynamodb").Table(get_settings().table_name)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch() -> int:
    return int(time.time())


def is_conditional_failure(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")
