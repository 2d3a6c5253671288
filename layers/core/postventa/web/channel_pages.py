"""The page a seller lands on after authorizing (or not) Postventa in Mercado Libre."""

from __future__ import annotations

from postventa.services.connections import OAuthOutcome
from postventa.web.billing_pages import Page, _message

BACK_TO_CHANNELS = ("Ir a tus canales en el panel", "/panel/canales")

_FAILURES: dict[str, tuple[int, str, str]] = {
    "state_invalida": (
        400,
        "Liga no válida",
        "Esta liga de autorización no la generó Postventa o llegó incompleta. Vuelve a conectar "
        "Mercado Libre desde tu panel.",
    ),
    "state_caducada": (
        400,
        "La autorización caducó",
        "Pasaron más de 10 minutos desde que pediste conectar Mercado Libre. Vuelve a "
        "conectarlo desde tu panel.",
    ),
    "state_usada": (
        409,
        "Liga ya usada",
        "Esta liga de autorización ya se usó. Si tu cuenta no quedó conectada, vuelve a "
        "conectarla desde tu panel.",
    ),
    "no_autorizo": (
        200,
        "No se conectó Mercado Libre",
        "No autorizaste a Postventa en Mercado Libre. Puedes intentarlo de nuevo cuando quieras.",
    ),
    "tienda_inexistente": (
        404,
        "Tienda no encontrada",
        "La tienda de esta autorización ya no existe.",
    ),
    "codigo_rechazado": (
        400,
        "Mercado Libre no aceptó la autorización",
        "La autorización caducó antes de que la recibiéramos. Vuelve a intentarlo.",
    ),
    "sin_cuenta": (
        502,
        "Mercado Libre no respondió bien",
        "Mercado Libre no dijo qué cuenta autorizó. Vuelve a intentarlo en unos minutos.",
    ),
    "cuenta_de_otra_tienda": (
        409,
        "Cuenta ya conectada",
        "Esa cuenta de Mercado Libre ya está conectada a otra tienda de Postventa. Desconéctala "
        "allá primero.",
    ),
}


def oauth_page(outcome: OAuthOutcome) -> Page:
    if outcome.connected:
        who = f" ({outcome.account_name})" if outcome.account_name else ""
        return _message(
            200,
            "Mercado Libre conectado",
            f"Listo: tu cuenta de Mercado Libre{who} quedó conectada a Postventa.",
            "Las ventas nuevas, también las de Mercado Shops, llegarán solas y el mensaje de "
            "facturación saldrá por la mensajería posventa de Mercado Libre.",
            links=[BACK_TO_CHANNELS],
        )
    status, title, text = _FAILURES.get(
        outcome.code, (400, "No se conectó Mercado Libre", "Vuelve a intentarlo desde tu panel.")
    )
    return _message(status, title, text, links=[BACK_TO_CHANNELS])
