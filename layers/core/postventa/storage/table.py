"""The one DynamoDB table: the conditional-write helper every repository uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def is_conditional_failure(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def conditional(write: Callable[[], Any]) -> bool:
    """Run a conditional write: True when it was applied, False when its condition failed
    (someone else got there first); any other error propagates."""
    try:
        write()
    except Exception as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True
