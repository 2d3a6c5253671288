"""Typed CFDI errors; messages are Spanish because sellers and buyers read them."""

from __future__ import annotations

from typing import Any

from postventa.errors import PostventaError


class CfdiError(PostventaError):
    status_code = 422
    code = "cfdi_error"


class ReceptorInvalidError(CfdiError):
    """Buyer fiscal data failed validation; `problems` maps field -> list of Spanish messages."""

    code = "receptor_invalido"

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("Los datos fiscales tienen errores.", details=problems)
        self.problems = problems


class InvoiceBuildError(CfdiError):
    """The order cannot be invoiced as it is (missing fiscal keys, total mismatch, currency...)."""

    code = "factura_no_generable"


class MissingFiscalKeysError(InvoiceBuildError):
    code = "claves_no_registradas"

    def __init__(self, skus: list[str]) -> None:
        super().__init__(
            "Claves fiscales no registradas para: " + ", ".join(skus),
            details={"skus": skus},
        )
        self.skus = skus


class UnknownPaymentMethodError(InvoiceBuildError):
    """The order's payment method has no c_FormaPago in the issuer setup: PUE needs the real
    instrument, so the invoice waits until the seller maps the method (or sets a fallback)."""

    code = "forma_pago_sin_asignar"

    def __init__(self, payment_method: str | None) -> None:
        if payment_method:
            message = (
                f"El método de pago «{payment_method}» del pedido no tiene asignada una forma de "
                "pago del SAT (c_FormaPago). Asígnala en la configuración del emisor "
                f"(payment_forms: «{payment_method}») o define una forma de pago por omisión "
                "(fallback_forma_pago)."
            )
        else:
            message = (
                "El pedido no indica con qué se pagó, y la factura (PUE) debe llevar la forma de "
                "pago real. Define una forma de pago por omisión en la configuración del emisor "
                "(fallback_forma_pago) o registra el método de pago del pedido."
            )
        super().__init__(message, details={"payment_method": payment_method})
        self.payment_method = payment_method


class BorderVatError(InvoiceBuildError):
    """IVA 8 % (estímulo fiscal de la región fronteriza) asked where it does not apply."""

    code = "iva_fronterizo_no_aplica"


class PacError(CfdiError):
    """Base of every PAC failure; adapters map their provider's errors onto the subclasses.

    `pac_code`: the code that classifies the answer (the SAT code inside it when there is one,
    else the provider's own). `sat_code`: the code of SAT's validation matrix the answer carries
    (Finkok's 301 "... [Error #CFDI40145] ..." -> "CFDI40145"), or None. `field`: what that
    code refuses ("Receptor.Nombre", see postventa.cfdi.validation.field_for_code), and
    `receptor_field` the buyer form's field to correct ("nombre") when it concerns the buyer."""

    code = "pac_error"
    status_code = 502

    def __init__(
        self,
        message: str,
        *,
        pac_code: str | None = None,
        details: Any = None,
        sat_code: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.pac_code = pac_code
        self.sat_code = sat_code
        if field is None and sat_code is not None:
            from postventa.cfdi.validation import field_for_code

            field = field_for_code(sat_code)
        self.field = field
        self.receptor_field: str | None = None
        if field is not None:
            from postventa.cfdi.validation import RECEPTOR_FORM_FIELDS

            self.receptor_field = RECEPTOR_FORM_FIELDS.get(field)


class PacTransientError(PacError):
    """Timeouts, 5xx, outages: safe to retry later with the same XML."""

    code = "pac_temporal"
    status_code = 503


class PacDataRejectedError(PacError):
    """The PAC/SAT rejected the invoice's data (e.g. CFDI40145 name mismatch): ask the buyer."""

    code = "pac_rechazo"
    status_code = 422


class PacAuthError(PacError):
    code = "pac_autenticacion"


class PacNoCreditError(PacError):
    code = "pac_sin_timbres"
    status_code = 402


class PacAlreadyStampedError(PacTransientError):
    """The PAC says this XML was stamped before (Finkok/SW 307) but could not hand the stamp back
    yet: retrying with the same XML asks it to recover the existing stamp again."""

    code = "pac_timbre_previo"


class PacUnsupportedOperationError(PacError):
    """The configured PAC adapter cannot do this operation (e.g. a provider without status)."""

    code = "pac_no_soportado"
    status_code = 501
