"""DynamoDB requests one at a time while a cloud runs: moto's DynamoDB is not thread-safe.

moto's TransactWriteItems deep-copies the table before applying and, when any condition fails,
puts that copy back: a write another thread made in between is lost (a folio reservation, an
order's status), which DynamoDB never does. A copy taken while another thread inserts fails with
"dictionary changed size during iteration" (a 500). The gateway, the pollers, the Step Functions
interpreter and the worker processes all call moto concurrently, so one lock around every
DynamoDB request keeps the table consistent; each request takes milliseconds.
"""

from __future__ import annotations

import threading
from typing import Any

from localcloud.patching import MotoPatch

_LOCK = threading.RLock()


def _one_at_a_time(self: Any) -> Any:
    with _LOCK:
        return PATCH.original(self)


#: Installed by LocalCloud (its owner) while it runs.
PATCH: MotoPatch[object] = MotoPatch(
    "moto.dynamodb.responses:DynamoHandler", "call_action", _one_at_a_time
)
