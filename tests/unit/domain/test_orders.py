"""Order rules: one buyer address, bounded lines, no personal data in validation errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from postventa.domain.orders import MAX_ORDER_LINES, BuyerContact, single_email
from tests.support import builders


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("comprador@example.com", "comprador@example.com"),
        ("  Comprador.Demo+mx@tienda.com.mx ", "Comprador.Demo+mx@tienda.com.mx"),
        ("victim@example.com, third@evil.example", None),
        ("victim@example.com;third@evil.example", None),
        ("Ana López <ana@example.com>", None),
        ("ana@example.com\r\nBcc: x@evil.example", None),
        ("ana..lopez@example.com", None),
        ("ana@localhost", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_only_one_valid_mailbox_is_kept_as_the_buyers_address(
    given: object, kept: str | None
) -> None:
    assert single_email(given) == kept
    assert BuyerContact(email=given).email == kept  # type: ignore[arg-type]


def test_an_order_has_at_most_the_lines_we_invoice() -> None:
    line = builders.order().lines[0]
    builders.order(lines=[line] * MAX_ORDER_LINES)
    with pytest.raises(ValidationError):
        builders.order(lines=[line] * (MAX_ORDER_LINES + 1))


def test_a_validation_error_does_not_repeat_the_buyers_data() -> None:
    with pytest.raises(ValidationError) as caught:
        builders.order(buyer={"name": "Ana López", "email": "ana@example.com"}, total_paid="x")
    assert "ana@example.com" not in str(caught.value) and "Ana" not in str(caught.value)
