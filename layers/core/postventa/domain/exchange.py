"""Which exchange rate an invoice in a foreign currency must carry (CFF art. 20).

A CFDI in a currency other than MXN carries TipoCambio. For US dollars the law fixes it: the
exchange rate Banco de México publishes in the Diario Oficial de la Federación the day before the
payment, or, if none was published that day, the last one published before it (Código Fiscal de
la Federación, art. 20, third paragraph). Banxico determines the FIX each banking day and the DOF
publishes it the next banking day, so the rate for a payment on day P is the FIX whose DOF
publication is the latest on or before P - 1: the FIX determined on the banking day before the
last banking day on or before P - 1.

For other currencies art. 20 converts through the US dollar with the equivalences Banxico
publishes monthly; we do not fetch those yet, so such orders stop with a reason the seller reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal

from postventa.errors import PostventaError

SUPPORTED_CURRENCIES = frozenset({"USD"})


class UnsupportedCurrencyError(PostventaError):
    """Permanent: we cannot obtain the legal rate for this currency (the seller must act)."""

    code = "moneda_no_soportada"

    def __init__(self, currency: str) -> None:
        super().__init__(
            f"El pedido está en {currency}. Para facturarlo el SAT pide convertirlo con la "
            "equivalencia al dólar que publica Banxico en el DOF (CFF art. 20), que todavía no "
            "obtenemos en automático: factúralo manualmente o cobra en MXN o USD."
        )


class RateUnavailableError(PostventaError):
    """Transient: the rate source did not answer or has not published yet (retry later)."""

    status_code = 503
    code = "tipo_de_cambio_no_disponible"


def dof_fix_for_payment(fix_by_determination: Mapping[date, Decimal], paid_on: date) -> Decimal:
    """The FIX applicable to a payment on `paid_on`, from FIX values keyed by determination
    date (Banxico series SF43718) covering at least the two weeks before it."""
    days = sorted(d for d in fix_by_determination if d <= paid_on - timedelta(days=1))
    if len(days) < 2:
        raise RateUnavailableError(
            f"Banxico no tiene publicado el tipo de cambio FIX aplicable al {paid_on:%d/%m/%Y}."
        )
    # days[-1] is the last banking day on or before P - 1: that day's DOF carries days[-2]'s FIX.
    return fix_by_determination[days[-2]]
