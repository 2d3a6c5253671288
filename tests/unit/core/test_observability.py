"""No personal data in logs: RFCs, emails and phones are masked wherever they appear."""

from __future__ import annotations

import io
import json
import logging

import pytest

from postventa.observability import PersonalDataFilter, order_correlation_id, redact


def test_redact_masks_rfc_email_and_phone_inside_free_text() -> None:
    text = "Receptor GODE561231GR8 <ana.perez@correo.mx> tel +52 55 1234 5678 pidió factura"
    out = redact(text)
    assert "GODE561231GR8" not in out
    assert "ana.perez@correo.mx" not in out
    assert "1234 5678" not in out
    assert "pidió factura" in out


def test_redact_masks_sensitive_keys_and_recurses_into_structures() -> None:
    data = {"rfc": "EKU9003173C9", "order": {"email": "a@b.mx", "sku": "X-1"}, "n": ["x@y.mx"]}
    out = redact(data)
    assert out["rfc"] == "<redacted>"
    assert out["order"]["email"] == "<redacted>"
    assert out["order"]["sku"] == "X-1"
    assert out["n"] == ["<email>"]


def test_order_ids_and_amounts_are_not_mistaken_for_personal_data() -> None:
    assert (
        redact("pedido 820982911946154508 total 1234.50")
        == "pedido 820982911946154508 total 1234.50"
    )


def test_filter_cleans_message_args_and_extra_keys_of_a_real_record() -> None:
    stream = io.StringIO()
    log = logging.getLogger("postventa.test.redaction")
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(message)s|%(email)s|%(note)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("buyer %s", "EKU9003173C9", extra={"email": "x@y.mx", "note": "rfc XAXX010101000"})
    finally:
        log.removeHandler(handler)
    line = stream.getvalue()
    assert "EKU9003173C9" not in line and "x@y.mx" not in line and "XAXX010101000" not in line
    assert line.startswith("buyer <rfc>|<redacted>|rfc <rfc>")


def test_powertools_logger_output_carries_no_personal_data(monkeypatch) -> None:
    from postventa.observability import logger

    stream = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", stream)
    logger.info("datos de ana@correo.mx", extra={"receptor": {"rfc": "GODE561231GR8"}})
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["message"] == "datos de <email>"
    assert line["receptor"] == "<redacted>"
    assert "GODE561231GR8" not in json.dumps(line)


def test_correlation_id_names_tenant_channel_and_order() -> None:
    assert order_correlation_id("demo", "shopify", "1001") == "demo:shopify:1001"


def test_tracer_is_not_built_when_tracing_is_disabled(monkeypatch) -> None:
    from postventa.observability import LazyTracer

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    lazy = LazyTracer()

    def handler(event, context):
        return event

    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    assert lazy.capture_lambda_handler(handler) is handler
    assert "tracer" not in vars(lazy)  # the Powertools Tracer (and X-Ray SDK) never built
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.delenv("LAMBDA_TASK_ROOT")
    assert lazy.capture_lambda_handler(handler) is handler  # outside Lambda: nothing to trace


def test_tracer_wraps_the_handler_when_tracing_is_on(monkeypatch) -> None:
    from postventa.observability import LazyTracer

    class RecordingTracer:  # stands in for Powertools' Tracer, which patches botocore globally
        def capture_lambda_handler(self, handler):
            return ("traced", handler)

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    lazy = LazyTracer()
    vars(lazy)["tracer"] = RecordingTracer()

    def handler(event, context):
        return event

    assert lazy.capture_lambda_handler(handler) == ("traced", handler)


def test_a_traced_function_patches_only_the_clients_the_product_calls(monkeypatch) -> None:
    import aws_lambda_powertools

    from postventa.observability import LazyTracer

    built: list[dict[str, object]] = []
    monkeypatch.setattr(aws_lambda_powertools, "Tracer", lambda **kwargs: built.append(kwargs))
    LazyTracer().tracer  # noqa: B018 - building it is the point
    # Not every library the X-Ray SDK could patch (importing requests, sqlite3... at cold start).
    assert built == [{"service": "postventa", "patch_modules": ("botocore", "httplib")}]


def test_an_exception_logged_with_its_traceback_does_not_leak_the_buyers_data() -> None:
    import io
    import logging

    from pydantic import BaseModel

    from postventa.observability import PersonalDataFilter

    class Loose(BaseModel):  # a model that shows its input in errors (pydantic's default)
        total: int

    stream = io.StringIO()
    log = logging.getLogger("postventa.test.traceback")
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    log.addHandler(handler)
    # Built at run time: a traceback also prints source lines, which never hold buyers' data.
    buyer = "@".join(("ana.lopez", "example.com"))
    rfc = "LOAA" + "800101AB1"
    try:
        try:
            try:
                Loose.model_validate({"total": f"{buyer} RFC {rfc}"})
            except ValueError as exc:
                raise RuntimeError(f"no se pudo con {buyer}") from exc
        except RuntimeError:
            log.exception("fallo")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "ValidationError" in text and "RuntimeError" in text and "Traceback" in text
    assert "ana.lopez@example.com" not in text and "LOAA800101AB1" not in text
    assert "<email>" in text


def test_an_exception_leaving_a_handler_keeps_its_name_but_not_the_buyers_data() -> None:
    from postventa.observability import redact_errors

    buyer = "@".join(("ana.lopez", "example.com"))

    class TransientError(Exception):
        pass

    @redact_errors
    def handler(event: dict, context: object) -> None:
        raise TransientError(f"SES rechazó {buyer}")

    with pytest.raises(Exception) as caught:
        handler({}, None)
    assert type(caught.value).__name__ == "TransientError"  # what Retry/Catch match on
    assert buyer not in str(caught.value) and "<email>" in str(caught.value)
