"""What a marketplace's messaging can refuse before or instead of a message."""

from __future__ import annotations

from postventa.domain.messages import marketplace_length
from postventa.errors import PostventaError

__all__ = ["MessagingUnavailableError", "marketplace_length"]


class MessagingUnavailableError(PostventaError):
    """The channel will not take this message now (no messages left for the sale, the
    conversation blocked, the text too long): `reason` is a stable code for the order's
    history, the message Spanish for the seller."""

    status_code = 409
    code = "mensajeria_no_disponible"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
